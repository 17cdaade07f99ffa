#!/bin/sh
# Prints the path of a Python 3 interpreter that has numpy and pytest (what the tests need),
# creating the virtual environment .venv with them when the system's python3 lacks them.
set -eu
cd "$(dirname "$0")/.."
if python3 -c "import numpy, pytest" >/dev/null 2>&1; then
    command -v python3
    exit 0
fi
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c "import numpy, pytest" >/dev/null 2>&1; then
    python3 -m venv .venv >&2
    .venv/bin/python -m pip install --quiet --disable-pip-version-check numpy pytest >&2
fi
echo "$PWD/.venv/bin/python"
