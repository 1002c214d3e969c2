"""The ``datumaro`` format reader: every dataset format Datumaro 1.13 imports, via Datumaro."""

from __future__ import annotations

import os
import re
import tempfile
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from sc_importers.extras import MissingExtra, missing, require, require_for_videos
from sc_importers.formats import Detection, FormatError, FormatReader
from sc_importers.model import Dataset, MediaItem, Problem
from sc_importers_datumaro.convert import ItemContext, convert_annotations, detail_warnings, labels_from_categories
from sc_importers_datumaro.detection import datumaro_format_names, detect_formats, quiet_datumaro_logs
from sc_importers_datumaro.staging import (
    IMAGE_EXTENSIONS,
    Staged,
    check_yolo,
    looks_like_yolo,
    needs_yolo_staging,
    stage_yolo,
    yolo_pose_config,
)
from sc_importers_datumaro.videos import group_videos, video_level_warning
from sc_importers_datumaro.voc import (
    VOC_FORMATS,
    devkit_needing_labels,
    is_flat_voc,
    stage_devkit_without_labelmap,
    stage_flat_voc,
)

if TYPE_CHECKING:  # Datumaro ships no types (Any to mypy)
    from datumaro.components.dataset import Dataset as DmDataset

#: Formats the dedicated ``coco`` reader handles better: Datumaro stays below its confidence.
COCO_LIKE = "coco"
#: Datumaro's catch-all for CSV files: rows of values, no images; SC has nothing to import from it.
TABLE_FORMATS = {"tabular"}
#: Formats that match any folder of images/videos or any CSV: only chosen when nothing better matches.
WEAK_FORMATS = {"image_dir", "imagenet", "video_frames", "video_keyframes"} | TABLE_FORMATS
_FRAME_NAME = re.compile(r"frame_\d+")


#: What :func:`_collecting_policy` records: (``"item"`` or ``"annotation"``, (item id, subset), cause).
ImportErrors = list[tuple[str, tuple[str, str], BaseException | None]]


def _collecting_policy(errors: ImportErrors) -> object:
    """A Datumaro import error policy that appends item/annotation errors to ``errors`` instead of
    raising (the class is built here: Datumaro is imported only when a Datumaro format is read)."""
    from datumaro.components.contexts.importer import ImportErrorPolicy
    from datumaro.components.errors import AnnotationImportError, ItemImportError

    class Policy(ImportErrorPolicy):
        def _handle_item_error(self, error: ItemImportError) -> None:
            errors.append(("item", error.item_id, error.__cause__))

        def _handle_annotation_error(self, error: AnnotationImportError) -> None:
            errors.append(("annotation", error.item_id, error.__cause__))

    return Policy()


#: Causes shown of a failed import, and characters of each, so the message stays readable.
MAX_CAUSES = 4
MAX_CAUSE_CHARS = 400


def describe_chain(exc: BaseException) -> str:
    """``Type: message`` of an exception and of its causes (``__cause__``, else ``__context__``),
    joined by "; caused by: ". Datumaro wraps the real reason ("an images/ directory is expected")
    in a generic "Failed to import dataset"; the user needs both. Messages already said are left
    out, and each is cut to :data:`MAX_CAUSE_CHARS`."""
    parts: list[str] = []
    seen_ids: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen_ids and len(parts) < MAX_CAUSES + 1:
        seen_ids.add(id(current))
        text = " ".join(str(current).split()).rstrip(".")
        if len(text) > MAX_CAUSE_CHARS:
            text = text[: MAX_CAUSE_CHARS - 3] + "..."
        if not any(text and text in part for part in parts):
            parts.append(f"{type(current).__name__}: {text}" if text else type(current).__name__)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return "; caused by: ".join(parts)


def _describe_error(fmt: str, kind: str, cause: BaseException | None) -> str:
    text = describe_chain(cause) if cause is not None else "unknown error"
    if fmt.startswith("yolo") and isinstance(cause, KeyError):
        return "label file has no image with the same name (orphan label file); skipped"
    return f"{kind} could not be read by Datumaro ({text}); skipped"


def _item_file(path: Path, fmt: str, item_id: str, subset: str) -> str:
    """The annotation file of an item Datumaro failed on, where the format makes it knowable."""
    if fmt.startswith("yolo"):
        for folder in ("labels", "Labels", "annotations"):
            candidate = path / folder / subset / f"{item_id}.txt"
            if candidate.is_file():
                return str(candidate)
    if fmt in VOC_FORMATS:
        for folder in ("Annotations", "annotations"):
            if (path / folder / f"{item_id}.xml").is_file():
                return str(path / folder / f"{item_id}.xml")
    return str(path)


