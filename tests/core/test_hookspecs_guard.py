"""Guard: every hook spec is documented (including its return) and used by some other test file.

A new hook added to sc_importers/hookspecs.py without a docstring or without tests fails here.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from sc_importers import hookspecs

REPO = Path(__file__).resolve().parents[2]
HOOK_SPECS = [
    (name, fn) for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
    if hasattr(fn, "sc_importers_spec")
]


def test_there_are_hook_specs() -> None:
    assert {"register_format_readers", "register_project_types"} <= {name for name, _ in HOOK_SPECS}


@pytest.mark.parametrize(("name", "fn"), HOOK_SPECS, ids=[n for n, _ in HOOK_SPECS])
def test_hook_spec_docstring_mentions_its_return(name: str, fn) -> None:
    doc = inspect.getdoc(fn) or ""
    assert doc, f"hook spec {name} has no docstring"
    assert "return" in doc.lower(), f"hook spec {name}: the docstring must say what the hook returns"


@pytest.mark.parametrize(("name", "fn"), HOOK_SPECS, ids=[n for n, _ in HOOK_SPECS])
def test_hook_spec_is_used_in_some_test(name: str, fn) -> None:
    this = Path(__file__).resolve()
    test_files = [
        p for pattern in ("tests/**/test_*.py", "plugins/*/tests/**/test_*.py") for p in REPO.glob(pattern)
        if p.resolve() != this
    ]
    users = [p for p in test_files if name in p.read_text(encoding="utf-8")]
    assert users, f"hook spec {name} appears in no test file: add a test for it"
