#!/bin/sh
# Uses GNRuntime the ways README's "Using GNRuntime in your project" tells, each from outside the
# repository's build folders, and checks each gives the output of the C example built in the tree:
#   - C with pkg-config, shared and static, against a prefix from scripts/install.sh;
#   - C with CMake (find_package), shared and static, against the same prefix;
#   - Swift with SwiftPM: a package that depends on this one (examples/swift);
#   - Python with pip: the wheel `pip wheel ./examples/python` builds, installed in a new virtual
#     environment outside the repository, run with no Swift toolchain on the PATH.
# Installs pkg-config and CMake with apt-get when they are missing, where it can (as root).
set -eu
cd "$(dirname "$0")/.."
repository=$PWD
work=$(mktemp -d "${TMPDIR:-/tmp}/gnruntime-consumers.XXXXXX")
trap 'rm -rf "$work"' EXIT
missing=""
command -v pkg-config >/dev/null 2>&1 || missing="$missing pkgconf"
command -v cmake >/dev/null 2>&1 || missing="$missing cmake"
if [ -n "$missing" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    # shellcheck disable=SC2086
    (apt-get update -qq && apt-get install -y -qq $missing) >/dev/null 2>&1 || true
fi
for tool in pkg-config cmake; do
    command -v "$tool" >/dev/null 2>&1 || { echo "consumers.sh: $tool is missing" >&2; exit 1; }
done

scripts/build.sh >/dev/null
.build/release/gnruntime-demo-model "$work/demo.gnrt" >/dev/null
arguments="--neuron gn --tau 4 --T 4"
cc -std=c99 -Iinclude examples/c/classify.c -L.build/release -lgnruntime -Wl,-rpath,"$PWD/.build/release" \
    -o "$work/classify-tree"
# shellcheck disable=SC2086
"$work/classify-tree" "$work/demo.gnrt" $arguments > "$work/expected.txt"

# Runs program $1 on the demo model and compares with the tree's output; $2 names the way.
same_output() {
    # shellcheck disable=SC2086
    "$1" "$work/demo.gnrt" $arguments > "$work/got.txt"
    if ! cmp -s "$work/expected.txt" "$work/got.txt"; then
        diff "$work/expected.txt" "$work/got.txt" || true
        echo "FAIL $2: another output than the C example built in the tree"
        exit 1
    fi
    echo "ok   $2: $(tail -n 1 "$work/got.txt" | cut -c1-60)..."
}
# The program must not load the library from the repository.
loads_from() {
    where=$(ldd "$1" | awk '/libgnruntime/ {print $3}')
    case "$where" in
        "$2"/*) ;;
        *) echo "FAIL $1 loads libgnruntime from '$where', not from $2"; exit 1 ;;
    esac
}

echo "== C, installed prefix"
scripts/install.sh --prefix "$work/prefix" >/dev/null
# Moved after installing: nothing may point back to where it was installed, or to the build tree.
mv "$work/prefix" "$work/moved-prefix"
prefix="$work/moved-prefix"
mkdir -p "$work/c"
cp examples/c/classify.c "$work/c/"
cd "$work/c"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
libdir=$(pkg-config --variable=libdir gnruntime)
# shellcheck disable=SC2046
cc -std=c99 -Wall -Wextra -Werror -pedantic $(pkg-config --cflags gnruntime) classify.c \
    $(pkg-config --libs gnruntime) -Wl,-rpath,"$libdir" -o classify-pkg-config
loads_from classify-pkg-config "$prefix"
same_output ./classify-pkg-config "C with pkg-config, shared"
# shellcheck disable=SC2046
cc -std=c99 -Wall -Wextra -Werror -pedantic $(pkg-config --cflags gnruntime-static) classify.c \
    $(pkg-config --libs gnruntime-static) -o classify-pkg-config-static
if ldd classify-pkg-config-static | grep -q libgnruntime; then echo "FAIL: the static program loads libgnruntime"; exit 1; fi
same_output ./classify-pkg-config-static "C with pkg-config, static"
cmake -S "$repository/examples/c" -B cmake-build -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build cmake-build >/dev/null
loads_from cmake-build/classify "$prefix"
same_output cmake-build/classify "C with CMake, shared"
same_output cmake-build/classify-static "C with CMake, static"
cd "$repository"

echo "== Swift, a package that depends on this one"
mkdir -p "$work/swift"
cp -R examples/swift/Package.swift examples/swift/Sources "$work/swift/"
ln -s "$repository" "$work/swift/gnruntime"
swift build --package-path "$work/swift" --scratch-path "$work/swift/.build" >/dev/null
# shellcheck disable=SC2086
"$(swift build --package-path "$work/swift" --scratch-path "$work/swift/.build" --show-bin-path)/classify-swift" \
    "$work/demo.gnrt" $arguments > "$work/swift.txt"
# The same predictions, and the same outputs to the 6 digits classify.c prints.
python3 - "$work/expected.txt" "$work/swift.txt" <<'PYTHON'
import sys
expected, swift = (open(path).read().splitlines() for path in sys.argv[1:])
steps = lambda lines: [line for line in lines if line.startswith("step")]
outputs = lambda lines: [float(value) for line in lines if line.startswith("output:") for value in line.split()[1:]]
assert steps(swift) == steps(expected) and steps(swift), (steps(swift), steps(expected))
assert len(outputs(swift)) == len(outputs(expected)) > 0
assert all(abs(a - b) <= 1e-5 * max(1.0, abs(b)) for a, b in zip(outputs(swift), outputs(expected))), swift
print("ok   Swift with SwiftPM:", len(steps(swift)), "steps, outputs", " ".join(f"{v:.6g}" for v in outputs(swift)[:5]), "...")
PYTHON

echo "== Python, the wheel in a new virtual environment"
python=${GN_PYTHON:-python3}
"$python" -m pip wheel --quiet --disable-pip-version-check --no-deps -w "$work/wheels" ./examples/python
wheel=$(ls "$work"/wheels/gnruntime-*.whl)
case "$wheel" in
    *-py3-none-linux_*.whl) echo "ok   $(basename "$wheel")" ;;
    *) echo "FAIL: the wheel is not tagged for the platform: $(basename "$wheel")"; exit 1 ;;
esac
# numpy may come from the system's packages; gnruntime comes from the wheel alone.
/usr/bin/env python3 -m venv --system-site-packages "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check "$wheel"
# The PATH without any folder that holds a Swift toolchain.
path="$work/venv/bin"
old_ifs=$IFS
IFS=:
for folder in $PATH; do
    [ -x "$folder/swift" ] || [ -x "$folder/swiftc" ] || path="$path:$folder"
done
IFS=$old_ifs
mkdir -p "$work/elsewhere"
cd "$work/elsewhere"
PATH="$path" sh -c '! command -v swift' >/dev/null || { echo "FAIL: swift is still on the PATH"; exit 1; }
PATH="$path" GNRUNTIME_LIBRARY="" python -c "
import gnruntime, sys
from gnruntime._library import candidate_paths
assert gnruntime.__file__.startswith(sys.prefix), gnruntime.__file__
assert str(candidate_paths()[0]).startswith(sys.prefix), candidate_paths()[0]
print('ok   imported from', gnruntime.__file__.replace(sys.prefix, '\$VENV'), '- library', gnruntime.version())"
PATH="$path" python -m gnruntime eval --subset --neuron gn --T 1 4 --json > "$work/wheel.json"
cd "$repository"
(cd "$work" && "$python" -m gnruntime eval --subset --neuron gn --T 1 4 --json) > "$work/tree.json"
"$python" - "$work/wheel.json" "$work/tree.json" <<'PYTHON'
import json, sys
wheel, tree = (json.load(open(path)) for path in sys.argv[1:])
for record in (wheel, tree):
    record.pop("model")
assert wheel == tree, (wheel, tree)
print("ok   Python with pip: the wheel's evaluation of the shipped subset equals the tree's:",
      wheel["accuracy"])
PYTHON
echo "== all ways of using GNRuntime passed"
