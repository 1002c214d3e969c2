"""Fixtures shared by the core tests (tests/) and every built-in plugin's tests (plugins/*/tests)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("SC_SHARED_DIR", ROOT.parent / "shared"))


def shared_path(relative: str) -> Path:
    """Path of real test data under ``../shared``; fails under CI (``CI`` set) when it is
    missing, skips otherwise, so a developer without the data still runs everything else."""
    path = SHARED / relative
    if not path.exists():
        message = f"shared test data missing: {path}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session", autouse=True)
def _private_state_dir(tmp_path_factory: pytest.TempPathFactory):
    """sc-import's upload journal (sc_importers/uploader/upload_journal.py) goes into a temporary
    state dir, never the user's; set in the environment, so subprocesses inherit it."""
    previous = os.environ.get("SC_IMPORTERS_STATE_DIR")
    os.environ["SC_IMPORTERS_STATE_DIR"] = str(tmp_path_factory.mktemp("sc-importers-state"))
    yield
    if previous is None:
        os.environ.pop("SC_IMPORTERS_STATE_DIR", None)
    else:
        os.environ["SC_IMPORTERS_STATE_DIR"] = previous


@pytest.fixture
def shared() -> type:
    """Gives tests ``shared(relative_path)``-style access: ``shared.path("datasets/voc-raccoon")``."""

    class _Shared:
        path = staticmethod(shared_path)
        datasets = staticmethod(lambda rel="": shared_path(f"datasets/{rel}".rstrip("/")))
        recordings = staticmethod(lambda rel="": shared_path(f"sc-v1-recordings/{rel}".rstrip("/")))

    return _Shared


# -- sc-server fixtures (local SC 1.0-compatible server, sc_importers/server) ------------------------------


@pytest.fixture(scope="session")
def sc_server(tmp_path_factory: pytest.TempPathFactory):
    """One shared local sc-server subprocess for the whole test session (temp data dir).
    Tests using it must create projects with unique names."""
    from sc_importers.server.testing import running_server

    with running_server(tmp_path_factory.mktemp("sc-server")) as server:
        yield server


@pytest.fixture
def fresh_sc_server(tmp_path: Path):
    """A local sc-server subprocess with its own empty data dir, stopped after the test."""
    from sc_importers.server.testing import running_server

    with running_server(tmp_path / "sc-server-data") as server:
        yield server
