"""Per-item upload state and the progress bars.

Every source item the uploader handles gets one :class:`ItemProgress`: whether its media exists on
the server (``media_id``), whether it was already there (``resumed``), how many annotations were
posted for it and, when it failed, why. ``--resume`` rebuilds what it needs from the server itself
(:mod:`.resume`), so no journal on the client has to survive a crash.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass

from tqdm import tqdm

from sc_importers.terminal import progress_wanted


@dataclass
class ItemProgress:
    """What happened to one source item (``key`` is :attr:`sc_importers.model.MediaItem.key`).

    ``annotations_posted`` counts annotation shapes (or image-level annotations) the server
    accepted, video frames included. ``error`` is None for an item that was fully created.
    ``resumed`` is True when the media was already on the server before this run (``--resume``):
    ``media_id`` is then that media's id and ``annotations_posted`` counts only what this run added.
    """

    key: str
    media_id: str | None = None
    annotations_posted: int = 0
    error: str | None = None
    kind: str = "image"
    frames_posted: int = 0
    resumed: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None and self.media_id is not None


class ProgressBars:
    """Two tqdm bars on stderr (media uploaded, annotations posted), safe to update from threads.

    ``enabled=None`` shows them only when stderr is a terminal, so logs and pipes stay clean.
    ``total_annotations`` is the number of source annotations: the bar's estimate, since a project
    type may post more (a chain's parents) or fewer shapes; at the end the bar's total is what was
    posted, so it ends at 100% instead of an open count.
    """

    def __init__(self, total_media: int, enabled: bool | None = None, total_annotations: int | None = None):
        disable = not progress_wanted() if enabled is None else not enabled
        self._lock = threading.Lock()
        self.media = tqdm(total=total_media, desc="media", unit="item", file=sys.stderr,
                          disable=disable, position=0, dynamic_ncols=True)
        self.annotations = tqdm(total=total_annotations, desc="annotations", unit="ann", file=sys.stderr,
                                disable=disable, position=1, dynamic_ncols=True)

    def media_done(self, n: int = 1) -> None:
        with self._lock:
            self.media.update(n)

    def annotations_done(self, n: int) -> None:
        with self._lock:
            self.annotations.update(n)

    def close(self) -> None:
        """End both bars clean: their totals become what was done (items past a stop, items that
        failed, an annotation total that was unknown or an estimate)."""
        if not self.media.disable and self.media.total != self.media.n:
            self.media.total = self.media.n
            self.media.refresh()
        if not self.annotations.disable and self.annotations.total != self.annotations.n:
            self.annotations.total = self.annotations.n
            self.annotations.refresh()
        self.annotations.close()
        self.media.close()
