#!/bin/sh
# Prepares Python for the examples and tests, and prints the interpreter to use: one with numpy,
# pytest and matplotlib, with torch too when called with --torch, Ray and pyarrow with --scale, and
# with the gnruntime package (examples/python) installed; installing the package builds the library it
# carries.
#
# Where Debian's packages can be installed (apt-get, as root), they provide numpy, matplotlib, pytest,
# torch and the Fashion-MNIST data set (dataset-fashion-mnist), and a virtual environment .venv on top
# of them holds the package. Elsewhere the virtual environment gets everything from PyPI.
set -eu
cd "$(dirname "$0")/.."
want_torch=0
want_scale=0
for option in "$@"; do
    case "$option" in
        --torch) want_torch=1 ;;
        --scale) want_scale=1 ;;
        *) echo "usage: scripts/python-env.sh [--torch] [--scale]" >&2; exit 2 ;;
    esac
done

log() { echo "python-env: $*" >&2; }

modules="numpy, pytest, matplotlib"
[ "$want_torch" = 1 ] && modules="$modules, torch"

if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    packages="python3 python3-venv python3-pip python3-setuptools python3-wheel python3-numpy python3-pytest python3-matplotlib dataset-fashion-mnist"
    [ "$want_torch" = 1 ] && packages="$packages python3-torch"
    missing=""
    for package in $packages; do
        dpkg -s "$package" >/dev/null 2>&1 || missing="$missing $package"
    done
    if [ -n "$missing" ]; then
        log "installing Debian packages:$missing"
        apt-get update -qq >&2
        # shellcheck disable=SC2086
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >&2
    fi
    base=/usr/bin/python3
    venv_flags="--system-site-packages"
else
    base=$(command -v python3)
    venv_flags=""
fi

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c "import $modules" >/dev/null 2>&1; then
    rm -rf .venv
    "$base" -m venv $venv_flags .venv >&2
    if ! .venv/bin/python -c "import $modules" >/dev/null 2>&1; then
        log "installing from PyPI: $modules"
        .venv/bin/python -m pip install --quiet --disable-pip-version-check $(echo "$modules" | tr -d ,) >&2
    fi
fi
# --scale: Ray (with Ray Data) and pyarrow, for sweeps, from PyPI, keeping the numpy the environment has
# (Debian's torch is built against numpy 1: then pyarrow and pandas of the numpy 1 era).
if [ "$want_scale" = 1 ] && ! .venv/bin/python -c "import ray.data, pyarrow" >/dev/null 2>&1; then
    log "installing from PyPI: ray[data], pyarrow"
    constraints=.venv/scale-constraints.txt
    .venv/bin/python - > "$constraints" <<'PYTHON'
import numpy
print(f"numpy=={numpy.__version__}")
if int(numpy.__version__.split(".")[0]) < 2:
    print("pyarrow<18")
    print("pandas<2.2")
PYTHON
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -c "$constraints" "ray[data]>=2.9" \
        "pyarrow>=12" >&2
fi
# The package's build backend (it builds libgnruntime) runs on setuptools and wheel, here rather than
# in an isolated environment.
if ! .venv/bin/python -c "import setuptools, wheel" >/dev/null 2>&1; then
    log "installing from PyPI: setuptools, wheel"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check "setuptools>=61" wheel >&2
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-build-isolation --no-deps \
    --force-reinstall ./examples/python >&2
echo "$PWD/.venv/bin/python"
