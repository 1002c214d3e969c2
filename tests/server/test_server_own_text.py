"""Guard: no prose from the recorded SC 1.0 responses is copied into the project's own files.

The recordings under ``../shared/sc-v1-recordings`` come from another project. Their facts (keys,
types, ids, enum values, numbers) may be reproduced by the local server; their sentences may not.
This test collects every longer human-looking string (25+ characters with a space) of every recorded
JSON response body and fails when one of them appears verbatim in a text file of ``sc_importers/``
or ``plugins/``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
SCANNED_DIRS = ("sc_importers", "plugins")
SCANNED_SUFFIXES = {".py", ".json", ".md"}
MIN_LENGTH = 25

#: Strings the local server must return word for word because clients see them as behaviour, not
#: as documentation: copying them is reproducing the API, like a key name or an enum value.
ALLOWED = {
    # Project status message the SC 1.0 server reports for a task waiting for annotations.
    "Waiting for user annotations",
    # Default label group name SC 1.0 gives a task's labels ("default - <task title>"); clients look
    # groups up by this name (the local server builds it from the task title).
    "default - Classification task",
}


def _strings(value: Any) -> Iterator[str]:
    """Every string value (not key) nested anywhere in a parsed JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _response_json(interaction: dict) -> Any:
    """The parsed JSON body of a recorded response, or None when the body is not JSON."""
    body = ((interaction.get("response") or {}).get("body") or {}).get("string")
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    if not isinstance(body, str) or not body.strip():
        return None
    try:
        return json.loads(body)
    except json.JSONDecodeError:
        return None


def recorded_prose(folder: Path) -> set[str]:
    """Strings of 25+ characters containing a space from every JSON response body of every cassette."""
    found: set[str] = set()
    for cassette in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(cassette.read_text(encoding="utf-8")) or {}
        for interaction in data.get("interactions") or []:
            for text in _strings(_response_json(interaction)):
                if len(text) >= MIN_LENGTH and " " in text:
                    found.add(text)
    return found


def _project_text_files() -> Iterator[Path]:
    for top in SCANNED_DIRS:
        for path in sorted((ROOT / top).rglob("*")):
            if path.is_file() and path.suffix in SCANNED_SUFFIXES:
                yield path


def _variants(text: str) -> set[str]:
    """The string as it would appear in a file: raw, and JSON-escaped (quotes, backslashes, unicode)."""
    return {text, json.dumps(text)[1:-1], json.dumps(text, ensure_ascii=False)[1:-1]}


def test_recordings_yield_prose_to_guard_against(shared) -> None:
    """The collector finds long sentences in the recordings; an empty set would make the guard vacuous."""
    prose = recorded_prose(shared.recordings())
    assert len(prose - ALLOWED) >= 20, f"only {len(prose)} recorded strings collected"


def test_allow_list_entries_are_recorded_strings(shared) -> None:
    """Every allow-listed string really occurs in the recordings (a stale entry would hide nothing)."""
    prose = recorded_prose(shared.recordings())
    assert ALLOWED <= prose, f"allow-list entries not in the recordings: {sorted(ALLOWED - prose)}"


def test_no_recorded_prose_in_project_files(shared) -> None:
    """No recorded sentence appears verbatim in any .py/.json/.md file of sc_importers/ or plugins/."""
    guarded = recorded_prose(shared.recordings()) - ALLOWED
    needles = [(text, variant) for text in guarded for variant in _variants(text)]
    offences: list[str] = []
    for path in _project_text_files():
        content = path.read_text(encoding="utf-8", errors="replace")
        hits = sorted({text for text, variant in needles if variant in content})
        offences += [f"{path.relative_to(ROOT)}: {text!r}" for text in hits]
    assert not offences, f"{len(offences)} recorded string(s) copied into the project:\n" + "\n".join(offences)
