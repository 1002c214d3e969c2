"""The bad-input corpus (tests/corpus/cases.py): every broken dataset gets its expected exit code
and a message naming the problem, never a traceback, from ``sc-import --dry-run`` and from the real
import alike (same checks: the import runs the dry run's checks on what it uploads).

Exit codes agree as documented: a dry run exits 0 when the dataset can be imported (items with
errors are listed and would be skipped) and the import then exits 1 if it skipped any (0 when there
were only warnings); a dry run exits 1 when the dataset cannot be imported as asked, and the import
then refuses it with 2, creating nothing.
"""

from __future__ import annotations

import importlib.util
import sys
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from sc_importers.cli.import_cmd import build_command
from sc_importers.model import printable

_spec = importlib.util.spec_from_file_location("corpus_cases", Path(__file__).with_name("cases.py"))
cases = importlib.util.module_from_spec(_spec)
sys.modules["corpus_cases"] = cases  # dataclasses look their module up while the file runs
_spec.loader.exec_module(cases)

#: (dry-run exit code, import exit code) pairs that say the same thing
AGREEING = {(0, 0), (0, 1), (1, 2)}


def _run(case, folder: Path, *extra: str):
    result = CliRunner().invoke(build_command(), [str(folder), "--format", case.format, "--type", case.type,
                                                  *extra])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"{case.id}: {type(result.exception).__name__}: {result.exception}") \
            from result.exception
    return result.exit_code, printable(result.output)


def test_the_corpus_is_large_and_agrees_with_itself():
    assert len(cases.CASES) >= 50
    assert len({c.id for c in cases.CASES}) == len(cases.CASES)
    assert all((c.dry, c.real) in AGREEING for c in cases.CASES)


@pytest.mark.parametrize("case", cases.CASES, ids=lambda c: c.id)
def test_dry_run(case, tmp_path):
    folder = tmp_path / "ds"
    case.build(folder)
    code, output = _run(case, folder, "--dry-run")
    assert "Traceback" not in output
    assert case.message in output, output
    assert code == case.dry, output


@pytest.mark.slow
@pytest.mark.parametrize("case", cases.CASES, ids=lambda c: c.id)
def test_import(case, tmp_path, sc_server):
    folder = tmp_path / "ds"
    case.build(folder)
    code, output = _run(case, folder, "--project-name", f"corpus-{case.id}-{uuid.uuid4().hex[:6]}",
                        "--host", sc_server.url, "--username", sc_server.username, "--password", sc_server.password)
    assert "Traceback" not in output
    assert case.message in output or case.message == "importable", output
    assert code == case.real, output
