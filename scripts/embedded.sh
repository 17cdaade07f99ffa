#!/bin/sh
# The runtime on microcontrollers, with Embedded Swift:
#
#  1. builds the runtime's core (model view, plan, kernels, neurons, session) as a static library for
#     armv7em-none-none-eabi (Cortex-M4F, hard float) and riscv32-none-none-eabi, with -no-allocations
#     (the compiler proves that nothing in the core allocates), and reports its code size;
#  2. builds the firmware of examples/embedded for QEMU's mps2-an386 board (Cortex-M4) against the
#     armv7em library: the Fashion-MNIST model in flash, used in place, some test images, and the
#     predictions a host build of the library makes of them;
#  3. runs it under qemu-system-arm (installed with apt-get when missing), counting instructions
#     (-icount shift=0: one instruction per virtual nanosecond), and fails unless every prediction of
#     every step equals the host's.
#
#     scripts/embedded.sh [--images N] [--neuron gn|if|ann] [--tau N] [-T N] [--model FILE] [--libraries-only]
#
# --model puts another Fashion-MNIST model in flash (default: the shipped FP32 one; the int8 export is
# examples/python/gnruntime/data/fashion-mnist-qcfs-int8.gnrt).
#
# Outputs go to .build/embedded: lib/<target>/libgnruntime-core.a (with the modules' .swiftmodule files),
# firmware/firmware.elf, firmware/run.log.
set -eu
cd "$(dirname "$0")/.."
out=.build/embedded
images=100 neuron=gn tau=4 steps=4 libraries_only=0 model=examples/python/gnruntime/data/fashion-mnist-qcfs.gnrt
while [ $# -gt 0 ]; do
    case "$1" in
        --images) images="$2"; shift 2 ;;
        --neuron) neuron="$2"; shift 2 ;;
        --tau) tau="$2"; shift 2 ;;
        -T) steps="$2"; shift 2 ;;
        --model) model="$2"; shift 2 ;;
        --libraries-only) libraries_only=1; shift ;;
        *) echo "usage: $0 [--images N] [--neuron gn|if|ann] [--tau N] [-T N] [--model FILE] [--libraries-only]" >&2; exit 2 ;;
    esac
done

need() {  # need COMMAND DEBIAN_PACKAGE: installs the package when the command is missing
    command -v "$1" >/dev/null 2>&1 && return 0
    echo "embedded: installing $2" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" >&2
}
need size binutils
toolchain=$(dirname "$(command -v swiftc)")
[ -x "$toolchain/llvm-ar" ] || { echo "embedded: llvm-ar is not next to swiftc ($toolchain)" >&2; exit 1; }
arm_float="-mfloat-abi=hard -mfpu=fpv4-sp-d16"

