#!/usr/bin/python3
"""Time PyTorch's fastest CPU inference path on ResNet-50 and SE-ResNet-50,
the yardstick of segen's Go runtime (segen bench -arch ...).

    /usr/bin/python3 tools/bench_torch_resnet.py [--runs N] [--archs a,b] [--batches 1,8] [--threads 1,2]

The networks are tools/resnet_fixtures.py's plain-PyTorch copies of timm's
(same module names, same SEModule), filled with the same well-scaled
deterministic weights (so activations stay of order 1 and no denormal
floats slow anything down), in eval mode, traced, frozen and passed through
torch.jit.optimize_for_inference (oneDNN convolutions with fused batch norm,
bias and ReLU). Inputs are 224×224, standard normal. For each architecture,
batch and thread count it runs a warm-up, then N individually timed forward
passes, and prints the median and the minimum (the machine is shared: the
median drifts with load, the minimum is what the machine can do).
"""

import argparse
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import resnet_fixtures  # noqa: E402


def optimized(arch, batch):
    model = resnet_fixtures.build(arch, 1000, 1)
    x = torch.randn(batch, 3, 224, 224, generator=torch.Generator().manual_seed(batch))
    with torch.no_grad():
        traced = torch.jit.trace(model, x)
        frozen = torch.jit.optimize_for_inference(torch.jit.freeze(traced))
    return frozen, x


def time_runs(model, x, runs, warmup):
    with torch.no_grad():
        for _ in range(warmup):
            model(x)
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            model(x)
            times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times), min(times)


def ints(s):
    return [int(v) for v in s.split(",")]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=15, help="timed runs per figure (default 15)")
    p.add_argument("--warmup", type=int, default=3, help="untimed runs first (default 3)")
    p.add_argument("--archs", default="resnet50,seresnet50")
    p.add_argument("--batches", type=ints, default=[1, 8])
    p.add_argument("--threads", type=ints, default=[1, 2])
    args = p.parse_args()

    print("torch %s, %s" % (torch.__version__, torch.backends.mkldnn.is_available() and "oneDNN" or "no oneDNN"))
    print("%-12s %5s %7s %10s %10s %12s" % ("arch", "batch", "threads", "median ms", "min ms", "images/s"))
    rows = {}
    for arch in args.archs.split(","):
        for batch in args.batches:
            model, x = optimized(arch, batch)
            for threads in args.threads:
                torch.set_num_threads(threads)
                runs = args.runs if batch == 1 else max(3, args.runs // 3)
                med, best = time_runs(model, x, runs, args.warmup)
                rows[(arch, batch, threads)] = med
                print("%-12s %5d %7d %10.1f %10.1f %12.1f" % (arch, batch, threads, med, best, batch * 1e3 / med), flush=True)
    for batch in args.batches:
        for threads in args.threads:
            a, b = rows.get(("seresnet50", batch, threads)), rows.get(("resnet50", batch, threads))
            if a and b:
                print("SE overhead (seresnet50 / resnet50), batch %d, %d thread(s): %.3f" % (batch, threads, a / b))


if __name__ == "__main__":
    main()
