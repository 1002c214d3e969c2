"""``sc-server``: run the local SC 1.0-compatible server.

    sc-server --data-dir DIR [--host 127.0.0.1] [--port 5000] [--username admin] [--password PASS]
              [--session-ttl SECONDS]

The password comes from ``--password``, else the environment variable ``SC_SERVER_PASSWORD``, else a
random one is generated and printed at start-up (a new one at every start: pass ``--password`` or
``SC_SERVER_PASSWORD`` to keep one across restarts).
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import sys
from pathlib import Path

import uvicorn

from sc_importers.server.app import create_app


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="sc-server",
        description="Local SC 1.0-compatible server: the SC 1.0 REST API under /api/v1.0/, metadata in "
                    "SQLite and media files under --data-dir, login required.",
        epilog="Example: sc-server --data-dir ./sc-data --port 5000 --password choose-one, then "
               "SC_HOST=http://127.0.0.1:5000 SC_USERNAME=admin SC_PASSWORD=choose-one sc-import DATASET ...",
    )
    parser.add_argument("--data-dir", required=True, type=Path, help="where metadata and media are stored")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", default=5000, type=int, help="port to listen on (default 5000)")
    parser.add_argument("--username", default="admin", help="the one user's login name (default admin)")
    parser.add_argument("--password", default=None, help="default: $SC_SERVER_PASSWORD, else generated")
    parser.add_argument("--session-ttl", default=7 * 24 * 3600.0, type=float,
                        help="seconds a login session stays valid (default one week)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    password = args.password or os.environ.get("SC_SERVER_PASSWORD")
    if not password:
        password = secrets.token_urlsafe(12)
        print(f"sc-server: generated password for user {args.username!r}: {password}", flush=True)
    app = create_app(args.data_dir, args.username, password, session_ttl=args.session_ttl)
    listening = _listen(args.host, args.port)  # before saying "serving", so a taken port is said plainly
    print(f"sc-server: serving {args.data_dir} on http://{args.host}:{args.port}", flush=True)
    config = uvicorn.Config(app, log_level="warning", backlog=2048, timeout_keep_alive=30)
    uvicorn.Server(config).run(sockets=[listening])
    sys.stdout.flush()


def _listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port``; exits with a one-line message when it is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not the default 0: asyncio switches Nagle off (TCP_NODELAY) only on connections
    # of sockets whose protocol says TCP; without it every small answer waited ~40 ms for an ACK.
    listening = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listening.bind((host, port))
        listening.listen(2048)
    except OSError as exc:
        listening.close()
        sys.exit(f"sc-server: cannot listen on {host}:{port}: {exc.strerror or exc}")
    return listening


if __name__ == "__main__":
    main()
