"""A virtual environment holding the core install of sc-importers (no extras), for test_core_install.py.

Built as a user would: ``python -m venv`` without system site-packages, then ``pip install REPO`` (a wheel
built from the checkout, its core dependencies from the configured index). The venv is cached outside the
repository, keyed on the core dependency list, the Python version and the checkout
(``${SC_CORE_VENV_DIR:-~/.cache/sc-importers}/core-venv-<key>``, ``$XDG_CACHE_HOME`` instead of ``~/.cache``
when set), so only a changed dependency list pays for a fresh install; every use reinstalls the project itself
(``--no-deps --force-reinstall``, a few seconds) so the wheel holds the code under test.
``SC_CORE_VENV_FRESH=1`` rebuilds it anyway.

A fresh build measures itself into ``measured.json`` in the venv (install seconds, venv size), the numbers
README's install section quotes. Run by hand to see them::

    python tests/cli/core_venv.py [--fresh]
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

REPO = Path(__file__).resolve().parents[2]
#: pip's own timeout per build step; an index that does not answer fails the build instead of hanging.
INSTALL_TIMEOUT = 900


def core_dependencies() -> list[str]:
    return list(tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"])


def venv_dir() -> Path:
    """The cached venv of this checkout (two checkouts reinstalling their own code into one venv would test
    each other's), for this Python and this core dependency list."""
    key = hashlib.sha256(json.dumps([sys.version_info[:2], core_dependencies(), str(REPO)]).encode()).hexdigest()[:12]
    base = os.environ.get("SC_CORE_VENV_DIR") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache",
                                                      "sc-importers")
    return Path(base) / f"core-venv-{key}"


def size_bytes(folder: Path) -> int:
    """Disk use of ``folder`` as ``du`` counts it (allocated blocks, each file once)."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            stat = os.lstat(os.path.join(root, name))
            if (stat.st_dev, stat.st_ino) not in seen:
                seen.add((stat.st_dev, stat.st_ino))
                total += stat.st_blocks * 512
    return total


def _pip(python: Path, *args: str) -> None:
    """``pip ARGS`` in the venv; a failure raises with pip's last words."""
    done = subprocess.run([str(python), "-m", "pip", *args, "--quiet", "--disable-pip-version-check"],
                          capture_output=True, text=True, timeout=INSTALL_TIMEOUT, env=_clean_env())
    if done.returncode != 0:
        raise RuntimeError(f"pip {' '.join(args)} failed:\n{(done.stderr or done.stdout)[-3000:]}")


def _clean_env() -> dict[str, str]:
    """The environment without what would let the venv see the project's own environment."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}


def _source_copy(target: Path) -> Path:
    """What a wheel is built from, copied to ``target``: the build writes build/ and *.egg-info beside its
    sources, which must not land in the checkout."""
    shutil.copytree(REPO, target, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis", "tests",
        "benchmarks", "docs", "examples"))
    return target


@contextmanager
def core_venv_in_use(fresh: bool = False) -> Iterator[Path]:
    """:func:`core_venv`, locked until the block ends: a second test run of the same checkout waits instead
    of reinstalling the project under the first one's feet."""
    folder = venv_dir()
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / f"{folder.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield core_venv(fresh)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def core_venv(fresh: bool = False) -> Path:
    """The venv's python, with the current checkout installed without extras (unlocked: see
    :func:`core_venv_in_use`)."""
    folder = venv_dir()
    python = folder / "bin" / "python"
    fresh = fresh or os.environ.get("SC_CORE_VENV_FRESH") == "1" or not (folder / "measured.json").is_file()
    if fresh:
        shutil.rmtree(folder, ignore_errors=True)
        folder.parent.mkdir(parents=True, exist_ok=True)
        start = time.monotonic()
        subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True, timeout=300, env=_clean_env())
        with tempfile.TemporaryDirectory(prefix="sc-core-src-") as tmp:
            _pip(python, "install", str(_source_copy(Path(tmp) / "src")))
        seconds = time.monotonic() - start
        measured = {"install_seconds": round(seconds, 1), "size_mb": round(size_bytes(folder) / 1e6),
                    "dependencies": core_dependencies()}
        (folder / "measured.json").write_text(json.dumps(measured, indent=2), encoding="utf-8")
    else:
        with tempfile.TemporaryDirectory(prefix="sc-core-src-") as tmp:
            _pip(python, "install", "--no-deps", "--force-reinstall", str(_source_copy(Path(tmp) / "src")))
    return python


if __name__ == "__main__":
    with core_venv_in_use(fresh="--fresh" in sys.argv) as venv_python:
        print((venv_python.parents[1] / "measured.json").read_text(encoding="utf-8"))
        print(venv_python)