class DatumaroReader(FormatReader):
    """Reads any Datumaro-supported format and converts it to the neutral model."""

    name = "datumaro"
    description = "Any format Datumaro 1.13 imports (VOC, YOLO, CVAT, ImageNet, LabelMe, ...)"
    extra = "datumaro"
    options = {
        "datumaro_format": "Datumaro format name (see plugins/datumaro/README.md); detected if omitted",
        "voc_flat": "auto (default), 1 or 0: read annotations/*.xml + images/ as VOC without VOCdevkit",
        "yolo_config": "YOLO config file to use as data.yaml (default: data.yaml, else the one *.yaml)",
    }

    def detect(self, path: Path) -> Detection:
        """Datumaro's own detection, per importer and time-bounded; never raises."""
        path = Path(path)
        if not path.is_dir():
            return Detection(0.0, [f"{path} is not a folder"])
        if missing("datumaro"):
            return Detection(0.0, [str(MissingExtra("the datumaro reader", "datumaro"))])
        try:
            with quiet_datumaro_logs():
                found = detect_formats(path)
        except Exception as exc:
            return Detection(0.0, [f"Datumaro detection failed: {type(exc).__name__}: {exc}"])
        notes = []  # said after the verdict: they qualify it, they are not why
        # Importers that could not load (ava without protobuf) only matter when nothing matched.
        unavailable = [f"{len(found.skipped)} Datumaro importers unavailable and skipped "
                       f"({', '.join(sorted(found.skipped))}): e.g. {next(iter(found.skipped.values()))}"
                       ] if found.skipped else []
        if found.walk_truncated:
            notes.append("folder too large to list completely; detection looked at part of it")
        formats = _main_formats(found.formats)
        if not formats:
            if is_flat_voc(path):
                return Detection(0.55, ["flat VOC layout (annotations/*.xml, no ImageSets/); read as voc", *notes])
            if looks_like_yolo(path):
                return _judge_unrecognised_yolo(path, notes + unavailable)
            return Detection(0.0, ["no Datumaro format matches", *notes, *unavailable])
        found_line = f"Datumaro formats found: {', '.join(formats)}"
        if any(f.startswith(COCO_LIKE) or f.endswith("_coco") for f in formats):
            return Detection(0.5, [found_line, "COCO-like: the dedicated coco reader should be preferred", *notes])
        if set(formats) <= TABLE_FORMATS:
            return Detection(0.2, [found_line, "only CSV tables without images (Datumaro's catch-all 'tabular')",
                                   *notes])
        if "imagenet" in formats and (classes := imagenet_classes(path)):
            return Detection(0.55, [found_line, f"ImageNet class folders ({_first(classes)}): every image is "
                                    "in a folder named after its class", *notes])
        if set(formats) <= WEAK_FORMATS:
            return Detection(0.3, [found_line, "only a folder of images or videos", *notes])
        if len(formats) > 3:
            return Detection(0.4, [found_line, "many unrelated formats: probably a folder of datasets", *notes])
        return Detection(0.6 if len(formats) == 1 else 0.55, [found_line, *notes])

    def read(self, path: Path, **options: str) -> Dataset:
        """Import with Datumaro (staging flat VOC / renamed YOLO configs) and convert."""
        path = Path(path)
        require("datumaro", "the datumaro reader")
        if not path.exists():
            raise FormatError(f"{path}: does not exist")
        fmt = options.get("datumaro_format") or self._detect_one(path)
        known = datumaro_format_names()
        if fmt not in known:
            raise FormatError(f"{path}: unknown Datumaro format {fmt!r}; known formats: {', '.join(known)}")
        with tempfile.TemporaryDirectory(prefix="sc-datumaro-") as tmp:
            staged = self._stage(path, fmt, Path(tmp) / "view", options)
            source = staged.root if staged else path
            errors: ImportErrors = []
            policy = _collecting_policy(errors)
            try:
                import datumaro as dm

                dm_dataset = dm.Dataset.import_from(str(source), fmt, error_policy=policy)
                items = list(dm_dataset)
            except Exception as exc:
                raise FormatError(f"{path}: Datumaro could not import it as {fmt!r}: {describe_chain(exc)}") from exc
            dataset = Dataset(name=path.name, format=f"datumaro:{fmt}", root=path)
            dataset.labels = labels_from_categories(dm_dataset.categories())
            keys = self._convert_items(dataset, items, staged, videos_expected=_is_video_dataset(dm_dataset))
            # Named by the item's key when it was read, so the import skips exactly that item.
            dataset.problems[:0] = [
                Problem(
                    "error",
                    _describe_error(fmt, kind, cause),
                    file=_item_file(path, fmt, item_id, subset),
                    item=keys.get((subset, item_id), f"{subset}/{item_id}"),
                )
                for kind, (item_id, subset), cause in errors
            ]
            notes = staged.notes if staged else []
            dataset.problems[:0] = [Problem("warning", note, file=str(path)) for note in notes]
        return dataset

    def _detect_one(self, path: Path) -> str:
        found = detect_formats(path)
        formats = _main_formats(found.formats)
        if not formats and is_flat_voc(path):
            return "voc"
        if not formats and looks_like_yolo(path):
            return "yolo"
        if "imagenet" in formats and imagenet_classes(path):
            return "imagenet"
        if len(formats) != 1:
            what = ", ".join(formats) if formats else "none"
            raise FormatError(f"{path}: cannot tell the Datumaro format (matches: {what}); pass --datumaro-format NAME")
        return formats[0]

    @staticmethod
    def _stage(path: Path, fmt: str, tmp: Path, options: dict[str, str]) -> Staged | None:
        voc_flat = options.get("voc_flat", "auto").lower()
        if fmt in VOC_FORMATS and voc_flat in ("1", "true", "yes") and not is_flat_voc(path):
            raise FormatError(
                f"{path}: --voc-flat 1 needs annotations/*.xml (or Annotations/*.xml) and images/ "
                "in this folder, without ImageSets/"
            )
        if fmt in VOC_FORMATS and voc_flat not in ("0", "false", "no") and is_flat_voc(path):
            return stage_flat_voc(path, tmp)
        if fmt in VOC_FORMATS and is_flat_voc(path):
            raise FormatError(
                f"{path}: flat VOC layout (annotations/ + images/, no ImageSets/); "
                "pass --voc-flat 1 (or leave it at auto) to read it"
            )
        if fmt in VOC_FORMATS and path.is_dir() and (root := devkit_needing_labels(path)) is not None:
            return stage_devkit_without_labelmap(root, tmp)
        if fmt.startswith("yolo") and path.is_dir():
            check_yolo(path, options.get("yolo_config"))
        if fmt.startswith("yolo") and path.is_dir() and needs_yolo_staging(path, options.get("yolo_config")):
            return stage_yolo(path, tmp, options.get("yolo_config"))
        return None

    @staticmethod
    def _convert_items(dataset: Dataset, items: list, staged: Staged | None,
                       videos_expected: bool = False) -> dict[tuple[str, str], str]:
        """Append the converted items to ``dataset``; returns the key of each (subset, id) read."""
        from datumaro.components.media import Image, Video, VideoFrame

        label_names = [lb.name for lb in dataset.labels]
        unsupported: Counter = Counter()
        by_path: dict[Path, str] = {}
        video_items: list = []
        keys: dict[tuple[str, str], str] = {}
        first_id: dict[Path, str] = {}
        relisted: Counter = Counter()  # subset -> items already read from another subset
        for it in items:
            item_id = f"{it.subset}/{it.id}" if it.subset and it.subset != "default" else it.id
            if isinstance(it.media, (Video, VideoFrame)):
                video_items.append(it)
                continue
            raw = getattr(it.media, "path", None) if isinstance(it.media, Image) else None
            if not raw:
                what = "no video file was found for this item" if videos_expected else "item has no image file"
                dataset.problems.append(Problem("error", f"{what}; skipped", item=item_id))
                continue
            media_path = staged.map_back(raw) if staged else Path(raw)
            if not media_path.is_file():
                dataset.problems.append(
                    Problem(
                        "error",
                        f"image file missing: expected {media_path}; skipped",
                        file=str(media_path),
                        item=item_id,
                    )
                )
                continue
            if media_path in by_path:
                keys[(it.subset, it.id)] = by_path[media_path]
                if first_id[media_path] == it.id:  # the same item in another image list (VOC trainval)
                    relisted[it.subset] += 1
                    continue
                dataset.problems.append(
                    Problem(
                        "warning",
                        f"same image as item {by_path[media_path]}; its annotations are ignored",
                        file=str(media_path),
                        item=item_id,
                    )
                )
                continue
            key = _key(dataset.root, media_path, it, staged, raw)
            by_path[media_path] = keys[(it.subset, it.id)] = key
            first_id[media_path] = it.id
            ctx = ItemContext(str(media_path), key, label_names)  # problems name the item by its key
            try:
                h, w = it.media.size or (None, None)
                ctx.width, ctx.height = (int(w), int(h)) if w and h else (None, None)
            except Exception:
                pass
            anns = convert_annotations(list(it.annotations), ctx)
            dataset.problems.extend(ctx.problems)
            unsupported.update(ctx.unsupported)
            dataset.add_items(
                MediaItem(
                    path=media_path,
                    key=key,
                    annotations=anns,
                    width=ctx.width,
                    height=ctx.height,
                )
            )
        if video_items:
            require_for_videos(sorted({Path(it.media.path) for it in video_items}), dataset.root)
            groups = group_videos(video_items, dataset.root, label_names)
            dataset.add_items(*groups.items)
            dataset.problems.extend(groups.problems)
            unsupported.update(groups.unsupported)
            warning = video_level_warning(groups, dataset.root)
            if warning is not None:
                dataset.problems.append(warning)
        dataset.problems.extend(detail_warnings(unsupported, dataset.root))
        for kind, count in sorted((k, n) for k, n in unsupported.items() if isinstance(k, str)):
            dataset.problems.append(
                Problem(
                    "warning",
                    f"{count} {kind} annotations have no SC 1.0 equivalent and are skipped",
                    file=str(dataset.root),
                )
            )
        if relisted:
            lists = ", ".join(f"{n} in {subset}" for subset, n in sorted(relisted.items()))
            dataset.problems.append(Problem(
                "warning", f"{sum(relisted.values())} items are listed again in another subset ({lists}); "
                "each is read once, from the first list naming it", file=str(dataset.root)))
        return keys


