#!/bin/sh
# Runs every test: the Swift tests (in release mode, with a separate build folder), the self-tests of
# the numpy reference, the C example built with strict warnings against the shared and static
# libraries, and the Embedded Swift compile of the core with -no-allocations.
set -eu
cd "$(dirname "$0")/.."
GN_PYTHON="$(scripts/python-env.sh)"
export GN_PYTHON
echo "== Swift tests"
flags=$(scripts/swift-flags.sh)
# shellcheck disable=SC2086
swift build -c release --scratch-path .build-tests -Xswiftc -enable-testing $flags --build-tests
# shellcheck disable=SC2086
swift test -c release --scratch-path .build-tests -Xswiftc -enable-testing $flags --skip-build
echo "== numpy reference self-tests"
"$GN_PYTHON" -m pytest -q -p no:cacheprovider Tests/reference
echo "== C example"
scripts/run-example.sh
echo "== Embedded Swift core"
scripts/check-embedded.sh
echo "== all tests passed"
