"""Start-up cost of ``sc``/``sc-server`` (nothing heavy imported for --help/--version), passwords starting
with ``-``, and connection profiles whose password comes from a command and is never written down."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sc_importers.server.testing import running_server

HEAVY = ("numpy", "cv2", "datumaro", "fastapi", "uvicorn", "av", "PIL", "yaml", "requests", "sc_importers.plugins")
SC = [sys.executable, "-c", "from sc_importers.cli.sc import main; main()"]


def _modules_after(entry: str, args: list[str]) -> set[str]:
    """The modules loaded once ``entry`` (``module:function``) ran with ``args`` and exited."""
    module, function = entry.split(":")
    code = (f"import sys\nsys.argv = ['x', *{args!r}]\nfrom {module} import {function}\n"
            f"try:\n    {function}()\nexcept SystemExit:\n    pass\n"
            "sys.stderr.write('MODULES ' + ' '.join(sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    line = next(line for line in done.stderr.splitlines() if line.startswith("MODULES "))
    return set(line.split()[1:])


@pytest.mark.parametrize(("entry", "args"), [
    ("sc_importers.cli.sc:main", ["--help"]),
    ("sc_importers.cli.sc:main", ["--version"]),
    ("sc_importers.server.cli:main", ["--help"]),
    ("sc_importers.server.cli:main", ["--version"]),
    ("sc_importers.cli.sc:main", ["server", "--version"]),
])
def test_help_and_version_import_nothing_heavy(entry: str, args: list[str]):
    loaded = _modules_after(entry, args)
    assert "click" in loaded or "argparse" in loaded  # it did run
    heavy = sorted(m for m in loaded if m.split(".")[0] in HEAVY or m in HEAVY)
    assert not heavy, f"{entry} {args} imported {heavy}"


def test_server_fault_kinds_are_the_servers_own():
    from sc_importers.server.cli import FAULT_KINDS
    from sc_importers.server.faults import KINDS

    assert FAULT_KINDS == KINDS


@pytest.mark.parametrize("password", ["-Xy3_generated", "--looks-like-an-option"])
def test_passwords_starting_with_a_dash(tmp_path: Path, password: str):
    from sc_importers.server.cli import parse_args

    assert parse_args(["--data-dir", str(tmp_path), "--password", password]).password == password
    with running_server(tmp_path / "data", password=password) as server:  # in the environment
        done = subprocess.run(SC + ["projects", "list", "--host", server.url, "--username", server.username,
                                    "--password", password],
                              capture_output=True, text=True, timeout=60, env={**os.environ, "SC_CONFIG": os.devnull})
        assert done.returncode == 0 and "(no projects)" in done.stdout, done.stdout + done.stderr


def test_profile_with_password_command(tmp_path: Path):
    secret = "-profile-secret-42"
    secret_file = tmp_path / "secret"
    secret_file.write_text(secret + "\n")
    secret_file.chmod(0o600)
    config = tmp_path / "config.toml"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SC_")}
    env["SC_CONFIG"] = str(config)
    with running_server(tmp_path / "data", password=secret) as server:
        config.write_text(f'default_profile = "other"\n[profiles.other]\nhost = "http://127.0.0.1:1"\n'
                          f'[profiles.local]\nhost = "{server.url}"\nusername = "{server.username}"\n'
                          f'password_command = "cat {secret_file}"\napi = "sc1"\n')
        by_option = subprocess.run(SC + ["--profile", "local", "projects", "list", "--json"], capture_output=True,
                                   text=True, env=env, timeout=60, stdin=subprocess.DEVNULL)
        assert by_option.returncode == 0 and json.loads(by_option.stdout) == [], by_option.stderr
        by_env = subprocess.run(SC + ["projects", "list"], capture_output=True, text=True, timeout=60,
                                env={**env, "SC_PROFILE": "local"}, stdin=subprocess.DEVNULL)
        assert by_env.returncode == 0, by_env.stderr
        # the alias takes --profile too
        alias = subprocess.run([str(Path(sys.executable).parent / "sc-export"), "--profile", "local", "--all",
                                "--target-folder", str(tmp_path / "b")], capture_output=True, text=True, env=env,
                               timeout=60, stdin=subprocess.DEVNULL)
        assert alias.returncode == 0, alias.stdout + alias.stderr
        for done in (by_option, by_env, alias):
            assert secret not in done.stdout + done.stderr
        assert secret not in config.read_text()
        assert secret not in (tmp_path / "data" / "sc-server.log").read_text()

        # a command that fails: exit 2, naming the file and the profile, never the output
        config.write_text(f'[profiles.local]\nhost = "{server.url}"\nusername = "admin"\n'
                          f'password_command = "echo {secret}; exit 3"\n')
        failing = subprocess.run(SC + ["--profile", "local", "projects", "list", "--json"], capture_output=True,
                                 text=True, env=env, timeout=60, stdin=subprocess.DEVNULL)
        assert failing.returncode == 2
        error = json.loads(failing.stdout)["error"]
        assert str(config) in error and "'local'" in error and "exit code 3" in error
        assert secret not in failing.stdout + failing.stderr

    config.write_text('[profiles.plain]\nhost = "http://x"\npassword = "hunter2"\n')
    plain = subprocess.run(SC + ["--profile", "plain", "projects", "list"], capture_output=True, text=True, env=env,
                           timeout=60, stdin=subprocess.DEVNULL)
    assert plain.returncode == 2 and "password_command" in plain.stderr and "hunter2" not in plain.stderr
    unknown = subprocess.run(SC + ["--profile", "nope", "projects", "list"], capture_output=True, text=True, env=env,
                             timeout=60, stdin=subprocess.DEVNULL)
    assert unknown.returncode == 2 and "profiles there: plain" in unknown.stderr


def test_geti_profile_with_token_command_and_ca_bundle(sc_server_tls, tmp_path: Path):
    """A Geti profile: the token from a command, TLS verified against the server's own certificate."""
    token_file = tmp_path / "token"
    token_file.write_text(sc_server_tls.api_key + "\n")
    config = tmp_path / "config.toml"
    config.write_text(f'[profiles.geti]\nhost = "{sc_server_tls.url}"\napi = "geti"\n'
                      f'api_key_command = "cat {token_file}"\nverify = "{sc_server_tls.cert_path}"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SC_", "REQUESTS_CA_BUNDLE"))}
    env.update(SC_CONFIG=str(config), SC_PROFILE="geti")
    done = subprocess.run(SC + ["projects", "list", "--json"], capture_output=True, text=True, env=env, timeout=60,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stdout + done.stderr
    assert isinstance(json.loads(done.stdout), list) and sc_server_tls.api_key not in done.stdout + done.stderr
    # without the CA bundle the self-signed certificate is refused: verification really was on
    config.write_text(config.read_text().replace(f'verify = "{sc_server_tls.cert_path}"', "verify = true"))
    refused = subprocess.run(SC + ["projects", "list"], capture_output=True, text=True, env=env, timeout=60,
                             stdin=subprocess.DEVNULL)
    assert refused.returncode == 2 and "certificate" in refused.stderr.lower(), refused.stderr
    # --ca-bundle on the command line does the same as the profile's verify
    by_option = subprocess.run(SC + ["projects", "list", "--ca-bundle", str(sc_server_tls.cert_path)],
                               capture_output=True, text=True, env=env, timeout=60, stdin=subprocess.DEVNULL)
    assert by_option.returncode == 0, by_option.stderr
