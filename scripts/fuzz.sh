#!/bin/sh
# Builds the libFuzzer target fuzz/FuzzModel.swift (with the runtime's sources, under AddressSanitizer)
# and runs it for SECONDS (default 60) on a copy of the seed corpus fuzz/corpus. A crash, a leak or a
# sanitizer report fails the script and leaves the input in .build/fuzz/artifacts; make it a
# regression test (Tests/GNRuntimeTests/FuzzRegressionTests.swift) and add it to fuzz/corpus.
#
#     scripts/fuzz.sh [SECONDS]
set -eu
cd "$(dirname "$0")/.."
seconds="${1:-60}"
out=.build/fuzz
rm -rf "$out/artifacts"
mkdir -p "$out/corpus" "$out/artifacts"
root=$(pwd)
cat > "$out/module.modulemap" <<MAP
module GNRuntimeC {
    header "$root/Sources/GNRuntimeC/include/gnruntime.h"
    header "$root/Sources/GNRuntimeC/include/gnruntime_internal.h"
    export *
}
MAP
"${CLANG:-clang}" -c -O1 -g -fsanitize=address,fuzzer-no-link -ISources/GNRuntimeC/include \
    Sources/GNRuntimeC/thread_message.c -o "$out/thread_message.o"
# shellcheck disable=SC2046
swiftc -sanitize=fuzzer,address -parse-as-library -O -g -module-name GNRuntimeFuzz \
    -Xcc -fmodule-map-file="$out/module.modulemap" -ISources/GNRuntimeC/include \
    $(find Sources/GNRuntime -name '*.swift' | sort) fuzz/FuzzModel.swift "$out/thread_message.o" \
    -o "$out/fuzz-model"
cp fuzz/corpus/* "$out/corpus/"
echo "fuzzing for $seconds s"
status=0
"$out/fuzz-model" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=4096 -timeout=10 \
    -artifact_prefix="$out/artifacts/" -print_final_stats=1 "$out/corpus" > "$out/log" 2>&1 || status=$?
grep -E "^(Done|stat::|==[0-9]+==ERROR|SUMMARY|artifact_prefix|Test unit written)" "$out/log" || true
if [ "$status" != 0 ]; then
    tail -n 60 "$out/log"
    echo "fuzz: the target failed (status $status); see $out/log and $out/artifacts" >&2
    exit 1
fi
