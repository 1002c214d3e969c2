"""The core install (``pip install sc-importers``, no extras) in a venv of its own, without system
site-packages: it imports, ``sc --help`` loads no plugin dependency, a COCO dry run works (RLE masks too:
numpy and pycocotools are core), labelme masks are traced without OpenCV, and the datumaro reader and the
server say which extra to install.

The venv is built by core_venv.py and cached keyed on the core dependency list: the first run installs from
the package index (about 30-60 s), later runs only reinstall the project (a few seconds). Under CI (``CI``
set) a venv that cannot be built fails this test; elsewhere it is skipped with the reason.
"""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from sc_importers.synthetic import make_coco_dataset

sys.path.insert(0, str(Path(__file__).resolve().parent))
from core_venv import core_venv_in_use  # noqa: E402  (beside this file; also run by hand to measure the install)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def venv_bin() -> Iterator[Path]:
    with ExitStack() as stack:
        try:
            python = stack.enter_context(core_venv_in_use())
        except (RuntimeError, subprocess.SubprocessError, OSError) as exc:
            message = f"cannot build the core-install venv (tests/cli/core_venv.py): {exc}"
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
        yield python.parent


def _run(venv_bin: Path, command: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["SC_CONFIG"] = os.devnull
    return subprocess.run([str(venv_bin / command), *args], capture_output=True, text=True, timeout=300,
                          cwd=cwd, env=env)


def test_core_install_has_no_extra(venv_bin: Path, tmp_path: Path):
    code = ("import importlib.util as u, sc_importers\n"
            "print(sc_importers.__file__)\n"
            "print(sorted(m for m in ('datumaro', 'cv2', 'scipy', 'fastapi', 'uvicorn', 'av', 'cryptography')"
            " if u.find_spec(m)))")
    done = _run(venv_bin, "python", "-c", code, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    where, extras = done.stdout.splitlines()
    assert where.startswith(str(venv_bin.parent)), where  # the venv's own copy, not the checkout
    assert extras == "[]"
    assert _run(venv_bin, "sc", "--version", cwd=tmp_path).stdout.startswith("sc ")


def _coco_with_rle(folder: Path) -> Path:
    """A small COCO dataset plus one crowd annotation given as an uncompressed RLE (traced with numpy)."""
    make_coco_dataset(folder, 3, ["dog", "cat"], seed=5, image_size=(64, 48))
    (annotation_file,) = (folder / "annotations").glob("*.json")
    coco = json.loads(annotation_file.read_text())
    image = coco["images"][0]
    height, width = image["height"], image["width"]
    counts = [height * 10 + 5, 20, height * width - height * 10 - 25]  # column-major: a 20-pixel run
    coco["annotations"].append({"id": 9999, "image_id": image["id"], "category_id": coco["categories"][0]["id"],
                                "iscrowd": 1, "bbox": [10, 5, 1, 20], "area": 20,
                                "segmentation": {"counts": counts, "size": [height, width]}})
    annotation_file.write_text(json.dumps(coco))
    return folder


def test_coco_dry_run_on_the_core_install(venv_bin: Path, tmp_path: Path):
    source = _coco_with_rle(tmp_path / "coco")
    done = _run(venv_bin, "sc", "import", str(source), "--dry-run", "--type", "detection", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["importable"] and report["detection"]["chosen"] == "coco"
    assert "Traceback" not in done.stderr


def test_labelme_masks_on_the_core_install(venv_bin: Path, tmp_path: Path):
    from PIL import Image

    folder = tmp_path / "labelme"
    folder.mkdir()
    Image.new("RGB", (40, 30)).save(folder / "a.png")
    mask = Image.new("L", (12, 10))
    mask.paste(255, (1, 2, 5, 6))  # a 4x4 square
    buffer = io.BytesIO()
    mask.save(buffer, format="PNG")
    shape = {"label": "cat", "points": [[20, 10], [31, 19]], "group_id": None, "shape_type": "mask", "flags": {},
             "mask": base64.b64encode(buffer.getvalue()).decode("ascii")}
    (folder / "a.json").write_text(json.dumps({"version": "5.4.1", "flags": {}, "shapes": [shape], "imagePath": "a.png",
                                               "imageData": None, "imageHeight": 30, "imageWidth": 40}))
    done = _run(venv_bin, "sc", "import", str(folder), "--dry-run", "--type", "segmentation", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["importable"] and report["detection"]["chosen"] == "labelme"
    assert report["annotations"]["per_shape"] == {"POLYGON": 1}, report["annotations"]  # traced without OpenCV


def test_datumaro_and_server_name_their_extra(venv_bin: Path, tmp_path: Path):
    voc = tmp_path / "voc"
    (voc / "Annotations").mkdir(parents=True)
    (voc / "Annotations" / "a.xml").write_text("<annotation><filename>a.jpg</filename></annotation>")
    done = _run(venv_bin, "sc", "import", str(voc), "--format", "datumaro", "--dry-run", "--type", "detection",
                cwd=tmp_path)
    assert done.returncode == 2, done.stderr  # the exit table's "refused before anything changed"
    assert done.stderr.strip() == ("Error: the datumaro reader needs the [datumaro] extra: "
                                   "pip install 'sc-importers[datumaro]'")
    server = _run(venv_bin, "sc", "server", "--data-dir", str(tmp_path / "data"), cwd=tmp_path)
    assert server.returncode == 2 and "pip install 'sc-importers[server]'" in server.stderr, server.stderr
    assert "Traceback" not in done.stderr + server.stderr
    listed = _run(venv_bin, "sc", "formats", cwd=tmp_path)
    assert "NOT INSTALLED: pip install 'sc-importers[datumaro]'" in listed.stdout


def test_help_loads_no_plugin_dependency_in_the_core_install(venv_bin: Path, tmp_path: Path):
    code = ("import sys\nfrom sc_importers.cli.sc import main\nsys.argv = ['sc', 'import', '--help']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('numpy', 'pycocotools', 'yaml', 'requests') if m in sys.modules), "
            "file=sys.stderr)")
    done = _run(venv_bin, "python", "-c", code, cwd=tmp_path)
    assert "--datumaro-format" in done.stdout
    assert done.stderr.strip().splitlines()[-1] == "[]", done.stderr
