#!/bin/sh
# The main job, for now: builds the library, writes a demo model, builds the C example against the
# public header with strict warnings, links it against the shared and the static library, and runs it:
# the prediction after every time step, as ANN, as Group Neurons (tau = 4, T = 1 and T = 4) and as IF
# neurons (T = 8).
set -eu
cd "$(dirname "$0")/.."
scripts/build.sh >/dev/null
mkdir -p build
.build/release/gnruntime-demo-model build/demo.gnrt
cc -std=c99 -Wall -Wextra -Werror -pedantic -Iinclude examples/c/classify.c \
    -L.build/release -lgnruntime -Wl,-rpath,"$PWD/.build/release" -o build/classify
cc -std=c99 -Wall -Wextra -Werror -pedantic -Iinclude -c examples/c/classify.c -o build/classify.o
swiftc -static-stdlib build/classify.o .build/release/libgnruntime_static.a -o build/classify-static
for arguments in "--neuron ann" "--neuron gn --tau 4 --T 1" "--neuron gn --tau 4 --T 4" "--neuron if --T 8"; do
    echo "== classify build/demo.gnrt $arguments"
    # shellcheck disable=SC2086
    build/classify build/demo.gnrt $arguments
done
echo "== static build, same run"
build/classify-static build/demo.gnrt --neuron gn --tau 4 --T 4 | tail -n 1
