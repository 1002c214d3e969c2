"""sc-import and sc-export against a real local server whose password is recognisable: the password
and the session cookie's value never reach stdout or stderr (text and ``--json``, success and failed
login), nor a log, a backup or any file of the server (which stores only hashes of session tokens,
privately); expected connection failures end in one clear line with the right exit code, no
traceback; the server takes its password from a file or the environment, never from its command line.
"""

from __future__ import annotations

import logging
import sqlite3
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from sc_importers.cli.export_cmd import command as export_command
from sc_importers.cli.import_cmd import build_command
from sc_importers.rest.login import DexLoginFlow
from sc_importers.server.auth import token_hash
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


@pytest.fixture
def cookies(monkeypatch) -> list[str]:
    """Every cookie value (the session token among them) the client's logins receive in this test:
    the real login runs, and its session's cookies are noted afterwards."""
    seen: list[str] = []
    login = DexLoginFlow.login

    def noting(self, http, host, options):
        try:
            login(self, http, host, options)
        finally:
            seen.extend(c.value for c in http.cookies if c.value)

    monkeypatch.setattr(DexLoginFlow, "login", noting)
    return seen


def stored_session_hashes(server: LocalServer) -> list[str]:
    with sqlite3.connect(server.data_dir / "sc-server.sqlite3") as conn:
        return [row[0] for row in conn.execute("SELECT token FROM sessions")]


def test_password_and_session_cookie_never_printed(server, dataset, tmp_path, cookies) -> None:
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
        assert code == 2 and "wrong user name or password" in out and "Traceback" not in out, out
        outputs.append(out)
    tokens = [c for c in cookies if token_hash(c) in stored_session_hashes(server)]
    assert len(tokens) >= 4  # every successful run logged in
    for out in outputs:
        assert PASSWORD not in out
        assert not [t for t in tokens if t in out]


@pytest.mark.parametrize("password", ["wrong", "login"])
def test_a_password_that_is_a_word_of_the_message_is_not_revealed_by_redaction(server, password) -> None:
    """Replacing the password by *** inside our own sentence ("*** user name or password") would
    tell a reader of the log what the password was."""
    code, out = sc_export("--all", "--host", server.url, "--username", server.username, "--password", password)
    assert code == 2
    assert "***" not in out
    assert f"login to {server.url} as 'admin' failed: wrong user name or password" in out


def test_sc_export_connection_failures_are_one_line(server, tmp_path) -> None:
    from sc_importers.server.testing import free_port

    for host, expected in ((f"http://127.0.0.1:{free_port()}", "cannot reach http://127.0.0.1"),
                           ("ftp://example.com", "is not an http(s) URL")):
        code, out = sc_export("--all", "--target-folder", str(tmp_path), "--host", host, "--username", "u",
                              "--password", PASSWORD)
        assert code == 2, out
        assert out.strip().startswith("Error: ") and expected in out, out
        assert "cannot log in" not in out, out  # the server is down or the address wrong: no login was tried
        assert "Traceback" not in out and len(out.strip().splitlines()) == 1


def test_credentials_in_the_address_are_refused_without_echoing_them(server, dataset) -> None:
    host = server.url.replace("http://", f"http://admin:{PASSWORD}@")
    code, out = sc_export("--all", "--host", host, "--username", "admin", "--password", PASSWORD)
    assert code == 2 and "must not contain a user name or password" in out and PASSWORD not in out, out
    code, out = sc_import(str(dataset), "--type", "detection", "--host", host, "--username", "admin",
                          "--password", PASSWORD)
    assert code == 2 and "must not contain a user name or password" in out and PASSWORD not in out, out


def _files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def test_no_secret_in_any_output_log_backup_or_server_file(server, dataset, tmp_path, cookies, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    login = ["--host", server.url, "--username", server.username, "--password", PASSWORD]
    name = f"at-rest-{uuid.uuid4().hex[:8]}"
    outputs = [
        sc_import(str(dataset), "--type", "detection", "--project-name", name, *login),
        sc_import(str(dataset), "--type", "detection", "--project-name", name, "--resume", "--json", *login),
        sc_export(name, "--target-folder", str(tmp_path / "backups"), *login),
        sc_export("--verify", str(tmp_path / "backups" / name), name, *login),
        sc_import(str(tmp_path / "backups" / name), "--format", "backup", "--project-name", name + "-r", *login),
    ]
    assert [code for code, _ in outputs] == [0, 0, 0, 0, 0], outputs
    secrets = {PASSWORD, *cookies}
    assert len(cookies) >= 5 and any(token_hash(c) in stored_session_hashes(server) for c in cookies)
    texts = {f"output {i}": out for i, (_, out) in enumerate(outputs)}
    texts["log records"] = caplog.text
    files = _files(tmp_path / "backups") + _files(server.data_dir)  # backup, journal, database, WAL, log, media
    assert any(p.name.endswith(".sqlite3") for p in files) and any(p.name == "sc-server.log" for p in files)
    found = [(where, "password" if secret == PASSWORD else "cookie/token")
             for where, text in texts.items() for secret in secrets if secret in text]
    found += [(str(path), "password" if secret == PASSWORD else "cookie/token")
              for path in files for secret in secrets if secret.encode() in path.read_bytes()]
    assert not found


def test_the_server_data_is_private_to_its_user(server) -> None:
    assert stat.S_IMODE(server.data_dir.stat().st_mode) == 0o700
    database = server.data_dir / "sc-server.sqlite3"
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    shared = [str(p) for p in [*server.data_dir.rglob("*")] if stat.S_IMODE(p.stat().st_mode) & 0o077]
    assert not shared


def test_the_server_password_stays_off_its_command_line(tmp_path) -> None:
    from sc_importers.rest import connect

    secret_file = tmp_path / "password.txt"
    secret_file.write_text("From-A-File-9931\n")
    with running_server(tmp_path / "data", password="From-A-File-9931",
                        extra_args=["--password-file", str(secret_file)]) as running:
        command_line = Path(f"/proc/{running._process.pid}/cmdline").read_bytes()
        environment = Path(f"/proc/{running._process.pid}/environ").read_bytes()
        assert b"From-A-File-9931" not in command_line + environment
        connect(running.url, running.username, "From-A-File-9931").close()
    with running_server(tmp_path / "data2", password="From-The-Env-5521") as running:
        assert b"From-The-Env-5521" not in Path(f"/proc/{running._process.pid}/cmdline").read_bytes()
        connect(running.url, running.username, "From-The-Env-5521").close()
