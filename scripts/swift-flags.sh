#!/bin/sh
# Prints the Swift compiler flags every build script passes.
#
# By default the code is compiled for the CPU of the machine that builds it (-target-cpu native), so
# the SIMD kernels use its widest vectors (AVX-512 or AVX2 on x86-64), and, when the CPU has fused
# multiply-add, the convolution and linear kernels use it (-DGN_FMA). A library built so may not run
# on an older CPU. GNRUNTIME_PORTABLE=1 builds for the baseline of the architecture (SSE2 on x86-64)
# without FMA: it runs on every CPU of the architecture, more slowly, and its sums are rounded after
# each multiplication, so its results can differ from a native build's in the last bit.
if [ "${GNRUNTIME_PORTABLE:-0}" = "1" ]; then
    echo ""
    exit 0
fi
flags="-Xswiftc -target-cpu -Xswiftc native"
if grep -qw fma /proc/cpuinfo 2>/dev/null; then
    flags="$flags -Xswiftc -DGN_FMA"
fi
echo "$flags"
