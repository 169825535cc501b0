"""The Dask worker plugin that carries a search's data to every worker once (imported only when a
search runs on Dask). The scheduler keeps the plugin and hands it to each worker as it joins, so
a worker that starts later, or restarts after a crash, gets the data once too; Dask's memory
manager never drops it between trials, as it may drop broadcast copies of a scattered value."""
from __future__ import annotations

from distributed import WorkerPlugin


class SearchDataPlugin(WorkerPlugin):
    idempotent = True

    def __init__(self, data):
        self.data = data
        self.name = plugin_name(data.token)

    def setup(self, worker):
        from workbench.core.tuning.trial import install

        install(self.data)

    def teardown(self, worker):
        from workbench.core.tuning.trial import uninstall

        uninstall(self.data.token)


def plugin_name(token: str) -> str:
    return f"workbench-search-data-{token}"
