#!/usr/bin/python3
"""Time PyTorch's SE block, the baseline segen's kernels are measured against.

    /usr/bin/python3 tools/bench_torch_se.py [--runs N]

Times timm's SEModule forward (the module tools/se_fixtures.py builds:
bias=True, ReLU, sigmoid gate), NCHW, batch 1, one thread, under no_grad,
at SE-ResNet-50's four SE shapes, and separately the excitation alone (the
two 1×1 convs, ReLU and sigmoid on the pooled [1, C, 1, 1] tensor) at C=2048,
hidden 128. Each figure is the median of many individually timed runs after
a warm-up; the minimum is printed too, since the machine is shared and the
median drifts with load. Inputs and weights are of order 1 and He-scaled, so
no denormal floats slow anything down.

By default every run reuses one input, which then stays in the last-level
cache; --cold cycles through enough distinct inputs (64 MiB) that each run
reads its input from memory.

Debian's python3-torch links whatever libblas.so.3 the system provides; with
only libblas3 (netlib's reference BLAS) the two 1×1 convs are ~10× slower
than with OpenBLAS. To time against OpenBLAS without changing the system:

    apt-get download libopenblas0-pthread && dpkg -x libopenblas0-pthread_*.deb ob
    LD_LIBRARY_PATH=$PWD/ob/usr/lib/x86_64-linux-gnu/openblas-pthread \
        /usr/bin/python3 tools/bench_torch_se.py
"""

import argparse
import os
import statistics
import sys
import time

sys.dont_write_bytecode = True  # importing se_fixtures must not litter tools/

# OpenBLAS starts its own threads unless told not to (torch.set_num_threads
# does not reach it); this must be set before torch loads it.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import torch  # noqa: E402

from se_fixtures import SEModule  # noqa: E402

SHAPES = [  # (channels, side, hidden): SE-ResNet-50's stages at 224×224
    (256, 56, 16),
    (512, 28, 32),
    (1024, 14, 64),
    (2048, 7, 128),
]


def init(m, c, hidden, g):
    """Well-scaled random weights, as in tools/se_fixtures.py."""
    with torch.no_grad():
        m.fc1.weight.copy_(torch.randn(hidden, c, 1, 1, generator=g) * (2 / c) ** 0.5)
        m.fc2.weight.copy_(torch.randn(c, hidden, 1, 1, generator=g) * (1 / hidden) ** 0.5)
        m.fc1.bias.copy_(torch.randn(hidden, generator=g) * 0.1)
        m.fc2.bias.copy_(torch.randn(c, generator=g) * 0.1)


def timeit(f, inputs, runs, warmup):
    """Return (median, min) of runs timings of f(input) in milliseconds,
    cycling through inputs."""
    for i in range(warmup):
        f(inputs[i % len(inputs)])
    ts = []
    for i in range(runs):
        x = inputs[i % len(inputs)]
        t0 = time.perf_counter_ns()
        f(x)
        ts.append(time.perf_counter_ns() - t0)
    return statistics.median(ts) / 1e6, min(ts) / 1e6


def loaded_blas():
    """Name the BLAS library this process actually loaded."""
    with open("/proc/self/maps") as f:
        libs = {line.split()[-1] for line in f if "blas" in line}
    if any("openblas" in lib for lib in libs):
        return "OpenBLAS"
    return "BLAS " + (", ".join(sorted(libs)) or "unknown")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=1000, help="timed runs per figure")
    ap.add_argument("--warmup", type=int, default=100, help="untimed runs first")
    ap.add_argument("--cold", action="store_true", help="read each run's input from memory, not cache")
    args = ap.parse_args()

    def inputs(make, nbytes):
        """One input, or with --cold enough distinct ones to overflow the cache."""
        n = -(-64 * 2**20 // nbytes) + 1 if args.cold else 1
        return [make() for _ in range(n)]

    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(0)
    blas = loaded_blas()
    print(f"PyTorch {torch.__version__} ({blas}), {torch.get_num_threads()} thread, batch 1, NCHW, "
          f"{'cold' if args.cold else 'cache-hot'} inputs, median (min) of {args.runs} runs "
          f"after {args.warmup} warm-up")
    print(f"{'what':34s} {'median ms':>10s} {'min ms':>8s}")
    with torch.no_grad():
        for c, side, hidden in SHAPES:
            m = SEModule(c, hidden, bias=True).eval()
            init(m, c, hidden, g)
            xs = inputs(lambda: torch.randn(1, c, side, side, generator=g)
                        + torch.randn(1, c, 1, 1, generator=g), 4 * c * side * side)
            med, lo = timeit(m, xs, args.runs, args.warmup)
            print(f"{f'SEModule {c}×{side}×{side} hidden {hidden}':34s} {med:10.3f} {lo:8.3f}")

        c, hidden = 2048, 128
        m = SEModule(c, hidden, bias=True).eval()
        init(m, c, hidden, g)
        # The weights (2 MiB) dominate here, and they stay cached either way.
        z = [torch.randn(1, c, 1, 1, generator=g)]
        med, lo = timeit(m.excite, z, args.runs, args.warmup)
        print(f"{f'excite only C={c} hidden {hidden}':34s} {med:10.3f} {lo:8.3f}")


if __name__ == "__main__":
    main()
