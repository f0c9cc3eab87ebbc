#!/usr/bin/env bash
# Times SE-BN-Inception and BN-Inception in segen, PyTorch (1.13,
# torch.jit.optimize_for_inference, oneDNN) and ONNX Runtime (onnxruntime-node,
# MLAS) with the same seeded weights, in alternating rounds so that load from
# other programs hits the three alike, and prints medians, best passes and
# the ratios.
#
#	tools/compare_inception.sh [-t THREADS] [-b BATCH] [-r ROUNDS]
#
# onnxruntime-node is installed with npm into $SEGEN_COMPARE_CACHE
# (default $HOME/.cache/segen-compare), the exported models kept there.
set -u
cd "$(dirname "$0")/.."
THREADS=1,2; B=1; R=3
while getopts t:b:r: o; do case $o in t) THREADS=$OPTARG;; b) B=$OPTARG;; r) R=$OPTARG;; *) exit 2;; esac; done
C=${SEGEN_COMPARE_CACHE:-$HOME/.cache/segen-compare}; mkdir -p "$C/inception"
ARCHS=(se_bn_inception bn_inception)
[ -d "$C/node_modules/onnxruntime-node" ] || (cd "$C" && ONNXRUNTIME_NODE_INSTALL=skip npm install --silent onnxruntime-node@1.30.0) >"$C/npm.log" 2>&1 || { echo "npm install onnxruntime-node failed (see $C/npm.log)"; exit 1; }
ORT_TIME=${ORT_TIME:-../shared/bench/ort_time.js}
cp "$ORT_TIME" "$C/ort_time.js" || exit 1
[ -f "$C/inception/se_bn_inception.onnx" ] && [ -f "$C/inception/bn_inception.onnx" ] ||
	/usr/bin/python3 tools/bench_inception.py export "$C/inception" >"$C/inception-export.log" 2>&1 || { echo "export failed (see $C/inception-export.log)"; exit 1; }
go build -o "$C/segen" ./cmd/segen || exit 1
out=$(mktemp -d)
IFS=, read -ra TS <<<"$THREADS"
for r in $(seq 1 "$R"); do
	for t in "${TS[@]}"; do
		echo "round $r/$R, $t thread(s)…" >&2
		"$C/segen" bench -arch se_bn_inception,bn_inception -batch "$B" -threads "$t" -runs 10 -gemm=false -json "$out/seg_${t}_$r.json" >/dev/null 2>&1 || echo "segen bench failed" >&2
		OMP_NUM_THREADS=$t /usr/bin/python3 tools/bench_inception.py time "$t" "$B" 20 "${ARCHS[@]}" >"$out/torch_${t}_$r.txt" 2>/dev/null
		MODELS="$C/inception" node "$C/ort_time.js" "$t" "$B" 20 "${ARCHS[@]}" >"$out/ort_${t}_$r.txt" 2>/dev/null
	done
done
/usr/bin/python3 - "$out" "$R" "$THREADS" <<'PY'
import json, os, sys, statistics as st
d, R, TS = sys.argv[1], int(sys.argv[2]), [int(t) for t in sys.argv[3].split(",")]
med, best = {}, {}
for t in TS:
    for r in range(1, R + 1):
        p = f"{d}/seg_{t}_{r}.json"
        for rec in (json.load(open(p)) if os.path.exists(p) else []):
            med.setdefault(("segen", rec["arch"], t), []).append(rec["median_ms"]); best.setdefault(("segen", rec["arch"], t), []).append(rec["min_ms"])
        for e in ("torch", "ort"):
            for l in open(f"{d}/{e}_{t}_{r}.txt"):
                a, m, b = l.split(); med.setdefault((e, a, t), []).append(float(m)); best.setdefault((e, a, t), []).append(float(b))
print(f"{'engine':6} {'architecture':16} thr  median ms  best ms   rounds' medians")
for k in sorted(med):
    print(f"{k[0]:6} {k[1]:16} {k[2]:3}  {st.median(med[k]):9.1f} {min(best[k]):8.1f}   {' '.join(f'{v:.1f}' for v in med[k])}")
for k in sorted(med):
    if k[0] == "segen":
        for e in ("ort", "torch"):
            o = (e, k[1], k[2])
            if o in med:
                print(f"segen/{e} {k[1]} {k[2]} thr: median {st.median(med[k]) / st.median(med[o]):.2f}x time, best {min(best[k]) / min(best[o]):.2f}x")
for e in ("segen", "torch", "ort"):
    for t in TS:
        a, b = (e, "se_bn_inception", t), (e, "bn_inception", t)
        if a in med and b in med:
            ratios = [x / y for x, y in zip(med[a], med[b])]
            print(f"SE overhead {e} {t} thr: median of rounds {st.median(ratios):.3f} ({' '.join(f'{v:.3f}' for v in ratios)}), best {min(best[a]) / min(best[b]):.3f}")
PY
rm -rf "$out"
