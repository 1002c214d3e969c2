#!/usr/bin/env bash
# One-command demo for a fresh machine: make a virtual environment (.venv in the checkout, unless one is
# active or PYTHON is set), install sc-importers from this checkout into it with the [server] extra (the
# demo runs sc-server; COCO import is in the core), then run examples/demo.py
# (local sc-server + generated sample dataset + a real sc-import run).
# Usage: bash examples/demo.sh [demo.py options, e.g. --images 100, --keep]
# Set PYTHON to use another interpreter (no virtual environment is made then).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ -z "${PYTHON:-}" ]; then
    if [ -n "${VIRTUAL_ENV:-}" ]; then
        PYTHON="$VIRTUAL_ENV/bin/python"
    else
        if [ ! -x .venv/bin/python ]; then
            echo "Creating a virtual environment in .venv (a system Python refuses pip install) ..."
            if ! python3 -m venv .venv; then
                echo "error: python3 -m venv failed; on Debian/Ubuntu: sudo apt install python3-venv" >&2
                exit 1
            fi
        fi
        PYTHON=.venv/bin/python
    fi
fi

# pip's own lines (Collecting ..., Installing ...) show the progress; the full output is kept in a log
log="$(mktemp "${TMPDIR:-/tmp}/sc-importers-install.XXXXXX")"
echo "Installing sc-importers with $PYTHON (a minute or two the first time) ..."
set +e
"$PYTHON" -m pip install --disable-pip-version-check --progress-bar off -e ".[server]" 2>&1 | tee "$log" \
    | grep --line-buffered -E '^(Collecting|Installing|Successfully|Building|ERROR)'
status="${PIPESTATUS[0]}"
set -e
if [ "$status" -ne 0 ]; then
    echo "error: the installation failed (exit code $status); its full output is kept in $log" >&2
    exit 1
fi
rm -f "$log"
exec "$PYTHON" examples/demo.py "$@"
