"""``sc-server``: run the local SC 1.0-compatible server.

    sc-server --data-dir DIR [--host 127.0.0.1] [--port 5000] [--username admin]
              [--password-file FILE | --password PASS] [--session-ttl SECONDS]
              [--api-key TOKEN] [--tls | --tls-cert FILE --tls-key FILE]
              [--fault-rate 0.1 --fault-seed 7 --fault-kinds 500,503,429,drop-before,drop-after,slow]
    sc-server --dialect geti3 --data-dir DIR [--port 7860] [--no-tls | --tls-cert FILE --tls-key FILE]

The password comes from ``--password-file`` (its first line), else ``--password`` (visible in ``ps``:
prefer the file or the environment), else the environment variable ``SC_SERVER_PASSWORD``, else a
random one is generated and printed at start-up (a new one at every start). The Geti 2.x personal
access token (``x-api-key`` on ``/api/v1/``) works the same way with ``--api-key`` /
``SC_SERVER_API_KEY``; only its hash is kept. ``--tls`` serves HTTPS with a self-signed certificate
for localhost kept in ``<data-dir>/tls/``.

The data directory and everything the server writes into it are private to the user (created with
umask 077: directories 0700, files 0600). ``--fault-rate`` turns on fault injection (see
:mod:`sc_importers.server.faults`); it is off by default.

``--dialect geti3`` is a separate mode: the Geti 3.x API (``/api/projects``, no login) on its own store in
``--data-dir``, HTTPS by default as Geti 3 (``--no-tls``: plain HTTP, for tests and local tools).
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:  # imported where used: `sc-server --help` loads neither FastAPI nor the TLS code
    from fastapi import FastAPI

    from sc_importers.server.faults import FaultMiddleware
    from sc_importers.server.tls import TlsFiles

from sc_importers import __version__  # the package's one version (pyproject.toml reads it too)

#: The fault kinds, written here too so that ``--help`` needs no server module (faults.py imports uvicorn);
#: tests/cli/test_sc_server_cli.py checks the two lists agree.
FAULT_KINDS = ("500", "503", "429", "drop-before", "drop-after", "slow")


def _refuse(message: str) -> NoReturn:
    """Print one line and exit 2: refused before anything changed, as every sc command's exit-code table says
    (argparse's usage errors exit 2 too)."""
    print(message, file=sys.stderr)
    sys.exit(2)


def _glue_option_values(argv: list[str]) -> list[str]:
    """``--password -x`` as ``--password=-x``: argparse takes a value starting with ``-`` for an
    option, so a generated password like ``-Xy...`` (1 in 64) made the server refuse to start."""
    glued: list[str] = []
    args = iter(argv)
    for arg in args:
        if arg in ("--password", "--api-key"):
            value = next(args, None)
            glued.append(arg if value is None else f"{arg}={value}")
        else:
            glued.append(arg)
    return glued


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The parsed options; nothing of the server (FastAPI, uvicorn, PyAV) is imported to parse them,
    so ``--help`` and ``--version`` answer at once. Without the ``[server]`` extra: one line naming it, exit 2."""
    parser = argparse.ArgumentParser(
        prog="sc-server",
        description="Local SC 1.0-compatible server: the SC 1.0 REST API under /api/v1.0/, metadata in "
                    "SQLite and media files under --data-dir, login required.",
        epilog="Example: SC_SERVER_PASSWORD=choose-one sc-server --data-dir ./sc-data --port 5000, then "
               "SC_HOST=http://127.0.0.1:5000 SC_USERNAME=admin SC_PASSWORD=choose-one sc import DATASET ...",
    )
    parser.add_argument("--version", action="version", version=f"sc-server {__version__}")
    parser.add_argument("--dialect", choices=("sc1-geti2", "geti3"), default="sc1-geti2",
                        help="sc1-geti2 (default): SC 1.0 under /api/v1.0/ and Geti 2.x under /api/v1/ on one store; "
                             "geti3: the Geti 3.x API under /api/ (no login, HTTPS unless --no-tls) on its own store")
    parser.add_argument("--no-tls", action="store_true", help="geti3 mode: serve plain HTTP instead of HTTPS")
    parser.add_argument("--data-dir", required=True, type=Path, help="where metadata and media are stored")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", default=None, type=int, help="port to listen on (default 5000; geti3: 7860)")
    parser.add_argument("--username", default=None,
                        help="the one user's login name (default admin; not in geti3 mode, which has no login)")
    parser.add_argument("--password", default=None,
                        help="the password (visible to other users in ps: prefer --password-file or "
                             "$SC_SERVER_PASSWORD); default: $SC_SERVER_PASSWORD, else generated")
    parser.add_argument("--password-file", type=Path, default=None,
                        help="read the password from the first line of this file")
    parser.add_argument("--session-ttl", default=None, type=float,
                        help="seconds a login session stays valid (default one week)")
    parser.add_argument("--api-key", default=None,
                        help="Geti 2.x personal access token accepted in x-api-key on /api/v1/ "
                             "(geti_pat_<secret>_<checksum>; default: $SC_SERVER_API_KEY, else generated)")
    parser.add_argument("--tls", action="store_true",
                        help="serve HTTPS with a self-signed certificate for localhost/127.0.0.1, "
                             "written to <data-dir>/tls/cert.pem (give it to clients as their CA bundle)")
    parser.add_argument("--tls-cert", type=Path, default=None, help="serve HTTPS with this PEM certificate")
    parser.add_argument("--tls-key", type=Path, default=None, help="the PEM private key of --tls-cert")
    faults = parser.add_argument_group("fault injection (for tests; off by default)")
    faults.add_argument("--fault-rate", type=float, default=0.0,
                        help="share of requests (0..1) that fail on purpose, the login chain included")
    faults.add_argument("--fault-seed", type=int, default=0, help="seed of the deterministic fault choice")
    faults.add_argument("--fault-kinds", default=",".join(FAULT_KINDS),
                        help=f"comma-separated kinds to inject (default all: {','.join(FAULT_KINDS)})")
    faults.add_argument("--fault-slow-seconds", type=float, default=2.0,
                        help="how late a 'slow' answer comes (default 2)")
    args = parser.parse_args(_glue_option_values(sys.argv[1:] if argv is None else list(argv)))
    _require_server_extra()  # after --help/--version (they need no server module), before faults.py (uvicorn)
    if (args.tls_cert is None) != (args.tls_key is None):
        parser.error("--tls-cert and --tls-key go together")
    if args.port is None:
        args.port = 7860 if args.dialect == "geti3" else 5000
    if args.no_tls and (args.dialect != "geti3" or args.tls_cert):
        parser.error("--no-tls is for --dialect geti3 without --tls-cert")
    if args.dialect == "geti3":
        _check_geti3(parser, args)
    elif (args.data_dir / GETI3_STORE).exists():
        parser.error(f"{args.data_dir} holds a Geti 3 mode store ({GETI3_STORE}): serve it with --dialect geti3, "
                     "or give the SC 1.0 / Geti 2.x server another --data-dir")
    args.username = args.username or "admin"
    args.session_ttl = 7 * 24 * 3600.0 if args.session_ttl is None else args.session_ttl
    from sc_importers.server.faults import FaultPlan, parse_kinds

    try:
        args.fault_plan = FaultPlan(args.fault_rate, args.fault_seed, parse_kinds(args.fault_kinds),
                                    args.fault_slow_seconds)
    except ValueError as exc:
        parser.error(str(exc))
    return args


#: The database files of the two modes: one --data-dir holds one of them (a mode never reads the other's).
SC_STORE, GETI3_STORE = "sc-server.sqlite3", "geti3.sqlite3"


def _check_geti3(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Geti 3 has no login, and its mode its own store: options that would be silently ignored are refused,
    and so is the data directory of an SC 1.0 / Geti 2.x server (whose projects this mode would not show)."""
    login = [flag for flag, value in (("--username", args.username), ("--password", args.password),
                                      ("--password-file", args.password_file), ("--api-key", args.api_key),
                                      ("--session-ttl", args.session_ttl)) if value is not None]
    if login:
        parser.error(f"{', '.join(login)}: --dialect geti3 serves the Geti 3 API, which has no login (anyone "
                     "who reaches the port may read and change its projects); leave them out")
    if args.fault_rate:
        parser.error("--fault-rate: fault injection is not available with --dialect geti3")
    if (args.data_dir / SC_STORE).exists():
        parser.error(f"{args.data_dir} holds an SC 1.0 / Geti 2.x server's store ({SC_STORE}); Geti 3 mode keeps "
                     f"its own ({GETI3_STORE}) and would not show those projects: give it another --data-dir (to "
                     "move projects there: sc export, then sc import --format backup)")


def read_password(args: argparse.Namespace) -> str | None:
    """The password from ``--password-file``, ``--password`` or ``$SC_SERVER_PASSWORD`` (in that order)."""
    if args.password_file is not None:
        try:
            lines = args.password_file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            _refuse(f"sc-server: cannot read --password-file {args.password_file}: "
                    f"{getattr(exc, 'strerror', None) or type(exc).__name__}")
        password = lines[0].strip() if lines else ""
        if not password:
            _refuse(f"sc-server: --password-file {args.password_file}: the first line is empty")
        return password
    return args.password or os.environ.get("SC_SERVER_PASSWORD")


#: The modules of the ``[server]`` extra the server imports (pyproject.toml); the client's table of extras
#: (sc_importers/extras.py) is not used here: the server shares no code with the client.
SERVER_MODULES = ("fastapi", "uvicorn", "multipart", "cryptography", "av")


def _require_server_extra() -> None:
    """Exit 2 with one line naming the ``[server]`` extra when a module of it is not installed (a core
    install has none): found without importing anything, so ``--help`` and the refusal stay quick."""
    import importlib.util

    def installed(module: str) -> bool:
        try:
            return importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            return False

    lacking = [module for module in SERVER_MODULES if not installed(module)]
    if lacking:
        _refuse(f"sc-server needs the [server] extra: pip install 'sc-importers[server]' "
                f"(missing: {', '.join(lacking)})")


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point (``sc-server``, ``sc server``)."""
    args = parse_args(argv)
    import uvicorn

    from sc_importers.server.app import create_app
    from sc_importers.server.auth import api_key_format_problem, new_api_key
    from sc_importers.server.faults import FaultMiddleware, TrackedH11Protocol

    os.umask(0o077)  # the data directory, database, media and log are the user's alone
    _make_data_dir(args.data_dir)
    if args.dialect == "geti3":
        _serve_geti3(args)
        return
    password = read_password(args)
    generated = []  # said once the server can serve, not before a refusal that makes them useless
    if not password:
        password = secrets.token_urlsafe(12)
        generated.append(f"sc-server: generated password for user {args.username!r}: {password}")
    api_key = args.api_key or os.environ.get("SC_SERVER_API_KEY")
    if api_key:
        problem = api_key_format_problem(api_key)
        if problem:
            _refuse(f"sc-server: --api-key / SC_SERVER_API_KEY is not a Geti personal access token: {problem}")
    else:
        api_key = new_api_key()
        generated.append(f"sc-server: generated API key (x-api-key on /api/v1/): {api_key}")
    files = _tls_files(args)
    app: FastAPI | FaultMiddleware = create_app(args.data_dir, args.username, password,
                                                session_ttl=args.session_ttl, api_key=api_key)
    listening = _listen(args.host, args.port)  # before saying "serving", so a taken port is said plainly
    for line in generated:
        print(line, flush=True)
    scheme = "https" if files else "http"
    if files:
        trust = "" if args.tls_cert else " (self-signed: clients trust it as their CA bundle)"
        print(f"sc-server: TLS certificate {files.cert}{trust}", flush=True)
    if args.fault_plan.rate > 0:
        app = FaultMiddleware(app, args.fault_plan)
        print(f"sc-server: injecting faults into {args.fault_plan.rate:.0%} of requests "
              f"(seed {args.fault_plan.seed}, kinds {','.join(args.fault_plan.kinds)})", flush=True)
    print(f"sc-server: serving {args.data_dir} on {scheme}://{args.host}:{args.port}", flush=True)
    # uvicorn's default protocol (httptools, a C parser, when installed) unless faults are injected: a
    # dropped connection needs the transport that TrackedH11Protocol remembers, and the pure-Python h11
    # parser cost 4-18 % more server CPU per upload than httptools in an alternated A/B (docs/performance.md)
    config = uvicorn.Config(app, log_level="warning", backlog=2048, timeout_keep_alive=30,
                            ssl_certfile=str(files.cert) if files else None,
                            ssl_keyfile=str(files.key) if files else None,
                            http=TrackedH11Protocol if args.fault_plan.rate > 0 else "auto")
    uvicorn.Server(config).run(sockets=[listening])
    sys.stdout.flush()


def _serve_geti3(args: argparse.Namespace) -> None:
    """The Geti 3 mode: its own app and store, no credentials, HTTPS unless ``--no-tls``."""
    import uvicorn

    from sc_importers.server.geti3 import create_geti3_app

    if not args.no_tls and args.tls_cert is None:
        args.tls = True
    for variable in ("SC_SERVER_PASSWORD", "SC_SERVER_API_KEY"):
        if os.environ.get(variable):
            print(f"sc-server: warning: {variable} is ignored: the Geti 3 API has no login", file=sys.stderr,
                  flush=True)
    files = _tls_files(args)
    app = create_geti3_app(args.data_dir)
    listening = _listen(args.host, args.port)
    if files:
        print(f"sc-server: TLS certificate {files.cert}", flush=True)
    print(f"sc-server: Geti 3 API (no login) for {args.data_dir} on {'https' if files else 'http'}://"
          f"{args.host}:{args.port}/api/projects", flush=True)
    config = uvicorn.Config(app, log_level="warning", backlog=2048, timeout_keep_alive=30,
                            ssl_certfile=str(files.cert) if files else None,
                            ssl_keyfile=str(files.key) if files else None)
    uvicorn.Server(config).run(sockets=[listening])


def _make_data_dir(data_dir: Path) -> None:
    """Create ``--data-dir`` (and its parents) or exit with a one-line message naming it."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _refuse(f"sc-server: cannot use --data-dir {data_dir}: {exc.strerror or exc}")


def _tls_files(args: argparse.Namespace) -> TlsFiles | None:
    """The certificate and key to serve HTTPS with, or None for plain HTTP; exits with a one-line message
    when given files are unusable."""
    from sc_importers.server import tls

    try:
        if args.tls_cert is not None:
            return tls.given(args.tls_cert, args.tls_key)
        if args.tls:
            return tls.self_signed(args.data_dir)
    except (tls.TlsError, OSError) as exc:
        _refuse(f"sc-server: cannot serve HTTPS: {exc}")
    return None


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
        _refuse(f"sc-server: cannot listen on {host}:{port}: {exc.strerror or exc}")
    return listening


if __name__ == "__main__":
    main()
