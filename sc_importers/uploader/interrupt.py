"""Ctrl-C during an upload, turned from an exception into a request to stop.

A ``KeyboardInterrupt`` raised at an arbitrary bytecode of the main thread can land between
"the worker's request reached the server" and "the main thread wrote the result down" (for
example between ``pool.submit`` and storing the future). The media then exists on the server
but not in the summary, and ``--resume`` would be the only way to learn about it. While an
upload runs, the first SIGINT therefore only sets an event that the upload loop checks at safe
points; a second SIGINT raises ``KeyboardInterrupt`` at once for a user who does not want to wait.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


@contextmanager
def ctrl_c_sets(event: threading.Event) -> Iterator[bool]:
    """While active, the first Ctrl-C sets ``event`` instead of raising; yields whether the
    handler could be installed (only the main thread may install one, and only over Python's
    default handler; elsewhere Ctrl-C keeps raising ``KeyboardInterrupt``)."""
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield False
        return

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        if event.is_set():  # the second Ctrl-C: stop now, whatever is in flight
            raise KeyboardInterrupt
        event.set()

    signal.signal(signal.SIGINT, on_sigint)
    try:
        yield True
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
