"""Download and unpack COCO 2017 validation data (5,000 images, ~1 GB) for the other examples.

    python examples/download_coco.py [--target-folder data/coco] [--base-url URL]

Result: ``<target>/val2017/*.jpg`` and ``<target>/annotations/instances_val2017.json`` — the layout
the ``coco`` reader and the example scripts expect. Each archive is downloaded with a progress
bar to a ``.part`` file, checked against its published MD5 checksum, then unpacked; an archive
already downloaded and intact is not downloaded again. ``--base-url`` points at a mirror (the
tests serve a small archive from a local HTTP server this way).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import zipfile
from pathlib import Path

import requests
from tqdm import tqdm

BASE_URL = "http://images.cocodataset.org"
#: (path under the base URL, MD5 checksum as published for the COCO 2017 release)
ARCHIVES = [
    ("zips/val2017.zip", "442b8da7639aecaf257c1dceb8ba8c80"),
    ("annotations/annotations_trainval2017.zip", "f4bbac642086de4f52a3fdda2de5fa2c"),
]


class ChecksumError(Exception):
    """A downloaded archive does not have the expected checksum."""


def md5_of(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def download(url: str, target: Path, expected_md5: str | None) -> Path:
    """Download ``url`` to ``target`` (skipped when already there with the right checksum)."""
    if target.exists() and (expected_md5 is None or md5_of(target) == expected_md5):
        print(f"{target.name}: already downloaded")
        return target
    part = target.with_name(target.name + ".part")
    with requests.get(url, stream=True, timeout=60) as response:
        response.raise_for_status()
        total = int(response.headers.get("Content-Length", 0)) or None
        with open(part, "wb") as f, tqdm(total=total, unit="B", unit_scale=True, desc=target.name) as bar:
            for chunk in response.iter_content(1 << 20):
                f.write(chunk)
                bar.update(len(chunk))
    if expected_md5 is not None:
        found = md5_of(part)
        if found != expected_md5:
            part.unlink()
            raise ChecksumError(f"{url}: MD5 {found} does not match the expected {expected_md5}; "
                                "the download is corrupt or the mirror serves another file")
    os.replace(part, target)
    return target


def fetch_coco(target_folder: Path, base_url: str = BASE_URL,
               archives: list[tuple[str, str | None]] | None = None) -> Path:
    """Download and unpack every archive into ``target_folder``; returns the folder."""
    target_folder.mkdir(parents=True, exist_ok=True)
    for path, md5 in archives or ARCHIVES:
        archive = download(f"{base_url.rstrip('/')}/{path}", target_folder / Path(path).name, md5)
        with zipfile.ZipFile(archive) as zf:
            for member in zf.namelist():
                resolved = (target_folder / member).resolve()
                if not resolved.is_relative_to(target_folder.resolve()):
                    raise ValueError(f"{archive}: member {member!r} would be written outside {target_folder}")
            zf.extractall(target_folder)
        print(f"{archive.name}: unpacked into {target_folder}")
    return target_folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target-folder", type=Path, default=Path("data/coco"))
    parser.add_argument("--base-url", default=BASE_URL)
    args = parser.parse_args(argv)
    try:
        fetch_coco(args.target_folder, args.base_url)
    except (requests.RequestException, ChecksumError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
