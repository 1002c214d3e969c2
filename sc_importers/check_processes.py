"""The dry run's per-item checks on a second CPU: a forked process checks the items while the walk
that feeds the report (counts, conversions, names) goes on in this one.

The checks and the report's walk are Python code holding the interpreter lock, so threads run them
one at a time: a train2017-size dry run kept one core busy and left the other idle. On Linux with
more than one CPU, :func:`checked_items` forks ``CPUs - 1`` checking processes (at most
:data:`MAX_PROCESSES`) before any thread starts; each inherits the dataset (a lazily read one too)
and the checker, builds the items of the chunks it is given and checks them one after the other
(threads there cost more CPU than they saved: a quarter train2017 file took 4.8-4.9 s of CPU to
check in one thread, 8.3-10.8 s in eight, on a warm page cache), and sends back only the
verdicts. This process builds the items again for its own walk and pairs them with the verdicts
in order, so a caller sees exactly what the threaded walk gives.

Elsewhere (no ``fork``, one CPU, fewer than :data:`PROCESS_MIN_ITEMS` items) the threaded walk runs
alone.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from sc_importers.item_checks import ItemVerdict, checked_in_parallel

if TYPE_CHECKING:
    from multiprocessing.pool import Pool

    from sc_importers.model import MediaItem

#: Fewer items than this are checked in threads only: forking costs about 0.1 s, checking 2,000
#: items about 0.5 s.
PROCESS_MIN_ITEMS = 2000
#: Items per chunk a checking process is given at a time.
CHUNK = 500
#: The most checking processes (the report's walk in this process needs a CPU too).
MAX_PROCESSES = 3

#: What the forked processes check: set just before forking, so each child holds its copy.
_forked: tuple[Sequence[MediaItem], Callable[[MediaItem], ItemVerdict]] | None = None


def processes_for(count: int) -> int:
    """How many checking processes :func:`checked_items` forks for ``count`` items (0: threads only)."""
    if count < PROCESS_MIN_ITEMS or sys.platform != "linux" or "fork" not in multiprocessing.get_all_start_methods():
        return 0
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(0, min(MAX_PROCESSES, cpus - 1))


@contextmanager
def checked_items(items: Sequence[MediaItem], check: Callable[[MediaItem], ItemVerdict]
                  ) -> Iterator[Iterator[tuple[MediaItem, ItemVerdict]]]:
    """``(item, check(item))`` for every item in order, checked in forked processes when
    :func:`processes_for` allows, else in threads (:func:`checked_in_parallel`).

    The processes are forked on entering, before the caller starts a thread (a progress bar's),
    and stopped on leaving, also when the walk stops early or Ctrl-C interrupts it."""
    processes = processes_for(len(items))
    if not processes:
        yield checked_in_parallel(items, check)
        return
    global _forked
    _forked = (items, check)  # kept while the pool lives: a worker the pool replaces is forked again
    try:
        pool = multiprocessing.get_context("fork").Pool(processes, initializer=_ignore_interrupts)
        try:
            yield _paired(items, pool)
        finally:
            pool.terminate()
            pool.join()
    finally:
        _forked = None


def _paired(items: Sequence[MediaItem], pool: Pool) -> Iterator[tuple[MediaItem, ItemVerdict]]:
    """The items, built here, each with its verdict from the checking processes."""
    chunks = [(start, min(start + CHUNK, len(items))) for start in range(0, len(items), CHUNK)]
    walk = iter(items)
    for verdicts in pool.imap(_check_chunk, chunks):
        for verdict in verdicts:
            yield next(walk), verdict


def _ignore_interrupts() -> None:
    """In a checking process: Ctrl-C is this process's to handle (it stops the pool), not the
    children's (each would print a traceback)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _check_chunk(bounds: tuple[int, int]) -> list[ItemVerdict]:
    """In a checking process: the verdicts of the items ``start:stop``."""
    assert _forked is not None, "a checking process is forked with the items to check"
    items, check = _forked
    start, stop = bounds
    return [check(items[n]) for n in range(start, stop)]
