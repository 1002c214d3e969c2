"""COCO RLE segmentations decoded into boolean masks (tracing them into polygons is
:func:`sc_importers.geometry.masks.mask_to_polygons`, shared by every reader)."""

from __future__ import annotations

import warnings

import numpy as np
from pycocotools import mask as mask_utils


def decode_rle(segmentation: dict, height: int | None, width: int | None) -> np.ndarray:
    """Decode a COCO RLE segmentation (compressed string or uncompressed list ``counts``).

    The RLE's own ``size`` ([height, width]) wins over the image size; raises ValueError on a
    malformed RLE.
    """
    size = segmentation.get("size") or [height, width]
    if len(size) != 2 or size[0] is None or size[1] is None:
        raise ValueError("RLE has no 'size' and the image size is unknown")
    h, w = int(size[0]), int(size[1])
    counts = segmentation.get("counts")
    if isinstance(counts, list):
        if sum(int(c) for c in counts) != h * w:
            raise ValueError(f"uncompressed RLE counts sum to {sum(counts)}, expected {h}x{w}={h * w}")
        # types-pycocotools lists only the compressed RLE dict; pycocotools also takes uncompressed counts
        rle = mask_utils.frPyObjects({"counts": counts, "size": [h, w]}, h, w)  # type: ignore[call-overload]
    elif isinstance(counts, (str, bytes)):
        rle = {"counts": counts.encode("ascii") if isinstance(counts, str) else counts, "size": [h, w]}
    else:
        raise ValueError("RLE 'counts' must be a list or a string")
    with warnings.catch_warnings():  # pycocotools 2.0.x under numpy 2: a harmless DeprecationWarning
        warnings.simplefilter("ignore", DeprecationWarning)
        return np.asarray(mask_utils.decode(rle), dtype=bool)
