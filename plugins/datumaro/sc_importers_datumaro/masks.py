"""Binary masks (Datumaro ``Mask`` annotations) to polygons with the area of their pixels.

SC 1.0 has no mask shape, so each 4-connected region of a mask becomes one polygon: its outer
boundary walked along pixel *edges* (pixel ``(x, y)`` covers the square ``(x, y)-(x+1, y+1)``).
Tracing through pixel centres, as OpenCV's ``findContours`` does, shrinks every region by half
a pixel all round, so a region one pixel thick traces to a line of zero area and was lost (the
CamVid, Cityscapes and KITTI test masks of 1-4 pixels). On the edge grid a single pixel is a unit
square and every region has the area of its pixel count minus its holes' (SC polygons have no
holes: they are filled). Pixels touching only at a corner are separate regions, as in the coco
reader's RLE tracing, so both readers give the same polygons for the same mask.
"""

from __future__ import annotations

import numpy as np

from sc_importers.model import Polygon

Point = tuple[int, int]


def _right_of(direction: Point) -> Point:
    """The direction 90 degrees clockwise on screen (y points down)."""
    return (-direction[1], direction[0])


def trace_outer_boundary(region: np.ndarray) -> list[Point]:
    """Corners of the outer boundary of one 4-connected region, clockwise on screen.

    ``region`` is a boolean array holding exactly one 4-connected region. The walk starts at the
    top-left corner of the region's first pixel (row-major order), going +x with the region on its
    right, and keeps the region on its right: where the pixel ahead-right is outside it turns right
    (so, where two pixels touch only at a corner, it stays with the pixel it walked along), where
    the pixel ahead-left is inside it turns left, else it goes straight on.
    """
    padded = np.pad(np.asarray(region, dtype=bool), 1)  # pixel (x, y) is padded[y + 1, x + 1]

    def inside(x: int, y: int) -> bool:
        return bool(padded[y + 1, x + 1])

    ys, xs = np.nonzero(padded)
    start: Point = (int(xs[0]) - 1, int(ys[0]) - 1)  # row-major first pixel: its top-left corner
    direction: Point = (1, 0)  # arriving there going up: the start is a corner
    here = start
    corners: list[Point] = [start]
    while True:
        here = (here[0] + direction[0], here[1] + direction[1])
        if here == start:  # only one of the four pixels at the start is inside: visited once
            break
        right = _right_of(direction)
        # the pixels ahead of the corner ``here``, right and left of the walking direction
        ahead_right = inside(here[0] + (direction[0] + right[0] - 1) // 2, here[1] + (direction[1] + right[1] - 1) // 2)
        ahead_left = inside(here[0] + (direction[0] - right[0] - 1) // 2, here[1] + (direction[1] - right[1] - 1) // 2)
        if not ahead_right:
            turn = right
        elif ahead_left:
            turn = (-right[0], -right[1])
        else:
            continue
        corners.append(here)
        direction = turn
    return corners


def mask_to_polygons(mask: object) -> list[Polygon]:
    """One polygon per 4-connected region of a binary mask, in pixel coordinates (holes filled)."""
    import cv2

    image = np.asarray(mask).astype(np.uint8) != 0
    if image.ndim != 2 or not image.any():
        return []
    count, labels, stats, _ = cv2.connectedComponentsWithStats(image.astype(np.uint8), connectivity=4)
    polygons = []
    for index in range(1, count):
        x0, y0, w, h = (int(v) for v in stats[index, :4])
        region = labels[y0 : y0 + h, x0 : x0 + w] == index
        corners = trace_outer_boundary(region)
        if len(corners) >= 3:
            polygons.append(Polygon(tuple((float(x + x0), float(y + y0)) for x, y in corners)))
    return polygons
