"""Reader for labelme JSON folders (wkentaro/labelme, file versions 3-5).

A dataset is every ``*.json`` under the given folder (recursively, hidden folders skipped) that has
``shapes`` and ``imagePath``; other JSON files (a COCO export beside the data, ...) are named in one
warning and otherwise left alone. A single labelme JSON file can be read too. Media are keyed by the
image path relative to the dataset folder. See :mod:`.document` (one file), :mod:`.shapes` (shape
conversion) and :mod:`.labels` (label lists and groups).

Problems never stop the read: broken JSON is an error for that file (the others are read); a second
JSON for an image already annotated by another is an error naming both (the later one is not
imported); ``point``/``line``/``linestrip`` shapes and shapes labelled ``__ignore__`` /
``_background_`` give one warning per kind per dataset with their count.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

import msgspec

from sc_importers.formats import Detection, FormatError, FormatReader
from sc_importers.model import Dataset, Problem
from sc_importers_labelme.document import FileResult, is_labelme, media_key, read_document, resolve_image
from sc_importers_labelme.labels import FLAGS_FILE, LABELS_FILE, build_labels, find_list_file, read_name_list

#: How many JSON files detection parses at most.
DETECT_FILES = 3
#: How many file names a summarising warning lists before "and N more".
LISTED = 5


def json_files(root: Path) -> Iterator[Path]:
    """Every ``*.json`` under ``root``, sorted, skipping hidden files and folders; lazily, so that
    detection stops walking a large tree after the first few."""
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.lower().endswith(".json") and not name.startswith("."):
                yield Path(folder) / name


def _listed(names: list[str]) -> str:
    more = f" and {len(names) - LISTED} more" if len(names) > LISTED else ""
    return ", ".join(names[:LISTED]) + more


class _Keys(msgspec.Struct):
    """The two top-level values detection looks at; msgspec skips everything else without building it."""

    shapes: msgspec.Raw = None  # type: ignore[assignment]
    imagePath: msgspec.Raw = None  # type: ignore[assignment]  # noqa: N815 (labelme's key)


def _has_labelme_keys(path: Path) -> bool:
    """Whether ``path`` is a JSON object with a ``shapes`` list and an ``imagePath``: decoded into
    :class:`_Keys`, so that a large json of another format (a 300 MB COCO file) costs a fast skim,
    not a full parse into dicts (seconds and several times its size in memory)."""
    try:
        keys = msgspec.json.decode(path.read_bytes(), type=_Keys)
    except OSError:
        return False
    except (msgspec.ValidationError, msgspec.DecodeError):  # not an object; or JSON msgspec refuses (NaN)
        try:
            return is_labelme(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            return False
    return keys.shapes is not None and bytes(keys.shapes)[:1] == b"[" and keys.imagePath is not None


class LabelmeReader(FormatReader):
    """labelme JSON: one ``.json`` per image with its shapes and image-level flags, pixel coordinates."""

    name = "labelme"
    description = "labelme JSON (wkentaro/labelme): one .json per image, shapes and image-level flags"
    options: dict[str, str] = {}

    def detect(self, path: Path) -> Detection:
        """0.9 when one of the first few JSON files (sorted, recursive) is a labelme file, else 0."""
        found = iter([path]) if path.is_file() else json_files(path) if path.is_dir() else iter([])
        candidates = list(islice(found, DETECT_FILES))
        if not candidates:
            return Detection(0.0, [f"no .json file at {path}"])
        for candidate in candidates:
            if _has_labelme_keys(candidate):
                return Detection(0.9, [f"{candidate.name} has labelme keys 'shapes' and 'imagePath'"])
        return Detection(0.0, [f"none of the first {DETECT_FILES} .json files has 'shapes' and 'imagePath'"])

    def read(self, path: Path, **options: str) -> Dataset:
        """Read every labelme JSON under ``path`` (or the single file ``path``) into one dataset."""
        if options:
            raise FormatError(f"the labelme reader takes no options, got {', '.join(sorted(options))}")
        if not path.exists():
            raise FormatError(f"{path}: no such file or folder")
        root = path.parent if path.is_file() else path
        dataset = Dataset(name=root.name, format=self.name, root=root)
        results: list[FileResult] = []
        owners: dict[str, Path] = {}
        others: list[str] = []
        for json_path in [path] if path.is_file() else json_files(root):
            data = _load(json_path, dataset)
            if data is None:
                continue
            if not is_labelme(data):
                others.append(media_key(json_path, root))
                continue
            result = _read_one(json_path, data, root, owners)
            dataset.problems += result.problems
            results.append(result)
        if not results and not any(p.severity == "error" for p in dataset.problems):
            raise FormatError(f"{path}: no labelme JSON file (with 'shapes' and 'imagePath') found")
        if others:
            dataset.problems.append(Problem(
                "warning", f"{len(others)} .json file(s) are not labelme annotations and were not read: "
                f"{_listed(others)}", str(root)))
        dataset.items = [r.item for r in results if r.item is not None]
        _summarise_skipped(results, dataset)
        dataset.labels = _labels(root, results, dataset)
        return dataset


def _load(json_path: Path, dataset: Dataset) -> object | None:
    try:
        return json.loads(json_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        message = f"broken JSON at line {exc.lineno} column {exc.colno}: {exc.msg}; file not imported"
    except (OSError, UnicodeDecodeError) as exc:
        message = f"cannot read file: {exc}; file not imported"
    dataset.problems.append(Problem("error", message, str(json_path)))
    return None


def _read_one(json_path: Path, data: dict, root: Path, owners: dict[str, Path]) -> FileResult:
    image_path = data["imagePath"]
    if not isinstance(image_path, str) or not image_path:
        return FileResult(problems=[Problem("error", f"'imagePath' must be a file path, got {image_path!r}",
                                            str(json_path))])
    image = resolve_image(json_path, image_path)
    key = media_key(image, root)
    if key in owners:
        return FileResult(problems=[Problem(
            "error", f"image {key} is already annotated by {owners[key]}; this file is not imported",
            str(json_path))])
    owners[key] = json_path
    return read_document(json_path, data, image, key)


def _summarise_skipped(results: list[FileResult], dataset: Dataset) -> None:
    unsupported: Counter[str] = Counter()
    for result in results:
        unsupported.update(result.unsupported)
    for kind, count in sorted(unsupported.items()):
        dataset.problems.append(Problem(
            "warning", f"{count} '{kind}' shape(s) not imported: SC 1.0 has no such shape", str(dataset.root)))
    reserved = sum(r.reserved_shapes for r in results)
    if reserved:
        dataset.problems.append(Problem(
            "warning", f"{reserved} shape(s) labelled __ignore__ or _background_ not imported "
            "(labelme conventions, not classes)", str(dataset.root)))


def _labels(root: Path, results: list[FileResult], dataset: Dataset) -> list:
    used: list[str] = []
    for result in results:
        used += [name for name in result.shape_labels if name not in used]
    flags: list[str] = []
    flags_file = find_list_file(root, FLAGS_FILE)
    if flags_file is not None:
        flags = read_name_list(flags_file)
    for result in results:
        flags += [name for name in result.flag_names if name not in flags]
    labels_file = find_list_file(root, LABELS_FILE)
    if labels_file is None:
        return build_labels(used, flags)
    listed = [name for name in read_name_list(labels_file) if name not in flags]
    missing = [name for name in used if name not in listed]
    if missing:
        dataset.problems.append(Problem(
            "warning", f"shape label(s) not in {labels_file.name}, added: {_listed(missing)}", str(labels_file)))
    unused = [name for name in listed if name not in used]
    if unused:
        dataset.problems.append(Problem(
            "warning", f"{len(unused)} label(s) of {labels_file.name} have no annotation: {_listed(unused)} "
            "(--labels keeps only the ones you name)", str(labels_file)))
    return build_labels(listed + missing, flags)
