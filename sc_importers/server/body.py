"""Reading a JSON request body safely: bounded in size, and strict JSON only.

Why: ``Request.json()`` reads any size into memory and, like Python's ``json``, accepts ``NaN`` and
``Infinity``. Such a value stored in a project or configuration made every later GET of it fail
(the response encoder refuses non-finite floats), so one bad request broke the project listing
for good. Every JSON endpoint reads its body through :func:`read_json`.
"""

from __future__ import annotations

import json

from fastapi import Request

from sc_importers.server.errors import ApiError, bad_request

#: Largest JSON body accepted (413 above). Annotation scenes of large segmentation masks reach a
#: few MB; SC 1.0's limit is not recorded, so this is generous rather than faithful.
MAX_JSON_BYTES = 64 * 1024 * 1024


def _too_large(what: str) -> ApiError:
    return ApiError(413, "payload_too_large",
                    f"{what} is larger than {MAX_JSON_BYTES // (1024 * 1024)} MB; the request was refused.")


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not allowed in JSON (only finite numbers)")


async def read_json(request: Request, what: str) -> object:
    """The parsed JSON body; 413 when larger than :data:`MAX_JSON_BYTES`, 400 naming ``what`` when
    it is not strict JSON."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > MAX_JSON_BYTES:
        raise _too_large(what)
    chunks, size = [], 0
    async for chunk in request.stream():  # also bounds chunked bodies without a Content-Length
        size += len(chunk)
        if size > MAX_JSON_BYTES:
            raise _too_large(what)
        chunks.append(chunk)
    return parse_json(b"".join(chunks), what)


def parse_json(raw: bytes, what: str) -> object:
    """``raw`` parsed as strict JSON; 400 naming ``what`` when it is not (the size is the caller's check)."""
    try:
        return json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_request(f"{what} is not valid JSON: {exc}") from exc
