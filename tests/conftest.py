import os
import tempfile

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Tests never read or write the user's real settings / recent-projects list.
os.environ.setdefault("WORKBENCH_CONFIG_DIR", tempfile.mkdtemp(prefix="workbench-test-config-"))


@pytest.fixture(autouse=True)
def _torch_single_thread():
    """Tests train tiny models: one intra-op thread is faster than two fighting over shared CI cores,
    and it keeps results independent of the machine's core count."""
    try:
        import torch
    except ImportError:  # pragma: no cover
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
