"""Where to look at a project in a browser: the web viewer of the embedded ``sc-server``.

Only a local server (``127.0.0.1``, ``localhost``, ``::1``) is taken to be our ``sc-server``; a
remote SC or Geti server has its own UI whose addresses this client does not know, so no link is
given for it. The viewer's address is part of the contract with ``sc-server`` (``/viewer/projects/
<project id>``), written down here once rather than shared with the server's code.
"""

from __future__ import annotations

import webbrowser
from urllib.parse import urlsplit

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def viewer_url(host: str, project_id: str | None) -> str | None:
    """The viewer page of ``project_id`` on ``host``, or None when the host is not local (or there is
    no project)."""
    try:
        parts = urlsplit(host if "://" in host else f"http://{host}")
        hostname = parts.hostname
    except ValueError:
        return None
    if not project_id or hostname not in LOCAL_HOSTS:
        return None
    return f"{parts.scheme}://{parts.netloc}/viewer/projects/{project_id}"


def open_in_browser(url: str) -> bool:
    """Open ``url`` in the user's browser (``$BROWSER`` is honoured); False when none could be started."""
    try:
        return webbrowser.open(url)
    except webbrowser.Error:
        return False
