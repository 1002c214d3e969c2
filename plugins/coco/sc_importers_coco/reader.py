"""The ``coco`` format reader: COCO instances, person keypoints (their boxes and polygons), stuff
and image-level "labels" files into the neutral model.

Each annotation file is parsed once by msgspec into compact records (:mod:`.parse`), its
annotations indexed by image, and packed into flat arrays (:mod:`.file_read`): images holding only
plain polygons in numpy, a batch at a time (:mod:`.bulk`), every other image produced once for the
problems only its annotations show (:mod:`.convert`); the parsed file is dropped before the next
one. ``Dataset.items`` is then a :class:`~sc_importers_coco.items.CocoItems`, which builds each item
when asked for it (:mod:`.items`): ``dataset.problems`` is complete when :meth:`CocoReader.read`
returns, and memory stays near the size of the coordinates however often the items are walked.
:meth:`CocoReader.read_streaming` (a real import) returns once the last file is indexed and packs
it in a thread (:mod:`.pending`): a train2017-size file's first item is ready in under 2 s.

Keys of media items are image paths relative to the dataset root, so train and val splits read
together stay apart. Every category becomes a label, used or not (the categories are the label
set the dataset declares); unused ones are listed in one warning.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sc_importers.formats import Detection, FormatError, FormatReader
from sc_importers.model import Dataset, Problem
from sc_importers_coco.convert import CROWD_MODES
from sc_importers_coco.detect import detect_coco
from sc_importers_coco.file_read import FileRead, ReadState
from sc_importers_coco.layout import AnnotationFile, classify, find_annotation_files

if TYPE_CHECKING:  # numpy and msgspec are imported when a file is read, not when readers are listed
    from sc_importers_coco.items import CompactFile


class CocoReader(FormatReader):
    """Reads COCO json annotation files (see the package README for layouts and options)."""

    name = "coco"
    description = "COCO instances / person keypoints / labels json (boxes, polygons, RLE masks, labels)"
    options = {
        "annotation_file": "COCO json to read, when it is not found automatically or several are present "
        "(relative to the dataset folder, or absolute)",
        "images_dir": "folder the images' file_name values are relative to, when the images are not "
        "next to the json or in the usual COCO places",
        "crowd": "what to do with iscrowd=1 regions: 'polygon' (default: trace the mask into polygons) "
        "or 'skip'",
    }

    def detect(self, path: Path) -> Detection:
        return detect_coco(Path(path))

    def read(self, path: Path, **options: str) -> Dataset:
        return self._read(Path(path), options, streaming=False)

    def read_streaming(self, path: Path, **options: str) -> Dataset:
        """As :meth:`read`, returning once the (last) annotation file is parsed and indexed: its
        items are packed in a thread (:mod:`.pending`), and handed out as they are."""
        return self._read(Path(path), options, streaming=True)

    def _read(self, path: Path, options: dict[str, str], streaming: bool) -> Dataset:
        unknown = set(options) - set(self.options)
        if unknown:
            raise FormatError(f"coco reader: unknown option(s) {', '.join(sorted(unknown))}")
        crowd = options.get("crowd") or "polygon"
        if crowd not in CROWD_MODES:
            raise FormatError(f"coco reader: crowd must be one of {', '.join(CROWD_MODES)}, got {crowd!r}")
        if not path.exists():
            raise FormatError(f"{path}: no such file or folder")
        root = path if path.is_dir() else path.parent
        files, skipped = self._files(path, root, options.get("annotation_file"))
        if root.name == "annotations" and path.is_file():
            root = root.parent
        images_dir = _resolve(options["images_dir"], root) if options.get("images_dir") else None
        if images_dir is not None and not images_dir.is_dir():
            raise FormatError(f"{images_dir}: images_dir is not a folder")

        dataset = Dataset(name=root.name, format=self.name, root=root)
        if skipped:
            names = ", ".join(str(s.path.relative_to(root)) for s in skipped)
            dataset.problems.append(
                Problem(
                    "warning",
                    f"also found {names}; not read ({', '.join(sorted({f.kind for f in files}))} files "
                    f"are read instead; pass annotation_file (--annotation-file) to read another one)",
                    str(root),
                )
            )
        state = ReadState(dataset, "skip" if crowd == "skip" else "polygon")
        from sc_importers_coco.items import CocoItems, CompactFile

        compact: list[CompactFile] = []
        for number, annotation_file in enumerate(files, 1):
            read = FileRead(annotation_file, images_dir, state)
            compact.append(CompactFile())
            if streaming and number == len(files):  # the last file is packed in a thread
                from sc_importers_coco.pending import Packing

                packing = Packing(len(read))

                def work(publish: Callable[[int], None], read: FileRead = read, last: CompactFile = compact[-1]
                         ) -> None:
                    read.pack(last, publish)
                    state.finish()

                dataset.items = CocoItems(compact, [len(c) for c in compact[:-1]] + [len(read)], packing,
                                          read.may_label_images())
                packing.start(work, f"coco reader: packing {annotation_file.path.name}")
                return dataset
            read.pack(compact[-1])
        state.finish()
        dataset.items = CocoItems(compact)
        return dataset

    @staticmethod
    def _files(
        path: Path, root: Path, annotation_file: str | None
    ) -> tuple[list[AnnotationFile], list[AnnotationFile]]:
        if annotation_file:
            chosen = _resolve(annotation_file, root)
            if not chosen.is_file():
                raise FormatError(f"{chosen}: annotation_file does not exist")
            return [classify(chosen)], []
        if path.is_file():
            return [classify(path)], []
        return find_annotation_files(path)


def _resolve(value: str, root: Path) -> Path:
    p = Path(value).expanduser()
    if p.is_absolute() or p.exists():
        return p
    return root / p
