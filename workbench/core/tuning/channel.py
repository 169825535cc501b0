"""How a running fold talks to the search that started it.

The search (the "driver": the app's job thread or the command line) owns the Optuna study; folds
run elsewhere. A fold sends messages and, when the message asks for it, waits for one answer:

    {"kind": "start", trial, fold, attempt, nonce, worker}         -> "go" | "abort"
    {"kind": "report", trial, fold, nonce, step, value, logs}      -> "go" | "prune" | "stop"
                                                                      (awaited only with a pruner)

and reads the stop flag between batches. ``InlineChannel`` calls the driver directly (folds run in
the driver's thread); ``DaskChannel`` goes through the Dask scheduler: one queue into the driver,
one answer queue per fold execution (named by its nonce, so a re-run never reads an answer meant
for the run before it) and one ``distributed.Event`` for stop. A fold that gets no answer in
``REPLY_TIMEOUT_S`` (the search process is gone) stops.
"""
from __future__ import annotations

import time
from typing import Any, Callable

REPLY_TIMEOUT_S = 120.0


class InlineChannel:
    def __init__(self, handle: Callable[[dict], Any], stop_requested: Callable[[], bool], wait_reports: bool):
        self._handle, self._stop, self.wait_reports = handle, stop_requested, wait_reports

    def start(self, key: dict) -> str:
        return self._handle({"kind": "start", "wants_reply": True, **key}) or "go"

    def report(self, key: dict, step: int, value, logs: dict) -> str:
        ans = self._handle({"kind": "report", "wants_reply": self.wait_reports, **key, "step": step, "value": value,
                            "logs": logs})
        return ans or "go"

    def stop_requested(self) -> bool:
        return bool(self._stop())


def _names(token: str) -> tuple[str, str]:
    return f"workbench-{token}-in", f"workbench-{token}-stop"


def reply_name(token: str, nonce: str) -> str:
    return f"workbench-{token}-reply-{nonce}"


class DaskChannel:
    """The worker's end (picklable: names only; the Dask objects are made on the worker)."""

    def __init__(self, token: str, wait_reports: bool):
        self.token, self.wait_reports = token, wait_reports
        self._inbox = self._stop_event = None

    def __getstate__(self):
        return {"token": self.token, "wait_reports": self.wait_reports}

    def __setstate__(self, state):
        self.__init__(state["token"], state["wait_reports"])

    def _send(self, msg: dict) -> None:
        from distributed import Queue

        if self._inbox is None:
            self._inbox = Queue(_names(self.token)[0])
        self._inbox.put(msg)

    def _answer(self, nonce: str, default: str) -> str:
        from distributed import Queue

        try:
            return str(Queue(reply_name(self.token, nonce)).get(timeout=REPLY_TIMEOUT_S))
        except Exception:  # noqa: BLE001 - a timeout or a lost scheduler: the search is gone
            return default

    def start(self, key: dict) -> str:
        self._send({"kind": "start", "wants_reply": True, **key})
        return self._answer(key["nonce"], "abort")

    def report(self, key: dict, step: int, value, logs: dict) -> str:
        self._send({"kind": "report", "wants_reply": self.wait_reports, **key, "step": step, "value": value,
                    "logs": logs})
        return self._answer(key["nonce"], "stop") if self.wait_reports else "go"

    def stop_requested(self) -> bool:
        from distributed import Event

        if self._stop_event is None:
            self._stop_event = Event(_names(self.token)[1])
        try:
            return bool(self._stop_event.is_set())
        except Exception:  # noqa: BLE001 - the scheduler is gone: nobody wants this fold any more
            return True


class DaskHub:
    """The driver's end: read the folds' messages, answer them, raise the stop flag."""

    def __init__(self, client, token: str):
        from distributed import Event, Queue

        self.client, self.token = client, token
        inbox, stop = _names(token)
        self.inbox = Queue(inbox, client=client)
        self.stop_event = Event(stop, client=client)
        self.stop_event.clear()

    def poll(self, wait: float) -> list[dict]:
        """Every message waiting; when there is none, wait ``wait`` seconds first (a blocking
        get with a timeout would make the scheduler log a traceback at every empty poll)."""
        items = self.inbox.get(batch=True) or []
        if not items and wait > 0:
            time.sleep(wait)
            items = self.inbox.get(batch=True) or []
        return list(items)

    def reply(self, nonce: str, answer: str) -> None:
        from distributed import Queue

        Queue(reply_name(self.token, nonce), client=self.client).put(answer)

    def set_stop(self) -> None:
        self.stop_event.set()

    def close(self) -> None:
        try:
            self.stop_event.set()  # folds still running somewhere end at their next check
        except Exception:  # noqa: BLE001 - the scheduler went away first
            pass
