"""``connect``: log in to a server and get the :class:`ServerAPI` of its dialect.

Only SC 1.0 (``sc-v1``) exists now. Detection asks ``/api/v1.0/product_info`` after the login;
a later dialect (modern Geti, ``/api/v1/...`` with personal access tokens) adds its own probe
and login flow here, and callers keep calling ``connect``.
"""

from __future__ import annotations

from sc_importers.rest.base import ServerAPI, ServerError
from sc_importers.rest.login import DexLoginFlow
from sc_importers.rest.retry import RetryPolicy
from sc_importers.rest.sc_v1 import API as SC_V1_API
from sc_importers.rest.sc_v1 import SCv1API
from sc_importers.rest.session import SCSession


def connect(host: str, username: str, password: str, verify: bool = True, workers: int = 4,
            retry: RetryPolicy | None = None) -> ServerAPI:
    """Log in to ``host`` (``https://host`` or ``http://127.0.0.1:PORT``) and return its API.
    ``retry`` is the retry policy of every request (default: :class:`RetryPolicy`'s defaults).

    Raises :class:`~sc_importers.rest.base.AuthenticationError` for wrong credentials and
    :class:`~sc_importers.rest.base.ServerError` when the server speaks no known dialect.
    """
    session = SCSession(host, DexLoginFlow(username, password), verify=verify, workers=workers, retry=retry)
    try:
        session.login()
        response = session.request("GET", f"{SC_V1_API}/product_info", expect="any", ok_statuses=(404,))
        info = _json_or_none(response)
        if response.status_code == 200 and isinstance(info, dict) and "product-version" in info:
            api = SCv1API(session)
            api.workspace_id  # noqa: B018 - fail early if the user has no workspace
            return api
        raise ServerError(
            f"{session.host} does not look like an SC 1.0 server: GET {SC_V1_API}/product_info "
            f"answered HTTP {response.status_code}"
            + (f" with {sorted(info)[:5]}" if isinstance(info, dict) else "")
            + "; only the SC 1.0 API (sc-v1) is supported so far",
            status=response.status_code,
        )
    except BaseException:
        session.close()
        raise


def _json_or_none(response) -> object:
    try:
        return response.json()
    except ValueError:
        return None
