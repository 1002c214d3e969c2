"""A newcomer's first commands and wrong inputs, as subprocesses against a real local sc-server: each message
says what actually happened (no "cannot log in" for a server that is down), hints name the ``sc`` commands,
the login is checked before a dataset is read, and every ``--json`` error has ``error`` and ``exit_code``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sc_importers.server.testing import free_port
from sc_importers.synthetic import make_coco_dataset

SC = [sys.executable, "-c", "from sc_importers.cli.sc import main; main()"]
SC_IMPORT = [sys.executable, "-c", "from sc_importers.cli.import_cmd import main; main()"]


def run(args: list[str], env: dict | None = None, command: list[str] = SC) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("SC_")}
    full_env.update(env or {})
    full_env.setdefault("SC_CONFIG", os.devnull)
    return subprocess.run(command + args, capture_output=True, text=True, env=full_env, timeout=120,
                          stdin=subprocess.DEVNULL)


def login(server, password: str | None = None) -> dict:
    return {"SC_HOST": server.url, "SC_USERNAME": server.username, "SC_PASSWORD": password or server.password}


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    folder = tmp_path / "coco"
    make_coco_dataset(folder, 3, ["dog", "cat"], seed=4, image_size=(64, 48))
    return folder


@pytest.fixture
def unreadable(tmp_path: Path) -> Path:
    """A folder the COCO reader refuses (its annotation file is not JSON)."""
    folder = tmp_path / "broken"
    (folder / "annotations").mkdir(parents=True)
    (folder / "images").mkdir()
    (folder / "annotations" / "instances.json").write_text("{not json")
    return folder


def test_hints_name_the_sc_commands(sc_server, dataset: Path):
    for command in (SC + ["import"], SC_IMPORT):
        missing = run([], command=command)
        assert missing.returncode == 2 and "sc formats" in missing.stderr and "sc types" in missing.stderr, \
            missing.stderr
    no_type = run(["import", str(dataset), "--format", "coco"], login(sc_server))
    assert no_type.returncode == 2 and "sc types" in no_type.stderr, no_type.stderr
    wrong_format = run(["import", str(dataset), "--format", "cocoo", "--dry-run"])
    assert wrong_format.returncode == 2 and "sc formats" in wrong_format.stderr, wrong_format.stderr
    for done in (no_type, wrong_format, run(["import", "--help"])):
        assert "--list-types" not in done.stderr and "see --list" not in done.stdout, done.stdout + done.stderr
    assert "Traceback" not in no_type.stderr + wrong_format.stderr


def test_wrong_password_is_told_before_the_dataset_is_read(sc_server, unreadable: Path):
    """The dataset cannot be read; a real import says the login is refused first (it used to read for
    minutes, then say so); the dry run needs no server and reports the dataset."""
    done = run(["import", str(unreadable), "--format", "coco", "--type", "detection", "--json"],
               login(sc_server, "wrong-password"))
    assert done.returncode == 2, done.stdout + done.stderr
    error = json.loads(done.stdout)
    assert error["exit_code"] == 2 and error["error"].startswith(f"cannot log in to {sc_server.url}"), error
    assert "wrong-password" not in done.stdout + done.stderr
    dry = run(["import", str(unreadable), "--format", "coco", "--type", "detection", "--dry-run"],
              {"SC_HOST": "http://127.0.0.1:9"})
    assert dry.returncode == 1 and "instances.json" in dry.stderr, dry.stderr
    assert "cannot reach" not in dry.stderr and "log in" not in dry.stderr, dry.stderr


def test_a_server_that_is_down_is_not_a_login_failure(dataset: Path, unreadable: Path):
    host = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    env = {"SC_HOST": host, "SC_USERNAME": "admin", "SC_PASSWORD": "secret"}
    started = time.monotonic()
    done = run(["import", str(unreadable), "--format", "coco", "--type", "detection"], env)
    assert done.returncode == 2 and f"cannot reach {host}" in done.stderr, done.stderr
    assert "cannot log in" not in done.stderr and "instances.json" not in done.stderr, done.stderr
    assert time.monotonic() - started < 60
    for args in (["export", "--all"], ["projects", "list"], ["verify", str(dataset)]):
        other = run(args + ["--json"], env)
        error = json.loads(other.stdout)
        assert other.returncode == 2 and error["exit_code"] == 2, other.stdout + other.stderr
        assert error["error"].startswith(f"cannot reach {host}") and "log in" not in error["error"], error


def test_an_untrusted_certificate_says_tls_verification_failed(sc_server_tls, dataset: Path):
    env = {"SC_HOST": sc_server_tls.url, "SC_API_KEY": sc_server_tls.api_key}
    for args in (["import", str(dataset), "--format", "coco", "--type", "detection"], ["projects", "list"]):
        done = run(args, env)
        assert done.returncode == 2, done.stderr
        assert f"TLS verification failed for {sc_server_tls.url}" in done.stderr and "--ca-bundle" in done.stderr, \
            done.stderr
        assert "cannot log in" not in done.stderr and "cannot reach" not in done.stderr, done.stderr


def test_every_json_error_has_error_and_exit_code(sc_server, dataset: Path, unreadable: Path):
    # a source refused while reading (the import logged in, then could not read the folder)
    refused = run(["import", str(unreadable), "--format", "coco", "--type", "detection", "--json"], login(sc_server))
    error = json.loads(refused.stdout)
    assert refused.returncode == 2 and error["exit_code"] == 2 and "instances.json" in error["error"], error
    assert error["source"] == str(unreadable) and error["refused"] == error["error"]  # the older keys stay
    # a refusal of the uploader (the name is taken): its report carries "error" too
    name = "First steps taken name"
    first = run(["import", str(dataset), "--format", "coco", "--type", "detection", "--project-name", name],
                login(sc_server))
    assert first.returncode == 0, first.stdout + first.stderr
    again = run(["import", str(dataset), "--format", "coco", "--type", "detection", "--project-name", name,
                 "--json"], login(sc_server))
    report = json.loads(again.stdout)
    assert again.returncode == 2 and report["exit_code"] == 2 and name in report["error"], report
    # a usage error of the alias
    usage = run([str(dataset), "--type", "nosuch", "--json"], command=SC_IMPORT)
    assert usage.returncode == 2 and json.loads(usage.stdout)["error"].startswith("unknown project type")


def test_sc_config_naming_a_missing_file_is_an_error(sc_server, tmp_path: Path):
    missing = tmp_path / "no-such-config.toml"
    done = run(["projects", "list", "--json"], {**login(sc_server), "SC_CONFIG": str(missing)})
    error = json.loads(done.stdout)
    assert done.returncode == 2 and error["exit_code"] == 2 and str(missing) in error["error"], done.stdout
    assert "SC_CONFIG" in error["error"]
    # the default file need not exist (no SC_CONFIG, an empty XDG_CONFIG_HOME)
    env = {k: v for k, v in login(sc_server).items()}
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("SC_")}
    full_env.update(env, XDG_CONFIG_HOME=str(tmp_path / "xdg"))
    default = subprocess.run(SC + ["projects", "list"], capture_output=True, text=True, env=full_env, timeout=120,
                             stdin=subprocess.DEVNULL)
    assert default.returncode == 0, default.stderr


def test_a_target_folder_that_cannot_be_made_is_refused_before_downloading(sc_server, tmp_path: Path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    done = run(["export", "--all", "--target-folder", str(blocker / "backups"), "--json"], login(sc_server))
    error = json.loads(done.stdout)
    assert done.returncode == 2 and error["exit_code"] == 2, done.stdout + done.stderr
    assert error["error"].startswith(f"cannot create --target-folder {blocker / 'backups'}"), error


def test_a_dataset_without_labels_says_why(tmp_path: Path, dataset: Path):
    done = run(["import", str(dataset), "--format", "yolo", "--type", "detection", "--dry-run"])  # COCO, read as YOLO
    assert done.returncode == 1, done.stdout + done.stderr
    assert "no labels left to create a detection project with (the yolo reader found none" in done.stdout
    assert "--add-labels" in done.stdout and "--format" in done.stdout


def test_no_credentials_for_a_server_of_both_apis_names_both_ways_in(sc_server):
    """The local sc-server speaks SC 1.0 and Geti 2.x; a user who forgot the login hears of both (it used to
    say only that a personal access token was needed)."""
    done = run(["projects", "list"], {"SC_HOST": sc_server.url})
    assert done.returncode == 2, done.stderr
    assert "--username" in done.stderr and "--api-key" in done.stderr and "no credentials" in done.stderr, \
        done.stderr