#: Folder names of dataset splits, which are not classes (``images/train2017``, ``val/``).
_SPLIT_NAME = re.compile(r"(train|val|valid|validation|test|eval|dev)[\w-]*", re.IGNORECASE)


def imagenet_classes(path: Path) -> list[str]:
    """The class folders of an ImageNet layout: at least two folders directly in ``path``, each
    holding images and nothing else (no sub-folder), not all named like splits; [] otherwise."""
    folders = sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith((".", "__")))
    if len(folders) < 2 or all(_SPLIT_NAME.fullmatch(f.name) for f in folders):
        return []
    names: list[set[str]] = []
    for folder in folders:
        entries = [e for e in folder.iterdir() if not e.name.startswith(".")]
        if not entries or any(e.is_dir() or e.suffix.lower() not in IMAGE_EXTENSIONS for e in entries):
            return []
        names.append({e.name for e in entries})
    if set.intersection(*names):  # one picture in every folder (HR/ and LR/ of super-resolution): not classes
        return []
    return [f.name for f in folders]


def _first(names: list[str], shown: int = 5) -> str:
    return ", ".join(names[:shown]) + (f", ... ({len(names)} in all)" if len(names) > shown else "")


def _judge_unrecognised_yolo(path: Path, notes: list[str]) -> Detection:
    """A YOLO-looking folder (labels/ + a YAML) that no Datumaro importer recognised."""
    pose = yolo_pose_config(path)
    if pose is not None:
        return Detection(0.1, [f"{pose.name} declares kpt_shape: YOLO pose, which Datumaro 1.13 does not read",
                               *notes])
    if (path / "data.yaml").is_file():
        return Detection(0.55, ["YOLO labels/ and data.yaml that Datumaro's importers did not recognise; "
                                "read as yolo", *notes])
    return Detection(0.55, ["YOLO labels/ with a YAML config not named data.yaml", *notes])


