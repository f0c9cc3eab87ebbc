#!/usr/bin/env bash
# Times SE-ResNet-50's four SE block shapes (NCHW, batch 1, one thread) in
# PyTorch and in segen, back to back, so the two can be compared on a shared
# machine. PyTorch uses OpenBLAS when OPENBLAS_DIR names an extracted
# libopenblas0-pthread (see tools/bench_torch_se.py), else the system BLAS.
#
#	tools/compare_se.sh [count]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-10}
if [ -n "${OPENBLAS_DIR:-}" ]; then
	export LD_LIBRARY_PATH=$OPENBLAS_DIR
fi
echo "== PyTorch $( /usr/bin/python3 -c 'import torch; print(torch.__version__)')"
/usr/bin/python3 tools/bench_torch_se.py
echo
echo "== segen (go test -bench, -count $count, benchstat)"
out=$(mktemp)
go test -run '^$' -bench 'Benchmark(Forward|Excite)/bottleneck[1-4]_nchw/(specialised|generic-simd|generic)$' \
	-count "$count" ./generated/sekernels >"$out"
go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da "$out"
rm -f "$out"
