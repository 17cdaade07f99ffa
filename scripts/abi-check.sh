#!/bin/sh
# Checks the ABI of libgnruntime (CHANGELOG.md, "Versioning"); needs scripts/build.sh first.
#   1. Exports: the shared library's dynamic symbols are exactly the functions of abi/libgnruntime.map,
#      and the map lists the header's GN_API functions and, besides them, only the symbols kept for
#      programs built against 0.3.
#   2. Programs built against 0.3 run: examples/c/classify.c compiled with the 0.3 header
#      (Tests/abi/gnruntime-0.3.h) gives the same output as compiled with this one, and
#      Tests/abi/options_0_3.c finds every field of the 0.3 options struct read where 0.3 put it.
#   3. abidiff of the header's ABI against the committed baseline (abi/gnruntime.abi). A removed
#      function fails unless the major version (the SONAME) changed. Any other change abidiff reports
#      (a struct's layout, a function's types, an added function) fails until someone has reviewed it:
#      libabigail cannot tell a field appended to the extensible gn_session_options from a layout
#      that breaks callers, so a compatible change is recorded on purpose, with
#      `scripts/abi-check.sh --update`, and an incompatible one needs a new major version.
# libabigail's abidw reads the C types from DWARF, and the library's own is Swift's, so the header's
# ABI is taken from a C library of empty functions with the header's declarations (scripts/abi_stubs.py).
# Installs abigail-tools (Debian) when abidw is missing, where it can (as root with apt-get).
set -eu
cd "$(dirname "$0")/.."
update=0
[ "${1:-}" = "--update" ] && update=1
out=build/abi
rm -rf "$out"
mkdir -p "$out"
lib=.build/release/libgnruntime.so
major=$(awk '$2 == "GN_VERSION_MAJOR" {print $3}' include/gnruntime.h)
# Kept for programs built against 0.3; not declared by this header (include/gnruntime.h says why).
compat="gn_session_options_default"
failed=0

echo "== exported symbols"
sed -n 's/^    \(gn_[a-z0-9_]*\);$/\1/p' abi/libgnruntime.map | sort > "$out/map.txt"
sed -n 's/^GN_API .*[ *]\(gn_[a-z0-9_]*\)(.*/\1/p' include/gnruntime.h | sort > "$out/header.txt"
printf '%s\n' $compat | sort > "$out/compat.txt"
sort -u "$out/header.txt" "$out/compat.txt" > "$out/expected.txt"
# Defined GLOBAL or WEAK dynamic symbols: what other objects can bind to.
readelf --dyn-syms -W "$lib" | awk '($5 == "GLOBAL" || $5 == "WEAK") && $7 != "UND" {print $8}' \
    | sed 's/@.*//' | sort > "$out/exported.txt"
if ! diff -u "$out/expected.txt" "$out/map.txt"; then
    echo "FAIL: abi/libgnruntime.map does not list exactly the header's functions and: $compat"
    failed=1
fi
if ! diff -u "$out/map.txt" "$out/exported.txt"; then
    echo "FAIL: $lib exports other symbols than abi/libgnruntime.map lists"
    failed=1
fi
echo "$(wc -l < "$out/exported.txt") exported, $(wc -l < "$out/header.txt") declared in the header"
soname=$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[ "$soname" = "libgnruntime.so.$major" ] || { echo "FAIL: SONAME is '$soname', not libgnruntime.so.$major"; failed=1; }

echo "== programs built against 0.3"
.build/release/gnruntime-demo-model "$out/demo.gnrt" >/dev/null
flags="-std=c99 -Wall -Wextra -Werror -pedantic"
# shellcheck disable=SC2086
cc $flags -Iinclude examples/c/classify.c -L.build/release -lgnruntime -Wl,-rpath,"$PWD/.build/release" \
    -o "$out/classify"
mkdir -p "$out/include-0.3"
cp Tests/abi/gnruntime-0.3.h "$out/include-0.3/gnruntime.h"
# shellcheck disable=SC2086
cc $flags -I"$out/include-0.3" examples/c/classify.c -L.build/release -lgnruntime \
    -Wl,-rpath,"$PWD/.build/release" -o "$out/classify-0.3"
for arguments in "--neuron ann" "--neuron gn --tau 4 --T 4" "--neuron gn --tau 2 --T 3" "--neuron if --T 8"; do
    # shellcheck disable=SC2086
    "$out/classify" "$out/demo.gnrt" $arguments > "$out/now.txt"
    # shellcheck disable=SC2086
    "$out/classify-0.3" "$out/demo.gnrt" $arguments > "$out/then.txt"
    if cmp -s "$out/now.txt" "$out/then.txt"; then
        echo "ok   classify $arguments: built against 0.3, the same output"
    else
        diff "$out/now.txt" "$out/then.txt" || true
        echo "FAIL classify $arguments: built against 0.3, another output"
        failed=1
    fi
done
# shellcheck disable=SC2086
cc $flags -ITests/abi Tests/abi/options_0_3.c -L.build/release -lgnruntime -lm \
    -Wl,-rpath,"$PWD/.build/release" -o "$out/options_0_3"
"$out/options_0_3" "$out/demo.gnrt" || failed=1

echo "== abidiff against abi/gnruntime.abi"
if ! command -v abidw >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        (apt-get update -qq && apt-get install -y -qq abigail-tools) >/dev/null 2>&1 || true
    fi
    command -v abidw >/dev/null 2>&1 || { echo "FAIL: abidw not found: install libabigail (Debian: abigail-tools)"; exit 1; }
fi
python3 scripts/abi_stubs.py include/gnruntime.h "$out/stubs.c"
(cd "$out" && cc -g -O0 -shared -fPIC -I../../include -fdebug-prefix-map="$PWD=." \
    -Wl,-soname,"libgnruntime.so.$major" stubs.c -o libgnruntime.so)
abidw --no-corpus-path --no-show-locs --headers-dir include "$out/libgnruntime.so" > "$out/gnruntime.abi"
if [ "$update" = 1 ]; then
    cp "$out/gnruntime.abi" abi/gnruntime.abi
    echo "abi/gnruntime.abi updated: commit it with the change it records"
    exit "$failed"
fi
status=0
abidiff abi/gnruntime.abi "$out/gnruntime.abi" > "$out/abidiff.txt" || status=$?
cat "$out/abidiff.txt"
baseline_soname=$(sed -n "s/.*soname='\([^']*\)'.*/\1/p" abi/gnruntime.abi | head -n 1)
if [ $((status & 8)) -ne 0 ]; then
    if [ "$baseline_soname" = "libgnruntime.so.$major" ]; then
        echo "FAIL: an incompatible ABI change within major version $major (bump GN_VERSION_MAJOR, or undo it)"
        failed=1
    else
        echo "incompatible changes, with the major version changed ($baseline_soname -> libgnruntime.so.$major):"
        echo "update the baseline with scripts/abi-check.sh --update"
    fi
elif [ $((status & 4)) -ne 0 ]; then
    echo "FAIL: the ABI changed. If the change only adds (a function, an enumerator, a field at the end of"
    echo "      gn_session_options), record it: scripts/abi-check.sh --update, and commit abi/gnruntime.abi."
    echo "      Anything else breaks programs built against the baseline: undo it, or bump GN_VERSION_MAJOR."
    failed=1
elif [ "$status" -ne 0 ]; then
    echo "FAIL: abidiff could not compare (status $status)"
    failed=1
else
    echo "ok   no ABI change against abi/gnruntime.abi"
fi
[ "$failed" = 0 ] && echo "== ABI checks passed" || { echo "== ABI checks FAILED"; exit 1; }
