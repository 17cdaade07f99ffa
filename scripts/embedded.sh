#!/bin/sh
# The runtime on microcontrollers, with Embedded Swift:
#
#  1. builds the runtime's core (model view, plan, kernels, neurons, session) as a static library for
#     armv7em-none-none-eabi (Cortex-M4F, hard float) and riscv32-none-none-eabi, with -no-allocations
#     (the compiler proves that nothing in the core allocates), and reports its code size;
#  2. builds the firmware of examples/embedded for QEMU's mps2-an386 board (Cortex-M4) against the
#     armv7em library, and for QEMU's RISC-V virt machine against the riscv32 library: the Fashion-MNIST
#     model, used in place, some test images, and the predictions a host build of the library makes
#     of them;
#  3. runs them under qemu-system-arm and qemu-system-riscv32 (installed with apt-get when missing,
#     with GCC's RV32 run-time library), counting instructions (-icount shift=0: one instruction per
#     virtual nanosecond), and fails unless every prediction of every step equals the host's.
#
#     scripts/embedded.sh [--images N] [--rv32-images N] [--neuron gn|if|ann] [--tau N] [-T N] [--model FILE]
#                         [--libraries-only]
#
# --images: test images on the Cortex-M4 (default 100); --rv32-images: on RV32, whose soft float makes
# each image some 20 times longer (default 20).
#
# --model puts another Fashion-MNIST model in flash (default: the shipped FP32 one; the int8 export is
# examples/python/gnruntime/data/fashion-mnist-qcfs-int8.gnrt).
#
# Outputs go to .build/embedded: lib/<target>/libgnruntime-core.a (with the modules' .swiftmodule files),
# linked/<target>.elf (the library linked whole, for its size), firmware/<board>/firmware.elf and
# run.log, for the boards mps2-an386 and virt-rv32.
set -eu
cd "$(dirname "$0")/.."
out=.build/embedded
images=100 rv32_images=20 neuron=gn tau=4 steps=4 libraries_only=0 model=examples/python/gnruntime/data/fashion-mnist-qcfs.gnrt
while [ $# -gt 0 ]; do
    case "$1" in
        --images) images="$2"; shift 2 ;;
        --rv32-images) rv32_images="$2"; shift 2 ;;
        --neuron) neuron="$2"; shift 2 ;;
        --tau) tau="$2"; shift 2 ;;
        -T) steps="$2"; shift 2 ;;
        --model) model="$2"; shift 2 ;;
        --libraries-only) libraries_only=1; shift ;;
        *) echo "usage: $0 [--images N] [--rv32-images N] [--neuron gn|if|ann] [--tau N] [-T N] [--model FILE] [--libraries-only]" >&2; exit 2 ;;
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
for tool in llvm-ar llvm-nm ld.lld; do
    [ -x "$toolchain/$tool" ] || { echo "embedded: $tool is not next to swiftc ($toolchain)" >&2; exit 1; }
done
arm_float="-mfloat-abi=hard -mfpu=fpv4-sp-d16"
arm_swift="-target-cpu cortex-m4 -Xcc -mfloat-abi=hard -Xcc -mfpu=fpv4-sp-d16 -I Sources/GNIntrinsics/include"
# RV32 functions save and restore their registers through the run-time library's __riscv_save_N and
# __riscv_restore_N (libgcc and compiler-rt have them) rather than inline: 2.2 KiB less code, 0.004%
# more instructions per inference (docs/embedded.md).
rv32_swift="-Xcc -msave-restore"

