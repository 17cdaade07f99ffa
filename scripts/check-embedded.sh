#!/bin/sh
# Compiles the runtime core (model view, plan, kernels, neurons, session) with Embedded Swift for
# microcontrollers, with -no-allocations: the compiler then proves that nothing in the core can
# allocate. The host layer (file I/O, heap-owned handles) and the C API are not part of the core.
#
#     scripts/check-embedded.sh [OUTPUT_DIR]
set -eu
cd "$(dirname "$0")/.."
out="${1:-.build/embedded}"
mkdir -p "$out"
core="Sources/GNRuntime/Status Sources/GNRuntime/Model Sources/GNRuntime/Plan Sources/GNRuntime/Kernels Sources/GNRuntime/Neurons Sources/GNRuntime/Session"
sources=$(for dir in $core; do ls "$dir"/*.swift; done)
for target in armv7em-none-none-eabi riscv32-none-none-eabi; do
    object="$out/gnruntime-core-$target.o"
    # shellcheck disable=SC2086
    swiftc -enable-experimental-feature Embedded -target "$target" -wmo -parse-as-library -Osize \
        -no-allocations -module-name GNRuntimeCore -c $sources -o "$object"
    echo "$target: compiled with -no-allocations -> $object"
    if command -v size >/dev/null 2>&1; then size "$object" | tail -n 1 | awk '{print "    text " $1 " B, data " $2 " B, bss " $3 " B"}'; fi
done
