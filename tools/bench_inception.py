#!/usr/bin/python3
"""Times SE-BN-Inception and BN-Inception in PyTorch and exports them to ONNX,
for comparison with segen (tools/compare_inception.sh runs all three).

    bench_inception.py export DIR             -> DIR/se_bn_inception.onnx, DIR/bn_inception.onnx
    bench_inception.py time THREADS BATCH REPS ARCH...  -> "arch median_ms min_ms" lines
    bench_inception.py check                  -> the generated module against the reference

The network is a torch.nn.Module generated from the prototxt (nn.Conv2d,
nn.BatchNorm2d for each BatchNorm + Scale pair, max_pool2d and avg_pool2d
with ceil_mode and count_include_pad, which follow Caffe's rules), whose
state-dict keys are segen's weight names, filled with the seeded weights
(seed 1) that `segen bench` uses, so all engines run the same computation
on the same values; `check` compares it with tools/inception_fixtures.py's
layer-by-layer reference. PyTorch runs it scripted through
torch.jit.optimize_for_inference (conv + batch norm folded, oneDNN); ONNX
Runtime reads the exported file (opset 17, input "x", dynamic batch).
"""

import linecache
import os
import re
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import inception_fixtures as fx  # noqa: E402

ARCHS = ("se_bn_inception", "bn_inception")


def var(blob):
    return "b_" + re.sub(r"\W", "_", blob)


def module_source(arch, classes=1000):
    """Python source of a torch.nn.Module class Net that computes the
    prototxt (without its SE layers for bn_inception) with PyTorch's own
    layers, attribute names being the weight names: its state dict has the
    keys Arch.Params lists (plus num_batches_tracked). Shapes come from a
    pass of the reference executor."""
    net, se = fx.layers(fx.PROTOTXT), arch == "se_bn_inception"
    with torch.no_grad():
        _, made = fx.forward(net, torch.zeros(1, 3, 224, 224), lambda n, shape: torch.zeros(shape), se, classes)
    init, body = [], []
    i = 0
    while i < len(net):
        L = net[i]
        i += 1
        kind, name = fx.field(L, "type"), fx.field(L, "name")
        bottoms, tops = [var(b) for b in fx.fields(L, "bottom")], [var(t) for t in fx.fields(L, "top")]
        if kind in ("Input", "Softmax") or (not se and fx.SE_PART.match(name)):
            continue
        n = fx.wname(L)
        if kind == "Convolution":
            cp = fx.field(L, "convolution_param")
            out, cin, k, _ = made[n + ".weight"].shape
            s_, p_ = int(fx.field(cp, "stride", 1)), int(fx.field(cp, "pad", 0))
            bias = fx.field(cp, "bias_term", "true") == "true"
            init.append(f"self.{n} = nn.Conv2d({cin}, {out}, {k}, {s_}, {p_}, bias={bias})")
            body.append(f"{tops[0]} = self.{n}({bottoms[0]})")
        elif kind == "BatchNorm":
            i += 1  # its Scale: gamma and beta are the batch norm's weight and bias
            init.append(f"self.{n} = nn.BatchNorm2d({made[n + '.weight'].shape[0]}, eps={fx.EPS})")
            body.append(f"{tops[0]} = self.{n}({bottoms[0]})")
        elif kind in ("ReLU", "Sigmoid"):
            body.append(f"{tops[0]} = torch.{kind.lower()}({bottoms[0]})")
        elif kind == "Reshape":
            body.append(f"{tops[0]} = {bottoms[0]}")  # kept 4-D for the broadcast below
        elif kind == "Scale":
            body.append(f"{tops[0]} = {bottoms[0]}" + (f" * {bottoms[1]}" if se else ""))
        elif kind == "Concat":
            body.append(f"{tops[0]} = torch.cat([{', '.join(bottoms)}], 1)")
        elif kind == "Pooling":
            pp = fx.field(L, "pooling_param")
            if fx.field(pp, "global_pooling") == "true":
                body.append(f"{tops[0]} = {bottoms[0]}.mean((2, 3), keepdim=True)")
                continue
            k, s_, p_ = int(fx.field(pp, "kernel_size")), int(fx.field(pp, "stride", 1)), int(fx.field(pp, "pad", 0))
            if fx.field(pp, "pool") == "MAX":
                body.append(f"{tops[0]} = F.max_pool2d({bottoms[0]}, {k}, {s_}, {p_}, ceil_mode=True)")
            else:
                body.append(f"{tops[0]} = F.avg_pool2d({bottoms[0]}, {k}, {s_}, {p_}, ceil_mode=True, count_include_pad=True)")
        elif kind == "InnerProduct":
            init.append(f"self.classifier = nn.Linear({made['classifier.weight'].shape[1]}, {classes})")
            body.append(f"{tops[0]} = self.classifier(torch.flatten({bottoms[0]}, 1))")
    return "\n".join(
        ["class Net(nn.Module):", "    def __init__(self):", "        super().__init__()"]
        + ["        " + l for l in init]
        + ["", "    def forward(self, b_data):"] + ["        " + l for l in body]
        + ["        return b_classifier", ""])


def build(arch, seed=1, classes=1000):
    """The generated module with the seeded weights of `segen bench`."""
    # torch.jit.script reads the source through linecache: register it.
    src, filename = module_source(arch, classes), "<%s.prototxt>" % arch
    linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
    scope = {"nn": torch.nn, "F": torch.nn.functional, "torch": torch}
    exec(compile(src, filename, "exec"), scope)
    m = scope["Net"]().eval()
    gen = fx.generated(seed)
    with torch.no_grad():
        for name, t in m.state_dict().items():
            if not name.endswith("num_batches_tracked"):
                t.copy_(gen(name, list(t.shape)))
    return m


def scripted(arch):
    with torch.no_grad():
        return torch.jit.optimize_for_inference(torch.jit.script(build(arch)))


def main():
    cmd = sys.argv[1]
    if cmd == "export":
        d = sys.argv[2]
        os.makedirs(d, exist_ok=True)
        for arch in ARCHS:
            with torch.no_grad():
                torch.onnx.export(build(arch), torch.zeros(1, 3, 224, 224), os.path.join(d, arch + ".onnx"),
                                  opset_version=17, input_names=["x"], output_names=["y"],
                                  dynamic_axes={"x": {0: "N"}, "y": {0: "N"}})
    elif cmd == "time":
        threads, batch, reps = map(int, sys.argv[2:5])
        torch.set_num_threads(threads)
        x = torch.randn(batch, 3, 224, 224)
        for arch in sys.argv[5:]:
            with torch.no_grad():
                f = scripted(arch)
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
                got = scripted(arch)(x)
                keys = [k for k in build(arch).state_dict() if not k.endswith("num_batches_tracked")]
            _, made = fx.forward(fx.layers(fx.PROTOTXT), x, fx.generated(1), arch == "se_bn_inception", 1000)
            print(arch, "optimised generated module vs reference: max |diff| %.2e, max |logit| %.2f; state-dict keys %s"
                  % ((got - ref).abs().max().item(), ref.abs().max().item(),
                     "identical" if keys == list(made) else "DIFFER"))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
