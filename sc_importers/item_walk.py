"""The dry run's walk over a dataset's items: each item checked and added to the report's tallies,
split over forked processes on a machine with more than one CPU.

The checks and the tallies (the report's counts, conversion counts, names, problems) are Python
code holding the interpreter lock, so threads run them one at a time: a train2017-size dry run
kept one core busy and left the other idle. On Linux with more than one CPU, :func:`walk` forks
one process per CPU (at most :data:`MAX_PROCESSES`) before any thread starts; each inherits the
dataset (a lazily read one too), the checker and the tallies, and is given chunks of item
positions: it builds those items, checks them one after the other and adds them to fresh, empty
tallies (:meth:`Tally.fresh`), whose sums (:meth:`Tally.partial`) it sends back. This process
merges the sums in chunk order (:meth:`Tally.merge`), so the tallies end as a walk in one process
leaves them, lists in the items' order included. Items are built once, in the process that checks
them, so a polygon's area and box are computed once for the checks and the conversion.

Threads checking one item after another cost more CPU than they save (a quarter train2017 file
took 4.8-4.9 s of CPU to check in one thread, 8.3-10.8 s in eight, on a warm page cache), so a
checking process has none. Elsewhere (no ``fork``, one CPU, fewer than :data:`PROCESS_MIN_ITEMS`
items) the walk runs in this process, checking in threads (:func:`checked_in_parallel`: files on
a cold disk are waited for several at a time).

Only items built on demand (a reader's lazy sequence, such as the coco reader's) are walked in
processes: each process builds its own. Items held in a list would be shared with the processes page
by page, and every reference count and cached polygon area a process writes copies the page: a CVAT
dataset of 20,000 items held 908 MB (proportional set size of all processes) walked in processes
against 422 MB in one, for no measurable gain in time.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any, Protocol

from sc_importers.item_checks import ItemVerdict, checked_in_parallel

if TYPE_CHECKING:
    from sc_importers.column_checks import ColumnScreen
    from sc_importers.columns import ItemColumns
    from sc_importers.model import MediaItem

#: Fewer items than this are walked in this process: forking costs about 0.1 s, checking 2,000
#: items about 0.5 s.
PROCESS_MIN_ITEMS = 2000
#: Items per chunk a walking process is given at a time.
CHUNK = 500
#: The most walking processes.
MAX_PROCESSES = 4


class Tally(Protocol):
    """What a walk adds up item by item, in a form that splits over processes."""

    def tally(self, item: MediaItem, verdict: ItemVerdict) -> None:
        """Add ``item``, whose check gave ``verdict``."""

    def fresh(self) -> Tally:
        """An empty tally of the same kind and settings (a walking process adds its chunk to it)."""

    def partial(self) -> Any:
        """What was added, as plain picklable data (sent back from a walking process)."""

    def merge(self, partial: Any) -> None:
        """Add another tally's :meth:`partial`, of items that come after those added so far."""


class ColumnTally(Tally, Protocol):
    """A tally that can also add screened items from a dataset held as arrays (in a walk with a
    :class:`~sc_importers.column_checks.ColumnScreen`; a tally that is not one gets them built)."""

    def counts_columns(self) -> bool:
        """Whether :meth:`count` can be called."""

    def count(self, columns: ItemColumns, items: list[int], bare: list[MediaItem],
              verdicts: list[ItemVerdict]) -> None:
        """Add the items ``items`` of ``columns`` (consecutive screened ones), which ``bare`` are
        without annotations, whose checks (of the file only: their annotations pass) gave ``verdicts``."""


#: A walking process still at work this many seconds after it was told to stop is stuck on one item
#: (a file on a disk that does not answer) and is killed.
STOP_SECONDS = 5.0

#: What the forked processes walk: set just before forking, cleared when the walk ends; the last
#: member is the flag this process sets to stop them (shared memory).
_forked: tuple[Sequence[MediaItem], Callable[[MediaItem], ItemVerdict], Sequence[Tally],
               ColumnScreen | None, Any] | None = None


def processes_for(count: int) -> int:
    """How many walking processes :func:`walk` forks for ``count`` items (0: it walks in this one)."""
    if count < PROCESS_MIN_ITEMS or sys.platform != "linux" or "fork" not in multiprocessing.get_all_start_methods():
        return 0
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return 0 if cpus < 2 else min(MAX_PROCESSES, cpus)


