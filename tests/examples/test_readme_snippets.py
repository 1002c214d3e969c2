"""Every ```python block of README.md runs as written, in order, against real local sc-servers: host and
credentials come from the environment and the config file's profiles, as the README tells a user to set them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from sc_importers.rest import connect
from sc_importers.server.testing import running_server
from sc_importers.synthetic import make_coco_dataset

README = Path(__file__).resolve().parents[2] / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.DOTALL)


def test_readme_has_the_python_api_snippets():
    blocks = python_blocks()
    assert any("SCRESTClient(" in b for b in blocks) and any("from_profile" in b for b in blocks)


def test_readme_python_snippets_run_as_written(tmp_path: Path):
    make_coco_dataset(tmp_path / "data" / "coco", 12, ["dog", "cat", "horse"], seed=5, image_size=(96, 72))
    with running_server(tmp_path / "old-server") as old, running_server(tmp_path / "new-server",
                                                                        password="-other-pass") as new:
        config = tmp_path / "config.toml"
        config.write_text("".join(
            f'[profiles.{name}]\nhost = "{server.url}"\nusername = "{server.username}"\n'
            f"password_command = \"printf '%s\\\\n' '{server.password}'\"\n" for name, server in
            (("old", old), ("new", new))))
        env = {k: v for k, v in os.environ.items() if not k.startswith("SC_")}
        env.update(SC_HOST=old.url, SC_USERNAME=old.username, SC_PASSWORD=old.password, SC_CONFIG=str(config))
        for block in python_blocks():
            done = subprocess.run([sys.executable, "-c", block], cwd=tmp_path, env=env, capture_output=True,
                                  text=True, timeout=300)
            assert done.returncode == 0, f"README snippet failed:\n{block}\n{done.stdout}\n{done.stderr}"
        api = connect(new.url, new.username, new.password)
        try:
            assert sorted(p.name for p in api.list_projects()) == ["Animals", "Dogs"]
        finally:
            api.close()