def _is_video_dataset(dm_dataset: DmDataset) -> bool:
    """Whether Datumaro says the dataset's media are videos or video frames (Kinetics)."""
    try:
        from datumaro.components.media import Video, VideoFrame

        media_type = dm_dataset.media_type()
        return isinstance(media_type, type) and issubclass(media_type, (Video, VideoFrame))
    except Exception:
        return False


def _main_formats(formats: list[str]) -> list[str]:
    """Drop catch-all formats when others match, and collapse a family (``voc``, ``voc_*``)."""
    strong = [f for f in formats if f not in WEAK_FORMATS] or list(formats)
    for base in strong:
        if all(f == base or f.startswith(f"{base}_") for f in strong):
            return [base]
    return strong


def _key(root: Path, media_path: Path, item: object, staged: Staged | None, raw: str) -> str:
    """A unique, readable key for a media item.

    Frames of an annotated video (CVAT for video, MOT: an int ``frame`` attribute and an image
    named ``frame_NNNNNN``) become ``<dataset folder>/frame_000123``; other images are keyed by
    their path below the dataset root (or below the staged view, for followed folders).
    """
    frame = getattr(item, "attributes", {}).get("frame")
    if isinstance(frame, int) and _FRAME_NAME.fullmatch(media_path.stem):
        return f"{root.name}/frame_{frame:06d}"
    try:
        return media_path.relative_to(root).as_posix()
    except ValueError:
        pass
    if staged is not None:
        try:
            return Path(raw).relative_to(staged.root).as_posix()
        except ValueError:
            pass
    return os.path.relpath(media_path, root).replace(os.sep, "/")