def walk(items: Sequence[MediaItem], check: Callable[[MediaItem], ItemVerdict], tallies: Sequence[Tally],
         progress: Callable[[int], object] = lambda n: None, screen: ColumnScreen | None = None) -> None:
    """Check every item and add it with its verdict to every tally, in the items' order as far as the
    tallies can tell; ``progress`` is called with the number of items done, now and then.

    With a ``screen`` of the items' arrays, a walk in processes checks the items it finds clean for
    their file only and lets each :class:`ColumnTally` count them from the arrays (:func:`_walk_span`);
    a walk in this process does not use it (its threads wait for several files at a time, a walking
    process waits for one).
    Stops the processes on the way out, also when a tally or Ctrl-C interrupts the walk."""
    processes = 0 if isinstance(items, (list, tuple)) else processes_for(len(items))
    if not processes:
        for item, verdict in checked_in_parallel(items, check):
            for tally in tallies:
                tally.tally(item, verdict)
            progress(1)
        return
    global _forked
    context = multiprocessing.get_context("fork")
    stopping = context.RawValue("b", 0)
    _forked = (items, check, tallies, screen, stopping)  # the processes are forked with it
    before = set(multiprocessing.active_children())
    # with "fork" the pool starts every process at the first submit, before its own manager thread
    pool = ProcessPoolExecutor(processes, mp_context=context, initializer=_ignore_interrupts)
    try:
        chunks = [(start, min(start + CHUNK, len(items))) for start in range(0, len(items), CHUNK)]
        for (start, stop), partials in zip(chunks, pool.map(_walk_chunk, chunks), strict=True):
            for tally, partial in zip(tallies, partials, strict=True):
                tally.merge(partial)
            progress(stop - start)
    except BrokenProcessPool as exc:
        raise WalkFailed("a process checking the items ended without finishing (out of memory?); "
                         "nothing was changed, run it again") from exc
    except BaseException:  # a tally's error or Ctrl-C: each process stops at its next item
        # (not killed at once: one killed while sending a chunk's sums left half a message in the
        # pool's result pipe, and the pool waited for the rest forever). The pool ends them and
        # waits for them, alone (two threads waiting for one process can each believe it alive).
        stopping.value = 1
        watchdog = threading.Timer(STOP_SECONDS, _terminate, (set(multiprocessing.active_children()) - before,))
        watchdog.daemon = True
        watchdog.start()
        try:
            pool.shutdown(wait=True, cancel_futures=True)
        finally:
            watchdog.cancel()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        _forked = None


class WalkFailed(RuntimeError):
    """A walking process died (killed, out of memory): the walk cannot be completed."""


def _terminate(children: set[multiprocessing.process.BaseProcess]) -> None:
    """End walking processes still at work :data:`STOP_SECONDS` after they were told to stop: each is
    stuck on one item (a file on a disk that does not answer), not sending anything."""
    for child in children:
        child.terminate()


class WalkStopped(Exception):
    """In a walking process: the walk was stopped (what it was doing is not needed any more)."""


def _ignore_interrupts() -> None:
    """In a walking process: Ctrl-C is this process's to handle (it stops the pool), not the
    children's (each would print a traceback)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _walk_chunk(bounds: tuple[int, int]) -> list[Any]:
    """In a walking process: the tallies' partials of the items ``start:stop``."""
    assert _forked is not None, "a walking process is forked with the items to walk"
    items, check, tallies, screen, stopping = _forked
    mine = [tally.fresh() for tally in tallies]
    if screen is not None:
        _walk_span(items, check, mine, screen, *bounds, stopping)
        return [tally.partial() for tally in mine]
    for n in range(*bounds):
        if stopping.value:
            raise WalkStopped
        item = items[n]
        verdict = check(item)
        for tally in mine:
            tally.tally(item, verdict)
    return [tally.partial() for tally in mine]


def _walk_span(items: Sequence[MediaItem], check: Callable[[MediaItem], ItemVerdict], tallies: Sequence[Tally],
               screen: ColumnScreen, start: int, stop: int, stopping: Any) -> None:
    """Walk the items ``start:stop`` with ``screen``: a clean item is checked without its annotations
    (they pass) and handed to each :class:`ColumnTally` (:meth:`ColumnTally.count`, with the clean
    items next to it); the other tallies get it built whole, with that verdict. An item that is not
    clean is built and walked whole. Every tally gets the items in order."""
    clean = screen.clean(start, stop).tolist()
    by_columns = [t for t in tallies if getattr(t, "counts_columns", lambda: False)()]
    by_item = [t for t in tallies if t not in by_columns]
    run: list[int] = []
    bare: list[MediaItem] = []
    verdicts: list[ItemVerdict] = []
    for n in range(start, stop + 1):
        if stopping.value:
            raise WalkStopped
        if n < stop and clean[n - start]:
            run.append(n)
            bare.append(screen.columns.bare_item(n))
            verdicts.append(check(bare[-1]))
            if by_item:
                item = items[n]
                for tally in by_item:
                    tally.tally(item, verdicts[-1])
            continue
        if run:
            for tally in by_columns:
                tally.count(screen.columns, run, bare, verdicts)  # type: ignore[attr-defined]
            run, bare, verdicts = [], [], []
        if n < stop:
            item = items[n]
            verdict = check(item)
            for tally in tallies:
                tally.tally(item, verdict)