# ---- 1. the static libraries --------------------------------------------------------------------
# The code size budget of the runtime without weights, on every target (docs/embedded.md).
budget=65536
# The sections `size -A` lists that are not in flash: debug information, notes, zeroed RAM (.bss) and
# padding; the flash figures below count every other one, so that a section of a new kind counts too.
not_flash='^[.](debug|comment|bss|relro_padding|ARM[.]attributes|riscv[.]attributes)'
# The modules the core consists of, in dependency order, as the package declares them (Package.swift):
# the kernel interface, the kernels (their baseline build: a microcontroller has one instruction set)
# and the core itself. Each becomes a module of its own; the archive holds all three.
modules="GNKernelInterface:Sources/GNKernelInterface GNKernelsBaseline:Sources/Kernels GNRuntimeCore:Sources/GNRuntimeCore"
echo "runtime core (no weights), Embedded Swift -Osize -no-allocations:"
mkdir -p "$out/linked"
for target in armv7em-none-none-eabi riscv32-none-none-eabi; do
    lib="$out/lib/$target"
    rm -rf "$lib"
    mkdir -p "$lib"
    extra=""
    # The Cortex-M4's int8 kernels reach its DSP instructions (smlad, sxtb16) through the intrinsics of
    # the toolchain's <arm_acle.h> (the GNIntrinsics module, GN_ARM_DSP).
    [ "$target" = armv7em-none-none-eabi ] && extra="$arm_swift -D GN_ARM_DSP"
    [ "$target" = riscv32-none-none-eabi ] && extra="$rv32_swift"
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
        END { printf "  %-24s objects: text %6d B, data %4d B, bss %4d B: %5.1f KiB of text + data\n", target, text, data, bss, (text + data) / 1024 }'
    # The library linked whole, every function kept, as a firmware that called all of it would hold it.
    # Smaller than the objects' sum: on the Cortex-M4 the linker merges neighbouring unwind entries
    # that say the same (.ARM.exidx, which size counts as text), on RV32 it relaxes calls (an object
    # keeps each as auipc + jalr, 8 bytes, for the linker to shorten). What the firmware's C and the
    # run-time library provide (memcpy, soft float) stays unresolved: it is not the runtime's. The
    # budget is judged here.
    "$toolchain/ld.lld" -e 0 --unresolved-symbols=ignore-all -o "$out/linked/$target.elf" \
        --whole-archive "$lib/libgnruntime-core.a"
    # Every Swift symbol resolves within the library (a module missing from the archive would leave
    # some, and the size would be short of the runtime's).
    missing=$("$toolchain/llvm-nm" -u "$out/linked/$target.elf" | awk '$NF ~ /^([$][se]|_?swift_)/ { print $NF }')
    [ -z "$missing" ] || { echo "embedded: the $target library leaves Swift symbols unresolved: $missing" >&2; exit 1; }
    size -A "$out/linked/$target.elf" | awk -v target="$target" -v budget="$budget" -v not_flash="$not_flash" '
        NR > 2 && $1 ~ /^\./ && $1 !~ not_flash { flash += $2 }
        END { printf "  %-24s linked whole: %6d B of code, constants and data: %5.1f KiB (budget %d KiB)\n", target, flash, flash / 1024, budget / 1024
              if (flash > budget) { printf "embedded: the %s library is over its budget\n", target > "/dev/stderr"; exit 1 } }'
done
[ "$libraries_only" = 1 ] && exit 0

# ---- 2. the firmware ------------------------------------------------------------------------------
firmware="$out/firmware"
mkdir -p "$firmware"
# The host predictions come from the baseline kernels (make_data.py asks for them), which round each
# product as the firmware's do (no fused multiply-add).
scripts/build.sh --library >/dev/null
python="$(scripts/python-env.sh)"
# make_data IMAGES: the model, the first IMAGES test images and the host's predictions, as C.
make_data() {
    GNRUNTIME_LIBRARY=.build/release/libgnruntime.so "$python" examples/embedded/make_data.py \
        --model "$model" --images "$1" --neuron "$neuron" --tau "$tau" -T "$steps" --out "$firmware/data.c"
}

