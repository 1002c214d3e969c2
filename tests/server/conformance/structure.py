"""Structural comparison of JSON bodies, and learning which local id stands for which recorded id.

Two bodies conform when they have the same value type at every JSON path and the same key set in
every object. Lists are compared element by element: elements are paired by their `name`/`title`
when they carry one, by position when the lengths match, otherwise each local element is compared
with the recorded element it resembles most. int and float are different types (the recordings
never mix them at one place once elements are paired by name). null is a type of its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from .cassettes import ID_RE

PAIR_KEYS = ("name", "title")


def type_name(value: Any) -> str:
    """JSON type of a parsed value: null, bool, int, float, str, list or object."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    for kind, name in ((int, "int"), (float, "float"), (str, "str"), (list, "list"), (dict, "object")):
        if isinstance(value, kind):
            return name
    return type(value).__name__


def _pair_key(value: Any) -> str | None:
    if isinstance(value, dict):
        for key in PAIR_KEYS:
            if isinstance(value.get(key), str):
                return f"{key}={value[key]}"
    return None


def pair_elements(expected: list, actual: list) -> Iterator[tuple[int, Any, Any, bool]]:
    """Yield (actual index, recorded element, local element, trusted) for each local element.

    `trusted` is True when the pairing identifies the same entity (same name, or same position
    in lists without names); only trusted pairs may teach id mappings.
    """
    if not expected:
        return
    by_key: dict[str, Any] = {}
    for element in expected:
        key = _pair_key(element)
        if key is not None:
            by_key.setdefault(key, element)
    for index, element in enumerate(actual):
        key = _pair_key(element)
        if key is not None and key in by_key:
            yield index, by_key[key], element, True
        elif len(expected) == len(actual):
            yield index, expected[index], element, key is None and _pair_key(expected[index]) is None
        else:
            best = min(expected, key=lambda candidate: len(compare(candidate, element)))
            yield index, best, element, False


def created_before(instant: str) -> Callable[[Any], bool]:
    """Predicate for recorded list elements that existed before the recording session started
    (objects with an ISO `creation_time` earlier than `instant`): a fresh server cannot have them."""
    return lambda element: isinstance(element, dict) and str(element.get("creation_time", "~")) < instant


def compare(
    expected: Any, actual: Any, path: str = "$", preexisting: Callable[[Any], bool] | None = None
) -> list[str]:
    """Differences between a recorded and a local JSON value, one `path: problem` string each.

    Lists must also have as many elements as recorded, not counting recorded elements for which
    `preexisting` is true (they were on the recorded server before the recorded flows began).
    """
    want, got = type_name(expected), type_name(actual)
    if want != got:
        return [f"{path}: expected {want}, got {got}"]
    problems: list[str] = []
    if want == "object":
        for key in sorted(expected.keys() - actual.keys()):
            problems.append(f"{path}.{key}: missing key (expected {type_name(expected[key])})")
        for key in sorted(actual.keys() - expected.keys()):
            problems.append(f"{path}.{key}: unexpected key ({type_name(actual[key])})")
        for key in sorted(expected.keys() & actual.keys()):
            problems.extend(compare(expected[key], actual[key], f"{path}.{key}", preexisting))
    elif want == "list":
        wanted = [e for e in expected if not (preexisting and preexisting(e))]
        if len(wanted) != len(actual):
            older = len(expected) - len(wanted)
            note = f" (plus {older} recorded that predate the recorded flows)" if older else ""
            problems.append(f"{path}: expected {len(wanted)} element(s){note}, got {len(actual)}")
        for index, recorded, local, _ in pair_elements(expected, actual):
            problems.extend(compare(recorded, local, f"{path}[{index}]", preexisting))
    return problems


class IdMap:
    """Recorded id -> local id, learned from answers at the same JSON path; rewrites requests."""

    def __init__(self) -> None:
        self.mapping: dict[str, str] = {}

    def learn(self, recorded: Any, local: Any) -> None:
        """Walk both bodies in parallel (trusted pairs only) and map every recorded id to the local
        value found at the same place. A mapping, once learned, is never changed."""
        if isinstance(recorded, dict) and isinstance(local, dict):
            for key in recorded.keys() & local.keys():
                self.learn(recorded[key], local[key])
        elif isinstance(recorded, list) and isinstance(local, list):
            for _, rec, loc, trusted in pair_elements(recorded, local):
                if trusted:
                    self.learn(rec, loc)
        elif isinstance(recorded, str) and isinstance(local, str):
            self._learn_string(recorded.strip(), local.strip())

    def _learn_string(self, recorded: str, local: str) -> None:
        ids = ID_RE.findall(recorded)
        if not ids:
            return
        literals = ID_RE.split(recorded)
        pattern = "(.+?)".join(re.escape(part) for part in literals)
        match = re.fullmatch(pattern, local)
        if match is None:
            return
        for rid, lid in zip(ids, match.groups(), strict=True):
            self.mapping.setdefault(rid, lid)

    def rewrite(self, text: str) -> tuple[str, list[str]]:
        """Text with every mapped recorded id replaced; also the recorded ids that had no mapping."""
        unmapped: list[str] = []

        def substitute(match: re.Match[str]) -> str:
            rid = match.group(0)
            if rid not in self.mapping:
                unmapped.append(rid)
            return self.mapping.get(rid, rid)

        return ID_RE.sub(substitute, text), unmapped
