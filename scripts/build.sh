#!/bin/sh
# Builds libgnruntime in release mode:
#   .build/release/libgnruntime.so         the shared library, Swift runtime linked in statically
#                                          (it needs only libc, libm and libstdc++ at run time)
#   .build/release/libgnruntime_static.a   the static archive (link it with `swiftc -static-stdlib`)
#   .build/release/gnruntime-demo-model    writes a demo model for the examples
# The public header is include/gnruntime.h.
#
#   .build/release/gnruntime-bench         benchmarks (docs/benchmarks.md)
# and copies the shared library next to the Python package (examples/python/gnruntime), so that
# `pip install ./examples/python` carries it.
#
# Builds are for this machine's CPU unless GNRUNTIME_PORTABLE=1 (see scripts/swift-flags.sh).
set -eu
cd "$(dirname "$0")/.."
flags=$(scripts/swift-flags.sh)
# shellcheck disable=SC2086
swift build -c release --product gnruntime -Xswiftc -static-stdlib $flags
# shellcheck disable=SC2086
swift build -c release --product gnruntime_static $flags
# shellcheck disable=SC2086
swift build -c release --product gnruntime-demo-model $flags
# shellcheck disable=SC2086
swift build -c release --product gnruntime-bench $flags
cp .build/release/libgnruntime.so examples/python/gnruntime/libgnruntime.so
