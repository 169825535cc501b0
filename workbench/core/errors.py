"""Errors a user can cause. Each message says what went wrong and what to do.

The GUI shows them in the panel; the CLI prints the message and exits with status 2.
"""


class WorkbenchError(Exception):
    """Base class for errors caused by user input or missing devices (not bugs)."""


class DataError(WorkbenchError):
    """Bad data source: missing path, empty folder, unknown column, single class, ..."""


class SplitError(WorkbenchError):
    """A split that cannot be made (K larger than the data, fractions that do not fit, ...)."""


class SpecError(WorkbenchError):
    """A model spec that cannot work with the data. ``layer_index`` names the offending layer."""

    def __init__(self, message: str, layer_index: int | None = None):
        super().__init__(message)
        self.layer_index = layer_index


class TrainingError(WorkbenchError):
    """Training could not go on (NaN loss, shape mismatch caught before training, ...)."""


class DeviceUnavailable(WorkbenchError):
    """A camera, microphone, GPU or optional library is not there."""


class ProjectError(WorkbenchError):
    """A damaged, unreadable or newer-version project / run file."""


class Cancelled(WorkbenchError):
    """The user stopped a long job (import, generation, experiment). Not a failure: GUIs show
    "stopped", the CLI exits quietly. Subclass it together with a more specific error if useful."""