# ---- 1. the static libraries --------------------------------------------------------------------
# The modules the core consists of, in dependency order, as the package declares them (Package.swift):
# the kernel interface, the kernels (their baseline build: a microcontroller has one instruction set)
# and the core itself. Each becomes a module of its own; the archive holds all three.
modules="GNKernelInterface:Sources/GNKernelInterface GNKernelsBaseline:Sources/Kernels GNRuntimeCore:Sources/GNRuntimeCore"
echo "runtime core (no weights), Embedded Swift -Osize -no-allocations:"
for target in armv7em-none-none-eabi riscv32-none-none-eabi; do
    lib="$out/lib/$target"
    rm -rf "$lib"
    mkdir -p "$lib"
    extra=""
    [ "$target" = armv7em-none-none-eabi ] && extra="-target-cpu cortex-m4 -Xcc -mfloat-abi=hard -Xcc -mfpu=fpv4-sp-d16"
    for module in $modules; do
        name=${module%%:*}
        sources=$(find "${module#*:}" -name '*.swift' | sort)
        # shellcheck disable=SC2086
        swiftc -enable-experimental-feature Embedded -target "$target" $extra -wmo -parse-as-library -Osize \
            -no-allocations -module-name "$name" -package-name GNRuntime -I "$lib" \
            -emit-module -emit-module-path "$lib/$name.swiftmodule" -c $sources -o "$lib/$name.o"
    done
    "$toolchain/llvm-ar" rcs "$lib/libgnruntime-core.a" "$lib"/*.o
    size "$lib/libgnruntime-core.a" | awk -v target="$target" 'NR > 1 { text += $1; data += $2; bss += $3 }
        END { printf "  %-24s text %6d B, data %4d B, bss %4d B: %5.1f KiB of text + data\n", target, text, data, bss, (text + data) / 1024 }'
done
[ "$libraries_only" = 1 ] && exit 0

# ---- 2. the firmware ------------------------------------------------------------------------------
firmware="$out/firmware"
mkdir -p "$firmware"
# The host predictions come from the baseline kernels (make_data.py asks for them), which round each
# product as the firmware's do (no fused multiply-add).
swift build -c release --product gnruntime -Xswiftc -static-stdlib >/dev/null
python="$(scripts/python-env.sh)"
GNRUNTIME_LIBRARY=.build/release/libgnruntime.so "$python" examples/embedded/make_data.py \
    --model "$model" --images "$images" \
    --neuron "$neuron" --tau "$tau" -T "$steps" --out "$firmware/data.c"

lib="$out/lib/armv7em-none-none-eabi"
swiftc -enable-experimental-feature Embedded -target armv7em-none-none-eabi -target-cpu cortex-m4 \
    -Xcc -mfloat-abi=hard -Xcc -mfpu=fpv4-sp-d16 -wmo -parse-as-library -Osize -no-allocations \
    -I "$lib" -import-objc-header examples/embedded/firmware.h \
    -c examples/embedded/Firmware.swift -o "$firmware/firmware-swift.o"
for unit in examples/embedded/startup.c "$firmware/data.c"; do
    # shellcheck disable=SC2086
    "$toolchain/clang" --target=armv7em-none-eabi -mcpu=cortex-m4 $arm_float -ffreestanding -fno-builtin \
        -Os -Wall -Wextra -Werror -Iexamples/embedded -c "$unit" -o "$firmware/$(basename "$unit" .c).o"
done
"$toolchain/ld.lld" -T examples/embedded/mps2-an386.ld --gc-sections -o "$firmware/firmware.elf" \
    "$firmware/startup.o" "$firmware/data.o" "$firmware/firmware-swift.o" "$lib/libgnruntime-core.a"
size -A "$firmware/firmware.elf" | awk '
    $1 == ".vectors" || $1 == ".text" || $1 == ".rodata" || $1 == ".ARM.exidx" { flash += $2 }
    $1 == ".data" { flash += $2; ram += $2 } $1 == ".bss" { ram += $2 }
    END { printf "firmware: %d B of flash (code, model, images), %d B of static RAM (arena, input, output)\n", flash, ram }'

# ---- 3. QEMU ---------------------------------------------------------------------------------------
need qemu-system-arm qemu-system-arm
status=0
timeout 1200 qemu-system-arm -M mps2-an386 -nographic -monitor none -serial none \
    -semihosting-config enable=on,target=native -icount shift=0 \
    -kernel "$firmware/firmware.elf" >"$firmware/run.log" 2>&1 || status=$?
cat "$firmware/run.log"
# The timer counts at 25 MHz; under -icount shift=0 a virtual nanosecond is one instruction, so one
# tick is 40 instructions, as the firmware's calibration loop measures.
awk '/^timer: / { per_tick = $5 / $2 } /timer ticks/ { sum += $NF; n += 1 }
     END { if (n && per_tick) printf "instructions per inference: %.1f million (mean of %d; %g instructions per timer tick)\n", sum * per_tick / n / 1e6, n, per_tick }' \
    "$firmware/run.log"
[ "$status" = 0 ] || { echo "embedded: the firmware failed (status $status)" >&2; exit 1; }
