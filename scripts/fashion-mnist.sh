#!/bin/sh
# The main job: builds the library, installs the Python package, and evaluates the shipped
# Fashion-MNIST model (examples/python/gnruntime/data/fashion-mnist-qcfs.gnrt) as an ANN, with Group
# Neurons (tau = L and tau = 2) and with IF neurons at T = 1, 2, 4, 8, 16, 32: on the full test set
# when Debian's dataset-fashion-mnist is installed (installed here where possible), else on the test
# subset the package ships. Prints the table and writes build/fashion-mnist-accuracy.png; then the same
# for the model's int8 export (fashion-mnist-qcfs-int8.gnrt: int8 weights but in the first layer).
set -eu
cd "$(dirname "$0")/.."
scripts/build.sh >/dev/null
python=$(scripts/python-env.sh)
mkdir -p build
"$python" -m gnruntime eval --plot build/fashion-mnist-accuracy.png "$@"
echo "int8 weights (python -m gnruntime export ... --weights int8):"
"$python" -m gnruntime eval examples/python/gnruntime/data/fashion-mnist-qcfs-int8.gnrt "$@"
