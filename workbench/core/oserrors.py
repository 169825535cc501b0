"""One sentence for every family of ``OSError``: what went wrong with which path, and what to do.

``describe(e, path, "class folder")`` is used by the readers and writers; ``user_error(e)`` turns
an OSError that escaped a command into a ``WorkbenchError`` (the CLI prints it and exits 2, the GUI
shows it in the panel) instead of a traceback or raw ``[Errno 13]`` text.
"""
from __future__ import annotations

import errno

from workbench.core.errors import WorkbenchError


class FileSystemError(WorkbenchError):
    """A file or folder could not be read or written (permission, missing, full disk, ...)."""


_ADVICE = {
    errno.EACCES: ("permission denied", "change its permissions or choose a place you may use"),
    errno.EPERM: ("the operation is not permitted", "change its permissions or choose a place you may use"),
    errno.ENOENT: ("it does not exist", "check the path"),
    errno.ENOTDIR: ("a part of the path is a file, not a folder", "check the path"),
    errno.EISDIR: ("it is a folder, not a file", "choose a file"),
    errno.EEXIST: ("it already exists", "choose another name or remove it first"),
    errno.ENOTEMPTY: ("the folder is not empty", "choose an empty or new folder"),
    errno.ENOSPC: ("the disk is full", "free some space or choose another disk"),
    errno.EDQUOT: ("the disk quota is used up", "free some space or choose another disk"),
    errno.EROFS: ("the disk is read-only", "choose a folder on a writable disk"),
    errno.ENAMETOOLONG: ("the name is too long", "use a shorter name or path"),
    errno.ELOOP: ("it is a loop of symbolic links", "fix or remove the link"),
    errno.EMFILE: ("too many files are open", "close other programs and try again"),
    errno.ENFILE: ("too many files are open", "close other programs and try again"),
    errno.EIO: ("the disk reported an input/output error", "check the disk or copy the file elsewhere"),
    errno.EBUSY: ("it is in use", "close the program that uses it and try again"),
    errno.ETXTBSY: ("it is in use", "close the program that uses it and try again"),
    errno.EXDEV: ("it is on another disk", "choose a folder on the same disk"),
    errno.EINVAL: ("the name or operation is not valid here", "choose another name or place"),
    errno.EFBIG: ("the file is too large for this disk", "choose another disk"),
}


def describe(e: OSError, path=None, what: str = "file") -> str:
    """'The class folder '/x/cats' cannot be used: permission denied; change its permissions or ...'."""
    where = path if path is not None else (e.filename or "")
    reason, advice = _ADVICE.get(e.errno, (e.strerror or type(e).__name__, "check the path and the disk"))
    if isinstance(e, TimeoutError):
        reason, advice = "it did not answer in time", "check the connection and try again"
    loc = f" {str(where)!r}" if where else ""
    return f"The {what}{loc} cannot be used: {reason}; {advice}."


def user_error(e: OSError, what: str = "file") -> FileSystemError:
    return FileSystemError(describe(e, None, what))
