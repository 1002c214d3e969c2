"""sc-import and sc-export against a real local server whose password is recognisable: the password
and the session cookie's value never reach stdout or stderr (text and ``--json``, success and failed
login), and expected connection failures end in one clear line with the right exit code, no traceback.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from sc_importers.cli.export_cmd import command as export_command
from sc_importers.cli.import_cmd import build_command
from sc_importers.server.testing import LocalServer, running_server
from sc_importers.synthetic import make_coco_dataset

PASSWORD = "Recognisable-Pw-4417"


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[LocalServer]:
    with running_server(tmp_path_factory.mktemp("secrets-server"), password=PASSWORD) as running:
        yield running


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("secrets-data")
    make_coco_dataset(folder, 4, ["dog", "cat"], seed=5, image_size=(64, 48))
    return folder


def sc_import(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(build_command(), list(args), catch_exceptions=False)
    return result.exit_code, result.output


def sc_export(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(export_command, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def session_tokens(server: LocalServer) -> list[str]:
    """Every ``_oauth2_proxy`` cookie value the server ever handed out (its session table)."""
    with sqlite3.connect(server.data_dir / "sc-server.sqlite3") as conn:
        return [row[0] for row in conn.execute("SELECT token FROM sessions")]


def test_password_and_session_cookie_never_printed(server, dataset, tmp_path) -> None:
    login = ["--host", server.url, "--username", server.username, "--password", PASSWORD]
    wrong = ["--host", server.url, "--username", server.username, "--password", "Wrong-" + PASSWORD]
    name = f"secrets-{uuid.uuid4().hex[:8]}"
    outputs = []
    for json_flag in ([], ["--json"]):
        suffix = "-json" if json_flag else ""
        code, out = sc_import(str(dataset), "--type", "detection", "--project-name", name + suffix,
                              *json_flag, *login)
        assert code == 0, out
        outputs.append(out)
        code, out = sc_export(name + suffix, "--target-folder", str(tmp_path / f"backup{suffix}"), *json_flag,
                              *login)
        assert code == 0, out
        outputs.append(out)
        code, out = sc_import(str(dataset), "--type", "detection", "--project-name", "never", *json_flag, *wrong)
        assert code == 2 and "wrong user name or password" in out, out
        outputs.append(out)
        code, out = sc_export("--all", "--target-folder", str(tmp_path / "never"), *json_flag, *wrong)
        assert code == 1 and "wrong user name or password" in out and "Traceback" not in out, out
        outputs.append(out)
    tokens = session_tokens(server)
    assert len(tokens) >= 4  # every successful run logged in
    for out in outputs:
        assert PASSWORD not in out
        assert not [t for t in tokens if t in out]


@pytest.mark.parametrize("password", ["wrong", "login"])
def test_a_password_that_is_a_word_of_the_message_is_not_revealed_by_redaction(server, password) -> None:
    """Replacing the password by *** inside our own sentence ("*** user name or password") would
    tell a reader of the log what the password was."""
    code, out = sc_export("--all", "--host", server.url, "--username", server.username, "--password", password)
    assert code == 1
    assert "***" not in out
    assert f"login to {server.url} as 'admin' failed: wrong user name or password" in out


def test_sc_export_connection_failures_are_one_line(server, tmp_path) -> None:
    from sc_importers.server.testing import free_port

    for host, expected in ((f"http://127.0.0.1:{free_port()}", "cannot reach http://127.0.0.1"),
                           ("ftp://example.com", "is not an http(s) URL")):
        code, out = sc_export("--all", "--target-folder", str(tmp_path), "--host", host, "--username", "u",
                              "--password", PASSWORD)
        assert code == 1, out
        assert out.strip().startswith(f"Error: cannot log in to {host}") and expected in out, out
        assert "Traceback" not in out and len(out.strip().splitlines()) == 1


def test_credentials_in_the_address_are_refused_without_echoing_them(server, dataset) -> None:
    host = server.url.replace("http://", f"http://admin:{PASSWORD}@")
    code, out = sc_export("--all", "--host", host, "--username", "admin", "--password", PASSWORD)
    assert code == 1 and "must not contain a user name or password" in out and PASSWORD not in out, out
    code, out = sc_import(str(dataset), "--type", "detection", "--host", host, "--username", "admin",
                          "--password", PASSWORD)
    assert code == 2 and "must not contain a user name or password" in out and PASSWORD not in out, out
