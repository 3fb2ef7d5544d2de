"""Exceptions raised by trampoline.

Every error trampoline raises derives from ``TrampolineError`` except
``Cancelled``, which derives from ``BaseException`` on purpose: a task's
``except Exception:`` clause must not swallow its own cancellation, so the
``finally`` blocks above it still run and the task really ends.
"""

from typing import Any, Optional

__all__ = ["TrampolineError", "TaskError", "Cancelled", "ResourceBusy"]


class TrampolineError(Exception):
    """Base class of the errors trampoline raises."""


class TaskError(TrampolineError):
    """``join`` raises this when the joined task failed or was cancelled.

    The task's own exception is ``__cause__``; the task is ``.task``.
    """

    def __init__(self, message: str, task: Optional[Any] = None) -> None:
        super().__init__(message)
        self.task = task


class Cancelled(BaseException):
    """Raised inside a task, at the trap where it is blocked, to cancel it.

    ``write`` sets ``bytes_written`` on it when it is cancelled midway.
    """

    bytes_written = 0


class ResourceBusy(TrampolineError):
    """Two tasks tried to wait on the same file descriptor for the same
    direction (two readers, or two writers) at once."""
