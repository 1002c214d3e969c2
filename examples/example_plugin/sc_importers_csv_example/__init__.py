"""An example third-party sc-importers plugin: a reader for a trivial CSV box format.

The dataset is a folder with ``annotations.csv`` and the images it names. The CSV has the header
``image,label,x,y,w,h``; each row is one box in pixels (``x``, ``y`` the top-left corner). A row
with only ``image`` filled (empty label and box) lists an image without annotations.
"""

from __future__ import annotations

import csv
from pathlib import Path

from sc_importers.formats import Detection, FormatError, FormatReader
from sc_importers.hookspecs import hookimpl
from sc_importers.model import Annotation, Dataset, Label, MediaItem, Problem, Rectangle

CSV_NAME = "annotations.csv"
HEADER = ["image", "label", "x", "y", "w", "h"]


class CsvBoxReader(FormatReader):
    """Reads ``annotations.csv`` (``image,label,x,y,w,h``) and the images next to it."""

    name = "csv_example"
    description = "Example plugin: annotations.csv with rows image,label,x,y,w,h (boxes in pixels)"
    options = {"csv_name": f"name of the CSV file inside the dataset folder (default {CSV_NAME})"}

    def detect(self, path: Path) -> Detection:
        """Confident when the folder has the CSV with exactly our header; reads one line only."""
        csv_path = path / CSV_NAME
        if not csv_path.is_file():
            return Detection(0.0, [f"no {CSV_NAME} in {path}"])
        with csv_path.open(newline="", encoding="utf-8") as f:
            header = next(csv.reader(f), [])
        if [h.strip() for h in header] != HEADER:
            return Detection(0.1, [f"{csv_path} header is {header}, not {HEADER}"])
        return Detection(0.9, [f"{csv_path} has the header {','.join(HEADER)}"])

    def read(self, path: Path, **options: str) -> Dataset:
        """Read every row; a bad row becomes a Problem naming the file, the line and the image."""
        csv_path = path / options.get("csv_name", CSV_NAME)
        if not csv_path.is_file():
            raise FormatError(f"{csv_path}: file not found")
        dataset = Dataset(name=path.name, format=self.name, root=path)
        items: dict[str, MediaItem] = {}
        labels: dict[str, Label] = {}
        with csv_path.open(newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            if [h.strip() for h in reader.fieldnames or []] != HEADER:
                raise FormatError(f"{csv_path}: header must be {','.join(HEADER)}, got {reader.fieldnames}")
            for line, row in enumerate(reader, start=2):
                image = (row["image"] or "").strip()
                if not image:
                    dataset.problems.append(
                        Problem("error", "empty image column", str(csv_path), f"line {line}"))
                    continue
                item = items.setdefault(image, MediaItem(path=path / image, key=image))
                label = (row["label"] or "").strip()
                if not label:
                    continue
                try:
                    box = Rectangle(*(float(row[k]) for k in ("x", "y", "w", "h")))
                except (TypeError, ValueError):
                    dataset.problems.append(Problem(
                        "error", f"line {line}: x,y,w,h must be numbers, got "
                        f"{[row['x'], row['y'], row['w'], row['h']]}", str(csv_path), image))
                    continue
                labels.setdefault(label, Label(label))
                item.annotations.append(Annotation((label,), box))
        dataset.labels = list(labels.values())
        dataset.items = list(items.values())
        return dataset


@hookimpl
def register_format_readers() -> list[FormatReader]:
    """This plugin's readers: the one CSV reader."""
    return [CsvBoxReader()]
