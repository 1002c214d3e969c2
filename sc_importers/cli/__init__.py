"""Command-line entry points: sc (sc.py), and its aliases sc-import, sc-export."""

from __future__ import annotations

import json
import logging
import sys
import warnings

import click

#: Exit code after Ctrl-C (128 + SIGINT).
EXIT_INTERRUPTED = 130


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: object = None, line: str | None = None) -> None:
    print(f"Warning: {message}", file=sys.stderr)


def setup_logging() -> None:
    """Library log records go to stderr as plain lines; urllib3's per-retry warnings are hidden
    (the command reports the final outcome of a request itself, without repeating URLs); Python
    warnings (e.g. TLS verification switched off) are one "Warning: ..." line, without the
    source file and code line a user cannot act on."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    logging.getLogger("urllib3").setLevel(logging.ERROR)
    warnings.showwarning = _show_warning


def run_command(command: click.Command, argv: list[str] | None, prog_name: str) -> None:
    """Run a console script's click command with the one error table of ``sc``: click's own exit codes
    (2 for usage errors), 130 after Ctrl-C, and with ``--json`` an error printed on stdout as
    ``{"error": MESSAGE, "exit_code": N}`` so a script reads JSON whatever happened."""
    setup_logging()
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        code = command.main(args=args, prog_name=prog_name, standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Interrupted (Ctrl-C).", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except click.ClickException as exc:
        if "--json" in args:
            click.echo(json.dumps({"error": exc.format_message(), "exit_code": exc.exit_code}))
        else:
            exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)
