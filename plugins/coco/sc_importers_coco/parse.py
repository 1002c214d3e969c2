"""Parsing one COCO json into compact records: msgspec structs over a memory map of the file.

A train2017-size file (290 MB, 800,000 annotations) parsed by :func:`json.load` into dicts costs
several times the file size in memory and most of a reading's time; decoded by msgspec into the
structs below it costs about the file size and well under a second per 100 MB. Only what the
reader uses is decoded: each annotation's ``segmentation``, ``bbox`` and ``keypoints`` stay
:class:`msgspec.Raw` (a view into the mapped file), decoded when the item they belong to is produced.

Every field is typed ``Any`` or ``Raw``, so a string where a number is expected still decodes and
gets today's per-annotation problem from the converter. What the strict decode cannot take (an
annotation or image that is not an object) falls back to decoding element by element, and what
msgspec refuses as JSON but Python's ``json`` reads (``NaN``, ``Infinity``) falls back to
:func:`json.loads`; both give the records the same ``get`` interface as a dict.
"""

from __future__ import annotations

import json
import mmap
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from sc_importers.formats import FormatError
from sc_importers_coco.convert import FloatParts

_SEGMENTATION = msgspec.json.Decoder(list[list[float]])
_ANY = msgspec.json.Decoder()


class Image(msgspec.Struct, gc=False):
    """One ``images`` entry: only the fields the reader uses (others are skipped while decoding)."""

    id: Any = None
    file_name: Any = None
    width: Any = None
    height: Any = None

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key, default)


class Annotation(msgspec.Struct, gc=False):
    """One ``annotations`` entry; the geometry stays undecoded (:class:`msgspec.Raw`) until used."""

    id: Any = None
    image_id: Any = None
    category_id: Any = None
    iscrowd: Any = None
    segmentation: msgspec.Raw = None  # type: ignore[assignment]
    bbox: msgspec.Raw = None  # type: ignore[assignment]
    keypoints: msgspec.Raw = None  # type: ignore[assignment]
    segments_info: msgspec.Raw = None  # type: ignore[assignment]

    def get(self, key: str, default: Any = None) -> Any:
        """The field as :func:`json.load` would have given it (polygons as lists of floats)."""
        value = getattr(self, key, default)
        if not isinstance(value, msgspec.Raw):
            return value
        if key == "segmentation":
            try:
                return FloatParts(_SEGMENTATION.decode(value))
            except msgspec.ValidationError:
                pass
        return _ANY.decode(value)


class _Strict(msgspec.Struct):
    images: list[Image]
    annotations: list[Annotation] = []
    categories: list[Any] = []


class _Loose(msgspec.Struct):
    images: list[msgspec.Raw]
    annotations: list[msgspec.Raw] = []
    categories: list[Any] = []


@dataclass
class CocoFile:
    """A parsed annotation file. ``images`` and ``annotations`` hold records with a dict's ``get``
    (structs, or dicts and other values when the file had to be read tolerantly)."""

    images: list
    annotations: list
    categories: list


def load(path: Path) -> CocoFile:
    """Parse one COCO json; a FormatError names the file and, for bad JSON, the line and column."""
    try:
        with open(path, "rb") as f:
            size = f.seek(0, 2)
            buffer: Any = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
    except OSError as exc:
        raise FormatError(f"{path}: cannot be read: {exc}") from exc
    if bytes(buffer[:3]) == b"\xef\xbb\xbf":  # as Python's json, which wrote most COCO files, refuses it
        raise FormatError(f"{path}: not valid JSON: it starts with a UTF-8 byte-order mark (BOM); "
                          "save it without one")
    try:
        try:
            parsed = msgspec.json.decode(buffer, type=_Strict)
            coco = CocoFile(parsed.images, parsed.annotations, parsed.categories)
        except msgspec.ValidationError:
            coco = _tolerant(path, buffer)
        except msgspec.DecodeError as exc:
            coco = _not_msgspec_json(path, buffer, exc)
    except UnicodeDecodeError as exc:  # a string in another encoding (latin-1 ...)
        raise FormatError(f"{path}: not valid UTF-8 JSON: {exc}") from exc
    first = coco.annotations[0] if coco.annotations else None
    if isinstance(first, (Annotation, dict)) and first.get("segments_info") is not None:
        raise FormatError(f"{path}: COCO panoptic annotations (segments_info + PNG) are not supported")
    return coco


def _tolerant(path: Path, buffer: Any) -> CocoFile:
    """Element by element: records for what has the expected shape, the decoded value otherwise."""
    try:
        loose = msgspec.json.decode(buffer, type=_Loose)
    except msgspec.ValidationError:
        return _checked(path, _ANY.decode(buffer))
    return CocoFile([_record(raw, Image) for raw in loose.images],
                    [_record(raw, Annotation) for raw in loose.annotations], loose.categories)


def _record(raw: msgspec.Raw, kind: type) -> Any:
    try:
        return msgspec.json.decode(raw, type=kind)
    except msgspec.ValidationError:
        return _ANY.decode(raw)


_BYTE = re.compile(r"\s*\(byte (\d+)\)$")


def _not_msgspec_json(path: Path, buffer: Any, exc: msgspec.DecodeError) -> CocoFile:
    """Bad JSON as a FormatError with line and column, except NaN/Infinity (valid to Python's json,
    which wrote them): that file is read with :func:`json.loads`, as before."""
    match = _BYTE.search(str(exc))
    position = int(match.group(1)) if match else None
    if position is not None and bytes(buffer[position:position + 9]).lstrip(b"-").startswith((b"NaN", b"Infinity")):
        try:
            return _checked(path, json.loads(bytes(buffer)))
        except (json.JSONDecodeError, UnicodeDecodeError):
            pass
    message = _BYTE.sub("", str(exc)).removeprefix("JSON is malformed: ")
    if position is None and "truncated" in message:  # msgspec gives no position: the end of the file
        position = len(buffer)
        message = "the file ends before the JSON does" if position else "the file is empty"
    if position is None:
        raise FormatError(f"{path}: not valid JSON: {message}") from exc
    line = bytes(buffer[:position]).count(b"\n") + 1
    column = position - (buffer.rfind(b"\n", 0, position) + 1) + 1
    raise FormatError(
        f"{path}: not valid JSON: {message} at line {line}, column {column} (byte {position})") from exc


def _checked(path: Path, data: object) -> CocoFile:
    """The generic decode of a file the structs could not take, with the reasons it is not COCO."""
    if not isinstance(data, dict) or not isinstance(data.get("images"), list):
        raise FormatError(f"{path}: not a COCO annotation file (no top-level 'images' list)")
    for key in ("annotations", "categories"):
        if not isinstance(data.get(key, []), list):
            raise FormatError(f"{path}: '{key}' must be a list")
    return CocoFile(data["images"], data.get("annotations", []), data.get("categories", []))
