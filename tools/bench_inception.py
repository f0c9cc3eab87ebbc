#!/usr/bin/python3
"""Times SE-BN-Inception and BN-Inception in PyTorch and exports them to ONNX,
for comparison with segen (tools/compare_inception.sh runs all three).

    bench_inception.py export DIR             -> DIR/se_bn_inception.onnx, DIR/bn_inception.onnx
    bench_inception.py time THREADS BATCH REPS ARCH...  -> "arch median_ms min_ms" lines
    bench_inception.py check                  -> the native graph against the reference

The network is tools/inception_fixtures.py's execution of the prototxt with
PyTorch's own batch-norm and pooling operators (native=True), traced, with
the same seeded weights (seed 1) that `segen bench` uses, so all engines run
the same computation on the same values. PyTorch runs it through
torch.jit.optimize_for_inference (conv + batch norm folded, oneDNN); ONNX
Runtime reads the exported file (opset 17, input "x", dynamic batch).
"""

import os
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import inception_fixtures as fx  # noqa: E402

ARCHS = ("se_bn_inception", "bn_inception")


class Net(torch.nn.Module):
    def __init__(self, arch, seed=1, classes=1000):
        super().__init__()
        self.net, self.se, self.classes = fx.layers(fx.PROTOTXT), arch == "se_bn_inception", classes
        made = {}
        gen = fx.generated(seed)

        def params(name, shape):
            if name not in made:
                made[name] = gen(name, shape)
            return made[name]

        self.params = params

    def forward(self, x):
        return fx.forward(self.net, x, self.params, self.se, self.classes, native=True)[0]


def traced(arch, batch=1):
    with torch.no_grad():
        return torch.jit.trace(Net(arch).eval(), torch.zeros(batch, 3, 224, 224), check_trace=False)


def main():
    cmd = sys.argv[1]
    if cmd == "export":
        d = sys.argv[2]
        os.makedirs(d, exist_ok=True)
        for arch in ARCHS:
            with torch.no_grad():
                torch.onnx.export(Net(arch).eval(), torch.zeros(1, 3, 224, 224), os.path.join(d, arch + ".onnx"),
                                  opset_version=17, input_names=["x"], output_names=["y"],
                                  dynamic_axes={"x": {0: "N"}, "y": {0: "N"}})
    elif cmd == "time":
        threads, batch, reps = map(int, sys.argv[2:5])
        torch.set_num_threads(threads)
        x = torch.randn(batch, 3, 224, 224)
        for arch in sys.argv[5:]:
            with torch.no_grad():
                f = torch.jit.optimize_for_inference(traced(arch, batch))
                for _ in range(3):
                    f(x)
                ts = []
                for _ in range(reps):
                    t0 = time.perf_counter()
                    f(x)
                    ts.append((time.perf_counter() - t0) * 1e3)
            ts.sort()
            print(arch, ts[len(ts) // 2], ts[0], flush=True)
    elif cmd == "check":
        x = fx.generated_input(7, 1, 224)
        for arch in ARCHS:
            with torch.no_grad():
                ref, _ = fx.forward(fx.layers(fx.PROTOTXT), x, fx.generated(1), arch == "se_bn_inception", 1000)
                got = torch.jit.optimize_for_inference(traced(arch))(x)
            print(arch, "optimised native graph vs reference: max |diff| %.2e, max |logit| %.2f"
                  % ((got - ref).abs().max().item(), ref.abs().max().item()))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
