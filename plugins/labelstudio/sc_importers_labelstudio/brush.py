"""Label Studio's brush masks: its RLE (the ``rle-pack`` bit stream) decoded into a boolean mask
(traced into polygons by :func:`sc_importers.geometry.masks.mask_to_polygons`, shared by every
reader).

The stream starts with the number of values (32 bits), the bits per value minus one (5 bits) and
four run-length field sizes minus one (4 bits each). Then, until every value is out: one bit
"repeat", two bits choosing a field size, the run length minus one in that many bits, and either
one value repeated over the run or as many literal values. The values are the RGBA bytes of the
image, row by row; a pixel is inside the mask when its alpha is not 0.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy is imported where it is used: listing the readers does not load it
    import numpy as np


class BrushError(ValueError):
    """The RLE cannot be decoded; the message says why."""


class _Bits:
    def __init__(self, data: list[int]) -> None:
        import numpy as np

        try:
            self.bits = np.unpackbits(np.asarray(data, dtype=np.uint8))
        except (ValueError, TypeError, OverflowError) as exc:
            raise BrushError(f"rle is not a list of bytes ({exc})") from None
        self.pos = 0

    def read(self, n: int) -> int:
        if self.pos + n > len(self.bits):
            raise BrushError("rle ends before all its values")
        value = 0
        for bit in self.bits[self.pos:self.pos + n]:
            value = (value << 1) | int(bit)
        self.pos += n
        return value


def decode_brush(rle: list[int], width: int, height: int) -> np.ndarray:
    """The boolean ``height x width`` mask of a brush RLE (alpha channel not 0)."""
    bits = _Bits(rle)
    count = bits.read(32)
    if count != width * height * 4:
        raise BrushError(f"rle holds {count} values, a {width}x{height} RGBA image has {width * height * 4}")
    word = bits.read(5) + 1
    sizes = [bits.read(4) + 1 for _ in range(4)]
    import numpy as np

    out = np.zeros(count, dtype=np.uint8)
    i = 0
    while i < count:
        repeat = bits.read(1)
        end = min(count, i + 1 + bits.read(sizes[bits.read(2)]))
        if repeat:
            out[i:end] = bits.read(word)
            i = end
        else:
            while i < end:
                out[i] = bits.read(word)
                i += 1
    return out.reshape(height, width, 4)[:, :, 3] > 0

