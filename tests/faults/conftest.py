"""Fixtures of the fault-injection tests: a :class:`FaultProxy` (``proxy.py`` next to this file) in
front of a fresh local sc-server, and a small synthetic COCO dataset."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("sc_fault_proxy", Path(__file__).with_name("proxy.py"))
proxy_module = importlib.util.module_from_spec(_spec)
sys.modules["sc_fault_proxy"] = proxy_module  # dataclasses resolve annotations through sys.modules
_spec.loader.exec_module(proxy_module)


@pytest.fixture
def proxy(fresh_sc_server) -> Iterator:
    """A running fault proxy in front of this test's own server (``proxy.server`` is that server,
    to check what it holds without going through the proxy)."""
    with proxy_module.FaultProxy(fresh_sc_server.url) as running:
        running.server = fresh_sc_server
        yield running
    assert not running.errors, f"the fault proxy itself failed: {running.errors}"


@pytest.fixture
def direct_api(fresh_sc_server) -> Iterator:
    """A logged-in API straight to the server (not through the proxy), for checking results."""
    from sc_importers.rest import connect

    api = connect(fresh_sc_server.url, fresh_sc_server.username, fresh_sc_server.password, workers=4)
    yield api
    api.close()


@pytest.fixture(scope="session")
def small_coco(tmp_path_factory):
    """12 synthetic images (10 annotated with dog/cat boxes, 2 unannotated) as COCO, and its truth."""
    from sc_importers.synthetic import make_coco_dataset

    folder = tmp_path_factory.mktemp("faults-coco")
    truth = make_coco_dataset(folder, 12, ["dog", "cat"], seed=7, image_size=(160, 120), unannotated=2)
    return folder, truth


def held(api, project_name: str) -> dict[str, list[str] | None]:
    """What the server holds in project ``project_name``: image name -> sorted label names of its
    latest annotations (None: no annotation). Raises if two images share a name (a duplicate)."""
    project = api.find_project(project_name)
    assert project is not None, f"no project {project_name!r} on the server"
    images = list(api.list_media(project, "image"))
    names = [m.name for m in images]
    assert len(names) == len(set(names)), f"duplicate media on the server: {sorted(names)}"
    result: dict[str, list[str] | None] = {}
    for media in images:
        scene = api.get_annotation_scene(project, media)
        annotations = (scene or {}).get("annotations") or []
        result[media.name] = sorted(lb["name"] for a in annotations for lb in a["labels"]) or None
    return result


def expected(truth) -> dict[str, list[str] | None]:
    """:func:`held`'s view of a fully imported synthetic dataset."""
    return {item.name: sorted(lb for a in item.annotations for lb in a.labels) or None for item in truth.items}


@pytest.fixture
def server_view():
    """``server_view.held(api, name)`` and ``server_view.expected(truth)`` (see the functions)."""

    class _View:
        pass

    _View.held = staticmethod(held)
    _View.expected = staticmethod(expected)
    return _View
