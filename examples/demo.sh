#!/usr/bin/env bash
# One-command demo for a fresh machine: install sc-importers from this checkout, then run
# examples/demo.py (local sc-server + generated sample dataset + a real sc-import run).
# Usage: bash examples/demo.sh [demo.py options, e.g. --images 100]
# Set PYTHON to use another interpreter than python3 (e.g. PYTHON=.venv/bin/python).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON="${PYTHON:-python3}"

echo "Installing sc-importers (pip install -e .) ..."
log="$(mktemp)"
if ! "$PYTHON" -m pip install --quiet --disable-pip-version-check -e . > "$log" 2>&1; then
    cat "$log" >&2  # the build tools' full output, only when the install failed
    exit 1
fi
rm -f "$log"
exec "$PYTHON" examples/demo.py "$@"
