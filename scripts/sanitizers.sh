#!/bin/sh
# Runs the C programs under the sanitizers:
#   - Tests/c/capi_test.c (the bad-input contract, row by row) and the C example under AddressSanitizer
#     and UndefinedBehaviorSanitizer; the library is built with AddressSanitizer (Swift has no
#     UndefinedBehaviorSanitizer on Linux: its debug build traps on overflow and bounds errors itself);
#   - Tests/c/threads_test.c under ThreadSanitizer: 8 threads, each with its own session over one shared
#     model, 1000 samples each (half the sessions with their own pool of 2 threads, in runs of 8
#     samples whose passes the pool's threads take at once; half of them timing their layers, which
#     the pool's threads add to as they run), results identical to a single thread's;
#   - valgrind memcheck on the C example and capi_test: no errors, no bytes lost; the C example also
#     over a model of widths 8, 24 and 40 (gnruntime-demo-model --widths), whose kernels read whole
#     vectors of weights padded or shifted back, and must read nothing past a blob's end.
# Any report fails the script. Needs scripts/build.sh first (for the demo models).
#
#     scripts/sanitizers.sh [THREADS RUNS]
set -eu
cd "$(dirname "$0")/.."
threads="${1:-8}"
runs="${2:-1000}"
out=.build/sanitizers
mkdir -p "$out/scratch"
.build/release/gnruntime-demo-model "$out/model.gnrt" >/dev/null
.build/release/gnruntime-demo-model "$out/maxpool.gnrt" --max-pool >/dev/null
.build/release/gnruntime-demo-model "$out/int8.gnrt" --int8 >/dev/null
.build/release/gnruntime-demo-model "$out/widths.gnrt" --widths 8,24,40 >/dev/null
cc="${CLANG:-clang}"
# The sanitizer runtimes of the toolchain's clang, which the Swift library was built against.
runtimes=$(dirname "$("$cc" -print-file-name=libclang_rt.asan-x86_64.so)")
flags="-std=c99 -Wall -Wextra -Werror -g -fno-omit-frame-pointer -Iinclude -Wl,-rpath,$runtimes"

echo "== AddressSanitizer + UndefinedBehaviorSanitizer"
swift build -c release --product gnruntime --sanitize address --scratch-path .build-asan >/dev/null
lib=.build-asan/release
# shellcheck disable=SC2086
"$cc" $flags -fsanitize=address,undefined -shared-libsan Tests/c/capi_test.c -L"$lib" -lgnruntime -lm \
    -Wl,-rpath,"$PWD/$lib" -o "$out/capi_test-asan"
# shellcheck disable=SC2086
"$cc" $flags -fsanitize=address,undefined -shared-libsan examples/c/classify.c -L"$lib" -lgnruntime \
    -Wl,-rpath,"$PWD/$lib" -o "$out/classify-asan"
# allocator_may_return_null: row B30 asks the heap for terabytes and expects OUT_OF_MEMORY, not an abort.
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=0:allocator_may_return_null=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
"$out/capi_test-asan" "$out/model.gnrt" "$out/maxpool.gnrt" "$out/int8.gnrt" "$out/scratch" > "$out/capi_test-asan.log"
tail -n 1 "$out/capi_test-asan.log"
"$out/classify-asan" "$out/model.gnrt" --neuron gn --tau 4 --T 4 | tail -n 1
"$out/classify-asan" "$out/model.gnrt" --neuron if --T 3 | tail -n 1

echo "== ThreadSanitizer"
swift build -c release --product gnruntime --sanitize thread --scratch-path .build-tsan >/dev/null
lib=.build-tsan/release
# shellcheck disable=SC2086
"$cc" $flags -fsanitize=thread -shared-libsan Tests/c/threads_test.c -L"$lib" -lgnruntime -lpthread \
    -Wl,-rpath,"$PWD/$lib" -o "$out/threads_test-tsan"
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 "$out/threads_test-tsan" "$out/model.gnrt" "$threads" "$runs"

echo "== valgrind memcheck"
if ! command -v valgrind >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    apt-get install -y -qq --no-install-recommends valgrind >/dev/null 2>&1 \
        || { apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends valgrind >/dev/null; }
fi
if command -v valgrind >/dev/null 2>&1; then
    # valgrind knows neither AVX-512 nor DWARF 5: the CPU it presents has no AVX-512, so the library
    # runs its AVX2 (or baseline) kernels there; the library goes without debug information, the
    # programs with DWARF 4.
    mkdir -p "$out/valgrind"
    strip -o "$out/valgrind/libgnruntime.so" .build/release/libgnruntime.so
    # The programs ask for the library's SONAME (libgnruntime.so.MAJOR).
    soname=$(readelf -d "$out/valgrind/libgnruntime.so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
    [ -z "$soname" ] || ln -sf libgnruntime.so "$out/valgrind/$soname"
    plain="-std=c99 -Wall -Wextra -Werror -gdwarf-4 -Iinclude"
    # shellcheck disable=SC2086
    "$cc" $plain Tests/c/capi_test.c -L"$out/valgrind" -lgnruntime -lm -Wl,-rpath,"$PWD/$out/valgrind" -o "$out/capi_test"
    # shellcheck disable=SC2086
    "$cc" $plain examples/c/classify.c -L"$out/valgrind" -lgnruntime -Wl,-rpath,"$PWD/$out/valgrind" -o "$out/classify"
    memcheck="valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=3"
    $memcheck "$out/classify" "$out/model.gnrt" --neuron gn --tau 4 --T 4 > "$out/classify-valgrind.log" 2>&1
    $memcheck "$out/classify" "$out/widths.gnrt" --neuron gn --tau 4 --T 4 > "$out/widths-valgrind.log" 2>&1
    $memcheck "$out/classify" "$out/widths.gnrt" --neuron ann > "$out/widths-ann-valgrind.log" 2>&1
    $memcheck "$out/capi_test" "$out/model.gnrt" "$out/maxpool.gnrt" "$out/int8.gnrt" "$out/scratch" > "$out/capi_test-valgrind.log" 2>&1
    grep -hE "ERROR SUMMARY|definitely lost|indirectly lost|failures$" "$out/classify-valgrind.log" "$out/capi_test-valgrind.log" \
        "$out/widths-valgrind.log" "$out/widths-ann-valgrind.log"
else
    echo "valgrind is not installed: memcheck skipped (apt-get install valgrind)"
fi
echo "== sanitizers passed"
