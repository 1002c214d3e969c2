"""CVAT ``<mask>`` elements: CVAT's RLE over the mask's box, traced by sc_importers.geometry.masks on the
pixel-corner grid (each region's polygon has the area of its pixels, one pixel thin included)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from sc_importers_cvat.shapes import convert_shape

from sc_importers.model import Polygon


def test_mask_regions_become_polygons_of_their_pixels_offset_by_the_box() -> None:
    # a 4x3 box at (10, 20): row 0 = 1 1 1 1 (a line one pixel thin), row 1 empty, row 2 = 0 0 1 0
    el = ET.fromstring('<mask label="x" left="10" top="20" width="4" height="3" rle="0, 4, 6, 1, 1"/>')
    shapes = convert_shape(el)
    assert shapes == [
        Polygon(((10.0, 20.0), (14.0, 20.0), (14.0, 21.0), (10.0, 21.0))),
        Polygon(((12.0, 22.0), (13.0, 22.0), (13.0, 23.0), (12.0, 23.0))),
    ]
    assert [s.area for s in shapes] == [4.0, 1.0]  # traced through pixel centres: no polygon at all
