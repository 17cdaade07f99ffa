#!/bin/sh
# Builds libgnruntime in release mode:
#   .build/release/libgnruntime.so         the shared library, Swift runtime linked in statically
#                                          (it needs only libc, libm and libstdc++ at run time)
#   .build/release/libgnruntime_static.a   the static archive (link it with `swiftc -static-stdlib`)
#   .build/release/gnruntime-demo-model    writes a demo model for the examples
# The public header is include/gnruntime.h.
#
# Builds target the baseline of the host architecture (x86-64: SSE2), so the library runs on any
# CPU of that architecture; no kernel depends on a newer instruction set.
set -eu
cd "$(dirname "$0")/.."
swift build -c release --product gnruntime -Xswiftc -static-stdlib
swift build -c release --product gnruntime_static
swift build -c release --product gnruntime-demo-model
