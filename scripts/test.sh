#!/bin/sh
# Runs every test: the Swift tests (in release mode, with a separate build folder), the self-tests of
# the numpy reference, the Python package's tests (installed from examples/python, with torch: the
# exporter's PyTorch path is tested, not skipped; with Ray: the sweeps' engines), the C example built with strict warnings against
# the shared and static libraries, the ABI checks (exported symbols, programs built against 0.3,
# abidiff), every way of using GNRuntime in a project (scripts/consumers.sh), the C programs under
# AddressSanitizer, UndefinedBehaviorSanitizer,
# ThreadSanitizer and valgrind, a minute of fuzzing, and the core built with Embedded Swift
# (-no-allocations) for a Cortex-M4 and RISC-V, with the firmware run under QEMU against the host's
# predictions.
set -eu
cd "$(dirname "$0")/.."
# Each section's heading, and how long the one before it took (where CI time goes).
started=$(date +%s)
last=""
section() {
    now=$(date +%s)
    [ -z "$last" ] || echo "   ($((now - last)) s)"
    last=$now
    echo "== $1"
}
section "Build: scripts/build.sh"
scripts/build.sh >/dev/null
section "Python environment: scripts/python-env.sh --torch --scale"
GN_PYTHON="$(scripts/python-env.sh --torch --scale)"
export GN_PYTHON
section "Swift tests"
swift build -c release --scratch-path .build-tests -Xswiftc -enable-testing --build-tests
swift test -c release --scratch-path .build-tests -Xswiftc -enable-testing --skip-build
section "numpy reference self-tests"
"$GN_PYTHON" -m pytest -q -p no:cacheprovider Tests/reference
section "Python package (installed), with torch"
# From another folder, so that the tests import the installed package, not the sources.
(cd /tmp && GN_REQUIRE_TORCH=1 GN_REQUIRE_RAY=1 "$GN_PYTHON" -m pytest -q -p no:cacheprovider "$OLDPWD/examples/python/tests")
section "C example"
scripts/run-example.sh
section "ABI: exports, programs built against 0.3, abidiff against the baseline"
scripts/abi-check.sh
section "Using GNRuntime in a project: installed C (pkg-config, CMake), SwiftPM, the Python wheel"
scripts/consumers.sh
section "Sanitizers"
scripts/sanitizers.sh
section "Fuzzing, 60 s"
scripts/fuzz.sh 60
section "Embedded Swift: the core as static libraries, the firmware under QEMU"
scripts/embedded.sh
section "all tests passed in $(( $(date +%s) - started )) s"
