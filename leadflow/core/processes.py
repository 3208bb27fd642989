"""Child processes that must not outlive the process that started them."""

from __future__ import annotations

import ctypes
import signal

_PR_SET_PDEATHSIG = 1


def die_with_parent(signal_number: int = signal.SIGTERM) -> None:
    """In a child: have Linux send ``signal_number`` when the parent goes, however it goes.

    A no-op where ``prctl`` is not available.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal_number)
    except (OSError, AttributeError):
        pass
