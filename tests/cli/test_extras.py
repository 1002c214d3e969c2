"""Install extras: what a command says when its extra is missing, what listing the readers imports, and
that ``pyproject.toml`` packages every module.

A missing extra is made real in a subprocess: a finder first on ``sys.meta_path`` makes the named modules
look uninstalled (``find_spec`` and ``import`` both fail), as they are in a core install. The core install
itself is tested in ``test_core_install.py``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import sc_importers

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the core install's tomli
    import tomli as tomllib  # type: ignore[no-redef]

REPO = Path(__file__).resolve().parents[2]

#: Runs ``sc`` (or another ``module:function``) with the modules of BLOCKED looking uninstalled.
_RUNNER = """
import sys

class _Uninstalled:
    def __init__(self, names):
        self.names = set(names)

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.names:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, _Uninstalled(BLOCKED))
from MODULE import FUNCTION
FUNCTION()
"""


def run(args: list[str], blocked: tuple[str, ...] = (), entry: str = "sc_importers.cli.sc:main",
        ) -> subprocess.CompletedProcess:
    module, function = entry.split(":")
    code = (_RUNNER.replace("BLOCKED", repr(blocked)).replace("MODULE", module)
            .replace("FUNCTION", function))
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120,
                          cwd=REPO)


def _voc_like(root: Path) -> Path:
    """A folder Datumaro would read as VOC (no reader of the core install reads it)."""
    (root / "Annotations").mkdir(parents=True)
    (root / "JPEGImages").mkdir()
    (root / "Annotations" / "a.xml").write_text(
        "<annotation><filename>a.jpg</filename><size><width>4</width><height>4</height><depth>3</depth></size>"
        "<object><name>dog</name><bndbox><xmin>0</xmin><ymin>0</ymin><xmax>2</xmax><ymax>2</ymax></bndbox>"
        "</object></annotation>")
    (root / "JPEGImages" / "a.jpg").write_bytes(b"not decoded before the refusal")
    return root


DATUMARO_LINE = "the datumaro reader needs the [datumaro] extra: pip install 'sc-importers[datumaro]'"


@pytest.mark.parametrize("dry_run", [True, False])
def test_datumaro_format_without_the_extra_is_one_line_and_exit_2(tmp_path: Path, dry_run: bool):
    source = _voc_like(tmp_path / "voc")
    args = ["import", str(source), "--format", "datumaro", "--type", "detection"]
    args += ["--dry-run"] if dry_run else ["--project-name", "x", "--host", "http://127.0.0.1:9",
                                           "--username", "u", "--password", "p"]
    done = run(args, blocked=("datumaro",))
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == f"Error: {DATUMARO_LINE}", done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_datumaro_without_the_extra_with_json(tmp_path: Path):
    source = _voc_like(tmp_path / "voc")
    done = run(["import", str(source), "--format", "datumaro", "--type", "detection", "--dry-run", "--json"],
               blocked=("scipy",))  # one module of the extra missing is enough
    assert done.returncode == 2, done.stderr
    report = json.loads(done.stdout)
    assert report["exit_code"] == 2 and report["refused"] == DATUMARO_LINE


def test_auto_detection_without_datumaro_names_the_extra(tmp_path: Path):
    source = _voc_like(tmp_path / "voc")
    done = run(["import", str(source), "--type", "detection", "--dry-run"], blocked=("datumaro",))
    assert done.returncode == 1, done.stderr  # no reader recognises it: the dry run's "cannot be imported"
    assert f"datumaro: confidence 0.00 ({DATUMARO_LINE})" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_formats_marks_the_readers_whose_extra_is_missing():
    listed = run(["formats"], blocked=("datumaro", "av"))
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    (datumaro,) = [line for line in lines if line.startswith("datumaro\t")]
    assert "NOT INSTALLED: pip install 'sc-importers[datumaro]'" in datumaro
    assert [line for line in lines if "NOT INSTALLED" in line] == [datumaro]  # every other reader is there
    assert {line.split("\t")[0] for line in lines if "\t" in line} >= {"backup", "coco", "cvat", "labelme",
                                                                        "labelstudio", "media", "vitens", "yolo"}
    assert lines[-1] == "(videos cannot be read without the [video] extra: pip install 'sc-importers[video]')"
    as_json = json.loads(run(["formats", "--json"], blocked=("datumaro",)).stdout)
    assert {r["name"]: r["extra_missing"] for r in as_json if r["extra_missing"]} == {"datumaro": True}
    assert {r["name"]: r["extra"] for r in as_json}["datumaro"] == "datumaro"


def test_formats_with_every_extra_marks_nothing():
    listed = run(["formats"])
    assert listed.returncode == 0 and "NOT INSTALLED" not in listed.stdout and "[video]" not in listed.stdout


def test_videos_without_pyav_name_the_video_extra(tmp_path: Path):
    from PIL import Image

    folder = tmp_path / "media"
    folder.mkdir()
    Image.new("RGB", (8, 8)).save(folder / "a.png")
    (folder / "clip.mp4").write_bytes(b"never opened: the refusal comes first")
    done = run(["import", str(folder), "--format", "media", "--add-labels", "x", "--type", "classification",
                "--dry-run"], blocked=("av",))
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == (f"Error: {folder}: reading its videos (clip.mp4) needs the [video] extra: "
                                   "pip install 'sc-importers[video]'"), done.stderr
    images_only = tmp_path / "images"
    images_only.mkdir()
    Image.new("RGB", (8, 8)).save(images_only / "a.png")
    fine = run(["import", str(images_only), "--format", "media", "--add-labels", "x", "--type", "classification",
                "--dry-run"], blocked=("av",))
    assert fine.returncode == 0, fine.stderr  # images alone need no PyAV


@pytest.mark.parametrize("entry", ["sc_importers.cli.sc:main server", "sc_importers.server.cli:main"])
def test_server_without_the_extra(tmp_path: Path, entry: str):
    function, *first = entry.split()
    done = run([*first, "--data-dir", str(tmp_path / "data")], blocked=("fastapi",), entry=function)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == ("sc-server needs the [server] extra: pip install 'sc-importers[server]' "
                                   "(missing: fastapi)"), done.stderr
    assert not (tmp_path / "data").exists()
    helped = run([*first, "--help"], blocked=("fastapi", "uvicorn"), entry=function)
    assert helped.returncode == 0 and "--data-dir" in helped.stdout  # --help needs no extra


#: Not one of these is needed to list the readers and their options.
HEAVY = ("numpy", "cv2", "pycocotools", "yaml", "requests", "urllib3", "datumaro", "scipy", "fastapi", "uvicorn",
         "starlette", "av", "cryptography")


@pytest.mark.parametrize("args", [["import", "--help"], ["formats"], ["types"]])
def test_listing_the_readers_imports_no_heavy_dependency(args: list[str]):
    code = ("import sys\nfrom sc_importers.cli.sc import main\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
            "sys.stderr.write('\\nMODULES ' + ' '.join(sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120)
    loaded = set(done.stderr.split("MODULES ")[-1].split())
    assert "sc_importers_coco" in loaded and "sc_importers_datumaro" in loaded  # the plugins did load
    heavy = sorted(m for m in loaded if m.split(".")[0] in HEAVY)
    assert not heavy, f"sc {' '.join(args)} imported {heavy}"


def test_sc_import_alias_help_imports_no_heavy_dependency():
    code = ("import sys\nfrom sc_importers.cli.import_cmd import main\ntry:\n    main()\nexcept SystemExit:\n"
            "    pass\nsys.stderr.write('\\nMODULES ' + ' '.join(sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", code, "--help"], capture_output=True, text=True, timeout=120)
    assert "--datumaro-format" in done.stdout  # the readers' options are there
    loaded = set(done.stderr.split("MODULES ")[-1].split())
    assert not sorted(m for m in loaded if m.split(".")[0] in HEAVY)


def _pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def test_pyproject_packages_every_module_and_plugin():
    """A wheel holds only the listed packages: a package left out works in the editable checkout and is
    missing after ``pip install`` (as sc_importers.server.geti and geti3 once were)."""
    setuptools = _pyproject()["tool"]["setuptools"]
    package_dir = setuptools["package-dir"]
    on_disk = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "sc_importers").rglob("__init__.py")}
    for plugin in (REPO / "plugins").iterdir():
        for init in plugin.glob("sc_importers_*/__init__.py"):
            on_disk.add(init.parent.name)
            assert package_dir[init.parent.name] == init.parent.relative_to(REPO).as_posix()
    assert set(setuptools["packages"]) == on_disk
    entry_points = _pyproject()["project"]["entry-points"]["sc_importers"]
    assert set(entry_points.values()) == {name for name in on_disk if name.startswith("sc_importers_")}


def test_extras_and_the_one_version():
    project = _pyproject()["project"]
    assert project["dynamic"] == ["version"]
    assert _pyproject()["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "sc_importers.__version__"}
    core = " ".join(project["dependencies"]).lower()
    for heavy in ("datumaro", "opencv", "fastapi", "uvicorn", "scipy", " av", "cryptography"):
        assert heavy not in core, heavy
    extras = project["optional-dependencies"]
    assert set(extras) == {"datumaro", "server", "video", "all", "test"}
    assert extras["all"] == ["sc-importers[datumaro,server,video]"] and "sc-importers[all]" in extras["test"]
    for entry in ("sc_importers.cli.sc:main", "sc_importers.server.cli:main"):
        shown = run(["--version"], entry=entry)
        assert shown.returncode == 0 and shown.stdout.split()[-1] == sc_importers.__version__



def test_no_module_imports_opencv():
    """Masks are traced by sc_importers.geometry (numpy): the core install has no OpenCV, only Datumaro
    brings it (the [datumaro] extra)."""
    users = sorted(str(path.relative_to(REPO)) for folder in ("sc_importers", "plugins")
                   for path in (REPO / folder).rglob("*.py")
                   if "/tests/" not in path.as_posix() and "import cv2" in path.read_text(encoding="utf-8"))
    assert users == []


def test_a_guessed_format_says_which_readers_are_not_installed(tmp_path: Path):
    """voc-raccoon on a core install: only the media reader recognises the images folder (a guess at 0.50),
    so the import says the datumaro reader, which would read the VOC annotations, is not installed."""
    from PIL import Image

    source = _voc_like(tmp_path / "voc")
    Image.new("RGB", (4, 4)).save(source / "JPEGImages" / "a.jpg")
    done = run(["import", str(source / "JPEGImages"), "--type", "detection", "--dry-run"], blocked=("datumaro",))
    assert "detected format media (confidence 0.50" in done.stderr, done.stderr
    assert "note: the datumaro reader is not installed (pip install 'sc-importers[datumaro]')" in done.stderr
    sure = run(["import", str(source / "JPEGImages"), "--type", "detection", "--dry-run"])
    assert "is not installed" not in sure.stderr, sure.stderr  # with every reader installed: no note
