#!/usr/bin/env bash
# Create (or reuse) a virtual environment holding the real, unmodified geti-sdk 2.13.1 from PyPI.
#
# Why a separate environment: geti-sdk pins many heavy dependencies (openvino, opencv, pydantic==2.12.4, numpy 2.x)
# that must not leak into the project's own environment; the interop test runs geti-sdk's own code in this venv
# against a real `sc-server`.
#
# Where: ${SC_GETI_SDK_VENV:-$HOME/.cache/sc-importers/geti-sdk-2.13.1} ($XDG_CACHE_HOME instead of ~/.cache when
# set), outside the repository, so CI and developers build it once and reuse it (a reused venv costs one import
# check, about a second).
# Prints the venv's python path as its last line; exits non-zero if it cannot install.
set -euo pipefail

GETI_SDK_VERSION="2.13.1"
VENV="${SC_GETI_SDK_VENV:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/sc-importers/geti-sdk-${GETI_SDK_VERSION}}"
PY="$VENV/bin/python"
CHECK="import geti_sdk, importlib.metadata as m; assert m.version('geti-sdk') == '${GETI_SDK_VERSION}'"

if [ -x "$PY" ] && "$PY" -c "$CHECK" >/dev/null 2>&1; then
    echo "$PY"
    exit 0
fi

echo "geti_sdk_venv: building $VENV (geti-sdk ${GETI_SDK_VERSION})" >&2
rm -rf "$VENV"
mkdir -p "$(dirname "$VENV")"
python3 -m venv "$VENV"
# (the grep only drops pip's warnings about absent local index folders of some machines)
quiet_pip() { "$PY" -m pip "$@" --quiet --disable-pip-version-check 2>&1 | { grep -v "is ignored: it is neither" || true; } >&2; }
quiet_pip install --upgrade pip
quiet_pip install "geti-sdk==${GETI_SDK_VERSION}"
"$PY" -c "$CHECK"
echo "$PY"
