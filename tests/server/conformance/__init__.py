"""Replay engine for the SC 1.0 conformance suite (tests/server/test_conformance.py).

Recorded SC 1.0 flows (vcrpy cassettes) are replayed against a transport -- the local server over HTTP,
or the recordings themselves for the engine's own tests -- and every answer is compared with the
recorded one by status code and JSON structure (keys and value types, recursively).
"""