# build_firmware BOARD TARGET SWIFT_FLAGS CLANG_FLAGS LIBRARIES: the firmware for one board, from
# Firmware.swift, the board's C file, support.c and the data, against the target's core library.
build_firmware() {
    board=$1 target=$2 swift_flags=$3 clang_flags=$4 libraries=$5
    lib="$out/lib/$target"
    build="$firmware/$board"
    mkdir -p "$build"
    # shellcheck disable=SC2086
    swiftc -enable-experimental-feature Embedded -target "$target" $swift_flags -wmo -parse-as-library -Osize \
        -no-allocations -I "$lib" -import-objc-header examples/embedded/firmware.h \
        -c examples/embedded/Firmware.swift -o "$build/firmware-swift.o"
    for unit in "examples/embedded/$board.c" examples/embedded/support.c "$firmware/data.c"; do
        # shellcheck disable=SC2086
        "$toolchain/clang" $clang_flags -ffreestanding -fno-builtin -Os -Wall -Wextra -Werror -Iexamples/embedded \
            -c "$unit" -o "$build/$(basename "$unit" .c).o"
    done
    # shellcheck disable=SC2086
    # Every section is placed by the board's script, by name: one it does not name fails the link.
    "$toolchain/ld.lld" -T "examples/embedded/$board.ld" --gc-sections --orphan-handling=error -o "$build/firmware.elf" \
        "$build/$board.o" "$build/support.o" "$build/data.o" "$build/firmware-swift.o" "$lib/libgnruntime-core.a" \
        $libraries
    # Flash: every section the image holds (.data's initial values too, which the startup copies to RAM).
    size -A "$build/firmware.elf" | awk -v board="$board" -v not_flash="$not_flash" '
        NR > 2 && $1 ~ /^\./ && $1 !~ not_flash { flash += $2 }
        $1 == ".data" || $1 == ".bss" { ram += $2 }
        END { printf "firmware (%s): %d B of code and constants (code, model, images), %d B of static RAM (arena, input, output)\n", board, flash, ram }'
}

# run_firmware BOARD QEMU ARGUMENTS...: runs it, counting instructions (-icount shift=0: one
# instruction per virtual nanosecond), and fails unless it reports success (every prediction of every
# step equal to the host's).
run_firmware() {
    board=$1
    shift
    build="$firmware/$board"
    status=0
    timeout 1800 "$@" -nographic -monitor none -serial none -semihosting-config enable=on,target=native \
        -icount shift=0 -kernel "$build/firmware.elf" >"$build/run.log" 2>&1 || status=$?
    cat "$build/run.log"
    # The calibration loop measures the instructions per timer tick (40 at mps2-an386's 25 MHz, 100 at
    # virt's 10 MHz).
    awk '/^timer: / { per_tick = $5 / $2 } /timer ticks/ { sum += $NF; n += 1 }
         END { if (n && per_tick) printf "instructions per inference: %.1f million (mean of %d; %g instructions per timer tick)\n", sum * per_tick / n / 1e6, n, per_tick }' \
        "$build/run.log"
    [ "$status" = 0 ] || { echo "embedded: the $board firmware failed (status $status)" >&2; exit 1; }
}

# Cortex-M4F on mps2-an386.
make_data "$images"
build_firmware mps2-an386 armv7em-none-none-eabi "$arm_swift" \
    "--target=armv7em-none-eabi -mcpu=cortex-m4 $arm_float" ""
need qemu-system-arm qemu-system-arm
echo "== Cortex-M4 (qemu-system-arm, mps2-an386)"
run_firmware mps2-an386 qemu-system-arm -M mps2-an386

# RV32IMAC on virt, soft float: the toolchain has no RV32 run-time library, so the float and 64-bit
# integer routines come from GCC's (Debian's gcc-riscv64-unknown-elf, its rv32imac/ilp32 multilib).
need riscv64-unknown-elf-gcc gcc-riscv64-unknown-elf
libgcc=$(riscv64-unknown-elf-gcc -march=rv32imac -mabi=ilp32 -print-libgcc-file-name)
# Soft float costs about 20 times the instructions: fewer images (--rv32-images).
make_data "$rv32_images"
build_firmware virt-rv32 riscv32-none-none-eabi "$rv32_swift" \
    "--target=riscv32-none-elf -march=rv32imac -mabi=ilp32 -mno-relax -msave-restore" "$libgcc"
need qemu-system-riscv32 qemu-system-misc
echo "== RV32IMAC (qemu-system-riscv32, virt)"
run_firmware virt-rv32 qemu-system-riscv32 -M virt -bios none
