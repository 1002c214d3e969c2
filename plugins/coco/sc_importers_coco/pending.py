"""The packing of a COCO file still going on in a thread while its first items are uploaded.

:meth:`CocoReader.read_streaming <sc_importers_coco.reader.CocoReader.read_streaming>` returns once
the last annotation file is parsed and indexed (a train2017-size file: under 2 s of its 4-5 s of
reading) and packs that file's items in a thread of its own, a batch of images at a time, in image
order. :class:`Packing` is how the items (:class:`~sc_importers_coco.items.CocoItems`) and the
dataset wait for it: item ``n`` is handed out once its batch is packed, and by then the problems
the reader found in it are in ``Dataset.problems`` already (they are appended before the batch is
published), so an import skips an item with a reader error exactly as after a full read.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class Packing:
    """How far a file's items are packed: ``ready`` items, then ``done`` (the file's last problems
    reported too), or the error that stopped the thread, raised again to whoever waits."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.ready = 0
        self.done = False
        self.error: BaseException | None = None
        self._changed = threading.Condition()

    def publish(self, ready: int) -> None:
        """The first ``ready`` items (and their problems) are packed."""
        with self._changed:
            self.ready = ready
            self._changed.notify_all()

    def end(self, error: BaseException | None = None) -> None:
        """Packing ended: every item and problem is in place, or ``error`` stopped it."""
        with self._changed:
            self.done, self.error = True, error
            self._changed.notify_all()

    def wait_for(self, n: int) -> None:
        """Block until item ``n`` is packed (``n == total``: until packing is done); raises the
        error that stopped the packing, if any did before item ``n``."""
        if n < self.ready:  # read without the lock: ``ready`` only grows
            return
        with self._changed:
            self._changed.wait_for(lambda: n < self.ready or self.done)
        if self.error is not None and not n < self.ready:
            raise self.error

    def start(self, work: Callable[[Callable[[int], None]], None], name: str) -> None:
        """Run ``work(publish)`` in a daemon thread (an interrupted import does not wait for it to
        end), ending this packing when it returns or raises."""

        def run() -> None:
            try:
                work(self.publish)
            except BaseException as exc:  # handed to the waiting thread, which reports it
                self.end(exc)
            else:
                self.end()

        threading.Thread(target=run, name=name, daemon=True).start()
