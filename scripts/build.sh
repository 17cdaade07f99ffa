#!/bin/sh
# Builds libgnruntime in release mode:
#   .build/release/libgnruntime.so         the shared library, Swift runtime linked in statically
#                                          (it needs only libc, libm and libstdc++ at run time); its
#                                          SONAME is libgnruntime.so.MAJOR and it exports the C API and
#                                          nothing else (abi/libgnruntime.map)
#   .build/release/libgnruntime_static.a   the static archive (link it with `swiftc -static-stdlib`)
#   .build/release/gnruntime-demo-model    writes a demo model for the examples
#   .build/release/gnruntime-bench         benchmarks (docs/benchmarks.md)
# and copies the shared library, stripped, next to the Python package (examples/python/gnruntime).
# The public header is include/gnruntime.h; scripts/install.sh installs all of it under a prefix.
#
# One build runs on every CPU of the architecture: it carries its kernels compiled for each
# instruction set (on x86-64: the baseline, AVX2 and AVX-512) and picks at run time the widest the CPU
# has (docs/architecture.md). GNRUNTIME_NATIVE=1 (with its own --scratch-path) compiles everything for
# the building CPU instead, for comparison only (docs/benchmarks.md).
#
# --library builds the shared library alone (and copies it next to the Python package): what the
# Python package's build backend runs (examples/python/_backend).
set -eu
cd "$(dirname "$0")/.."
library_only=0
[ "${1:-}" = "--library" ] && library_only=1
major=$(awk '$2 == "GN_VERSION_MAJOR" {print $3}' include/gnruntime.h)
# Every product is built with the same compiler flags: SwiftPM compiles a module again whenever its
# flags differ from the last build's, so a flag given to one product alone would recompile the whole
# package at each product, on every call. -static-stdlib only matters where a product is linked.
compiler_flags="-Xswiftc -static-stdlib"
# shellcheck disable=SC2086
swift build -c release --product gnruntime $compiler_flags \
    -Xlinker --version-script="$PWD/abi/libgnruntime.map" -Xlinker -soname="libgnruntime.so.$major"
# Programs linked with -lgnruntime ask for the SONAME: give it to them in the build folder too.
ln -sf libgnruntime.so ".build/release/libgnruntime.so.$major"
strip --strip-unneeded -o examples/python/gnruntime/libgnruntime.so .build/release/libgnruntime.so
[ "$library_only" = 1 ] && exit 0
for product in gnruntime_static gnruntime-demo-model gnruntime-bench; do
    # shellcheck disable=SC2086
    swift build -c release --product "$product" $compiler_flags
done
