#!/bin/sh
# Builds the libFuzzer target fuzz/FuzzModel.swift (the gnruntime-fuzz product, every module of the
# runtime instrumented, under AddressSanitizer) and runs it for SECONDS (default 60) on a copy of the
# seed corpus fuzz/corpus. A crash, a leak or a sanitizer report fails the script and leaves the input
# in .build/fuzz/artifacts; make it a regression test (Tests/GNRuntimeTests/FuzzRegressionTests.swift)
# and add it to fuzz/corpus. A plain build of gnruntime-fuzz replays such inputs without libFuzzer.
#
#     scripts/fuzz.sh [SECONDS]
set -eu
cd "$(dirname "$0")/.."
seconds="${1:-60}"
out=.build/fuzz
rm -rf "$out/artifacts"
mkdir -p "$out/corpus" "$out/artifacts"
# --disable-dead-strip keeps the coverage counters, which the linker would otherwise drop. SwiftPM
# passes its two sanitizers as two flags in no fixed order, and the compiler keeps the last one only:
# -sanitize=fuzzer,address after them makes every module both instrumented for coverage and checked.
swift build -c release --product gnruntime-fuzz --scratch-path .build-fuzz --sanitize fuzzer --sanitize address \
    --disable-dead-strip -Xswiftc -sanitize=fuzzer,address -Xswiftc -DGN_FUZZING -Xswiftc -g >/dev/null
cp fuzz/corpus/* "$out/corpus/"
echo "fuzzing for $seconds s"
status=0
.build-fuzz/release/gnruntime-fuzz -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=4096 -timeout=10 \
    -artifact_prefix="$out/artifacts/" -print_final_stats=1 "$out/corpus" > "$out/log" 2>&1 || status=$?
grep -E "^(Done|stat::|==[0-9]+==ERROR|SUMMARY|artifact_prefix|Test unit written)|INITED" "$out/log" || true
if [ "$status" != 0 ]; then
    tail -n 60 "$out/log"
    echo "fuzz: the target failed (status $status); see $out/log and $out/artifacts" >&2
    exit 1
fi
# A target that sees no coverage fuzzes blind: fail rather than report a minute of nothing.
coverage=$(sed -n 's/.*INITED cov: \([0-9]*\).*/\1/p' "$out/log" | head -n 1)
if [ "${coverage:-0}" -lt 100 ]; then
    echo "fuzz: the target reports coverage of ${coverage:-0} edges: the runtime is not instrumented" >&2
    exit 1
fi
