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
def _ctrl_c_as_in_a_terminal() -> None:
    """Python's own SIGINT handler, as in a terminal: a test run started in the background (nohup, a
    non-interactive shell) inherits SIGINT ignored, and then neither the Ctrl-C tests' commands nor
    their subprocesses (which inherit an ignored signal, not a handler) would see the Ctrl-C they are sent."""
    import signal

    signal.signal(signal.SIGINT, signal.default_int_handler)


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


@pytest.fixture(scope="session")
def shared() -> type:
    """Gives tests ``shared(relative_path)``-style access: ``shared.path("datasets/voc-raccoon")`` (a
    session fixture, so module- and session-scoped fixtures can use it too)."""

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


@pytest.fixture(scope="session")
def sc_server_tls(tmp_path_factory: pytest.TempPathFactory):
    """One shared local sc-server over HTTPS (``--tls``) for the whole test session, as Geti 2.x clients
    need: ``server.url`` is ``https://...``, ``server.verify`` / ``server.cert_path`` the CA bundle to
    trust it with, ``server.api_key`` the token for ``x-api-key``. Every fixture's server has ``api_key``."""
    from sc_importers.server.testing import running_server

    with running_server(tmp_path_factory.mktemp("sc-server-tls"), tls=True) as server:
        yield server


# -- API dialects: tests marked ``both_dialects`` run against SC 1.0 and Geti 2.x ---------------------------

#: The dialects of the local sc-server: SC 1.0 (user and password), Geti 2.x (a personal access token) and
#: Geti 3 (no login), the last served by the server's Geti 3 companion (``LocalServer.geti3()``, a separate mode).
DIALECTS = ("sc1", "geti", "geti3")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test (or module, by ``pytestmark``) marked ``both_dialects`` that uses the ``dialect`` fixture,
    directly or through a fixture that logs in, runs once per dialect."""
    marker = metafunc.definition.get_closest_marker("both_dialects")
    if marker is not None and "dialect" in metafunc.fixturenames:
        # both_dialects(geti_xfail="why"): the Geti run is expected to fail (strictly: a fix shows up);
        # not_geti3("why"): the test is about something Geti 3 does not have
        skip = metafunc.definition.get_closest_marker("not_geti3")
        params = []
        for d in DIALECTS:
            why = marker.kwargs.get(f"{d}_xfail")
            if d == "geti3" and skip is not None:
                params.append(pytest.param(d, marks=pytest.mark.skip(reason=f"Geti 3: {skip.args[0]}")))
            elif why:
                params.append(pytest.param(d, marks=pytest.mark.xfail(reason=why, strict=True)))
            else:
                params.append(d)
        metafunc.parametrize("dialect", params, indirect=True, scope="session")


@pytest.fixture(scope="session")
def dialect(request) -> str:
    """The API dialect a test talks: ``sc1`` unless it is marked ``both_dialects``."""
    return getattr(request, "param", "sc1")


def login_args(server, dialect: str = "sc1") -> list[str]:
    """``sc-import``/``sc-export`` arguments logging in to a local ``server`` in ``dialect``."""
    if dialect == "geti":
        return ["--host", server.url, "--api", "geti", "--api-key", server.api_key]
    if dialect == "geti3":
        return ["--host", server.geti3().url, "--api", "geti3"]
    return ["--host", server.url, "--username", server.username, "--password", server.password]


def open_api(server, dialect: str = "sc1", workers: int = 8):
    """A logged-in :class:`~sc_importers.rest.base.ServerAPI` of a local ``server`` in ``dialect``."""
    from sc_importers.rest import connect

    if dialect == "geti":
        return connect(server.url, api_key=server.api_key, workers=workers)
    if dialect == "geti3":  # detected: no credentials, no --api
        return connect(server.geti3().url, workers=workers)
    return connect(server.url, server.username, server.password, workers=workers)


@pytest.fixture(scope="session")
def dialects() -> object:
    """``dialects.login_args(server, dialect)`` and ``dialects.open_api(server, dialect)`` for test
    modules (importing from a conftest is unreliable under ``--import-mode=importlib``)."""
    import types

    return types.SimpleNamespace(login_args=login_args, open_api=open_api)
