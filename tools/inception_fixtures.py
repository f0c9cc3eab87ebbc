#!/usr/bin/python3
"""Write PyTorch reference fixtures for SE-BN-Inception into testdata/inception/.

Run with Debian's PyTorch (python3-torch):

    /usr/bin/python3 tools/inception_fixtures.py [PROTOTXT]

PROTOTXT defaults to ../shared/senet/SE-BN-Inception.prototxt, the original
SENet release's model definition. The network is not written out by hand:
the script parses the prototxt and executes it layer by layer with Caffe's
test-phase semantics, so the reference is the prototxt itself:

  Convolution   a bias unless bias_term: false (Caffe's default is true)
  BatchNorm     use_global_stats, eps 1e-5, followed in place by a Scale
                with bias_term: true holding gamma and beta
  Pooling       output size ceil((H + 2p - k)/s) + 1, one less if the last
                window would start past the input and its leading padding;
                MAX ignores the padding, AVE divides the window's sum by its
                size clipped to the padded input (padded cells count,
                overhanging ones do not: pooling_layer.cpp); global_pooling
                averages the whole plane
  Scale         with two bottoms, axis 0: the first scaled per channel by
                the second (the SE gate)
  Concat        along channels; ReLU, Sigmoid; Reshape only drops the
                trailing 1x1; the final Softmax is left out (logits)

Weight names are the layer names with "/" replaced by "_"; a BatchNorm and
the Scale after it form one PyTorch-style batch norm named after the
BatchNorm (conv1_7x7_s2_bn.weight = gamma, .bias = beta, .running_mean,
.running_var); convolutions have <name>.weight and, with a bias term,
<name>.bias; the InnerProduct is classifier.weight/.bias.

bn_inception is the same network without the SE modules: every module's
output is its concatenation.

Weights are not committed. Every tensor is filled from a seed by the
counter-based generator of tools/resnet_fixtures.py (runtime/seeded in Go),
in a range set by its role (see init_range), so the Go tests regenerate them
bit for bit. The input is generated the same way (tensor name "input",
uniform in [-2, 2)), so a fixture is only its logits and metadata:

    logits  [N, classes] float32, PyTorch's output

with metadata arch, seed, classes, batch, height, width, input_seed, torch,
max_abs_diff_f64. keys.json lists each architecture's parameter names and
shapes in prototxt order, for the Go side to check its own against.
"""

import json
import math
import os
import re
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from resnet_fixtures import check_logits, uniform, write_safetensors  # noqa: E402

OUT = os.path.join(HERE, "..", "testdata", "inception")
PROTOTXT = os.path.join(HERE, "..", "..", "shared", "senet", "SE-BN-Inception.prototxt")
EPS = 1e-5

# name, arch, weight seed, input seed, classes, batch
FIXTURES = [
    ("se_bn_inception_2x224x224", "se_bn_inception", 12, 1012, 1000, 2),
    ("bn_inception_1x224x224", "bn_inception", 13, 1013, 1000, 1),
]


# --- the prototxt ----------------------------------------------------------------


def parse(text):
    """Parses protobuf text format into nested lists of (key, value)."""
    toks = re.findall(r'"[^"]*"|[{}:]|[^\s{}:"]+', re.sub(r"#[^\n]*", "", text))
    pos = 0

    def block():
        nonlocal pos
        out = []
        while pos < len(toks) and toks[pos] != "}":
            key = toks[pos]
            pos += 1
            if toks[pos] == ":":
                pos += 1
            if toks[pos] == "{":
                pos += 1
                out.append((key, block()))
                pos += 1  # "}"
            else:
                out.append((key, toks[pos].strip('"')))
                pos += 1
        return out

    return block()


def field(msg, key, default=None):
    for k, v in msg:
        if k == key:
            return v
    return default


def fields(msg, key):
    return [v for k, v in msg if k == key]


def layers(path):
    with open(path) as f:
        return [v for k, v in parse(f.read()) if k == "layer"]


def wname(layer):
    return field(layer, "name").replace("/", "_")


SE_PART = re.compile(r"^inception_\w+?_(global_pool|1x1_down|1x1_down/relu|1x1_up|prob|prob_reshape)$")


# --- the weight generator's roles --------------------------------------------------


def init_range(name, shape):
    """The range a tensor's values are drawn from, by its role. Convolutions
    are He uniform and batch norms near identity with statistics that do not
    match the activations (so folding is really exercised). The SE gates
    would halve the activations at every module with biases around 0; the
    up-projection's bias is drawn from [2, 3) instead, as trained SE networks
    keep most gates open, so activations stay of order 1 through ten
    modules."""
    last = name.split(".")[-1]
    if name == "classifier.weight":
        a = math.sqrt(3.0 / shape[1])
        return -a, a
    if len(shape) == 4:
        a = math.sqrt(6.0 / (shape[1] * shape[2] * shape[3]))
        return -a, a
    if name.endswith("_1x1_up.bias"):
        return 2.0, 3.0
    if name == "classifier.bias" or name.endswith("_1x1_down.bias"):
        return -0.1, 0.1
    return {
        "weight": (0.7, 1.3),
        "bias": (-0.2, 0.2),
        "running_mean": (-0.2, 0.2),
        "running_var": (0.6, 1.6),
    }[last]


# --- executing it ----------------------------------------------------------------


def pool_size(n, k, s, p):
    out = int(math.ceil((n + 2 * p - k) / s)) + 1
    if p > 0 and (out - 1) * s >= n + p:
        out -= 1
    return out


def caffe_pool(x, kind, k, s, p):
    """Caffe's MAX or AVE pooling of an NCHW tensor, written out with
    explicit windows (no PyTorch pooling op)."""
    n, c, h, w = x.shape
    oh, ow = pool_size(h, k, s, p), pool_size(w, k, s, p)
    fill = -math.inf if kind == "MAX" else 0.0
    # Pad to hold every window: p before, as far as the last window reaches after.
    ph, pw = max(0, (oh - 1) * s + k - h - p), max(0, (ow - 1) * s + k - w - p)
    xp = F.pad(x, (p, pw, p, ph), value=fill)
    win = xp.unfold(2, k, s).unfold(3, k, s)[:, :, :oh, :ow]  # n c oh ow k k
    if kind == "MAX":
        return win.amax(dim=(4, 5))
    total = win.sum(dim=(4, 5))
    div = torch.empty(oh, ow, dtype=x.dtype)
    for oy in range(oh):
        hs = oy * s - p
        he = min(hs + k, h + p)
        for ox in range(ow):
            ws = ox * s - p
            we = min(ws + k, w + p)
            div[oy, ox] = (he - hs) * (we - ws)
    return total / div


def forward(net, x, params, se, classes):
    """Runs the prototxt on x (NCHW), creating each parameter from params
    (a function name, shape -> tensor) the first time it is needed; returns
    the logits and the parameters in prototxt order."""
    blobs = {"data": x}
    made = {}

    def param(name, shape):
        if name not in made:
            made[name] = params(name, shape).to(x.dtype)
        return made[name]

    i = 0
    while i < len(net):
        L = net[i]
        i += 1
        kind, name = field(L, "type"), field(L, "name")
        bottoms, tops = fields(L, "bottom"), fields(L, "top")
        if kind in ("Input", "Softmax"):
            continue
        if not se and SE_PART.match(name):
            continue
        b = blobs[bottoms[0]] if bottoms else None
        if kind == "Convolution":
            cp = field(L, "convolution_param")
            out, k = int(field(cp, "num_output")), int(field(cp, "kernel_size"))
            s, p = int(field(cp, "stride", 1)), int(field(cp, "pad", 0))
            n = wname(L)
            wt = param(n + ".weight", [out, b.shape[1], k, k])
            bias = param(n + ".bias", [out]) if field(cp, "bias_term", "true") == "true" else None
            y = F.conv2d(b, wt, bias, stride=s, padding=p)
        elif kind == "BatchNorm":
            assert field(field(L, "batch_norm_param"), "use_global_stats") == "true"
            sc = net[i]
            i += 1
            assert field(sc, "type") == "Scale" and field(field(sc, "scale_param"), "bias_term") == "true"
            n, c = wname(L), b.shape[1]
            g, beta = param(n + ".weight", [c]), param(n + ".bias", [c])
            mean, var = param(n + ".running_mean", [c]), param(n + ".running_var", [c])
            v = lambda t: t.view(1, -1, 1, 1)  # noqa: E731
            y = (b - v(mean)) / torch.sqrt(v(var) + EPS) * v(g) + v(beta)
        elif kind == "ReLU":
            y = torch.relu(b)
        elif kind == "Sigmoid":
            y = torch.sigmoid(b)
        elif kind == "Reshape":
            y = b.reshape(b.shape[0], b.shape[1])
        elif kind == "Scale":
            assert len(bottoms) == 2
            y = b if not se else b * blobs[bottoms[1]].view(b.shape[0], b.shape[1], 1, 1)
        elif kind == "Concat":
            y = torch.cat([blobs[t] for t in bottoms], dim=1)
        elif kind == "Pooling":
            pp = field(L, "pooling_param")
            pool = field(pp, "pool")
            if field(pp, "global_pooling") == "true":
                assert pool == "AVE"
                y = b.mean((2, 3), keepdim=True)
            else:
                k, s, p = int(field(pp, "kernel_size")), int(field(pp, "stride", 1)), int(field(pp, "pad", 0))
                y = caffe_pool(b, pool, k, s, p)
        elif kind == "InnerProduct":
            flat = b.reshape(b.shape[0], -1)
            y = flat @ param("classifier.weight", [classes, flat.shape[1]]).t() + param("classifier.bias", [classes])
        else:
            sys.exit("%s: layer type %s not supported" % (name, kind))
        blobs[tops[0]] = y
    return blobs["classifier"], made


def generated(seed):
    def params(name, shape):
        lo, hi = init_range(name, shape)
        v = uniform(seed, name, int(np.prod(shape)), lo, hi)
        return torch.from_numpy(v).view(shape)

    return params


def generated_input(seed, batch, size):
    v = uniform(seed, "input", batch * 3 * size * size, -2.0, 2.0)
    return torch.from_numpy(v).view(batch, 3, size, size)


def fixture(net, name, arch, seed, input_seed, classes, batch, size=224):
    se = arch == "se_bn_inception"
    x = generated_input(input_seed, batch, size)
    with torch.no_grad():
        logits, _ = forward(net, x, generated(seed), se, classes)
        ref, _ = forward(net, x.double(), generated(seed), se, classes)
    diff64 = check_logits(name, logits, ref, 28)
    meta = {
        "arch": arch, "seed": str(seed), "input_seed": str(input_seed), "classes": str(classes),
        "batch": str(batch), "height": str(size), "width": str(size), "torch": torch.__version__,
        "max_abs_diff_f64": "%.3e" % diff64,
    }
    write_safetensors(os.path.join(OUT, name + ".safetensors"), [("logits", logits)], meta)


def keys(net):
    out = {}
    x = torch.zeros(1, 3, 224, 224)
    for arch in ("se_bn_inception", "bn_inception"):
        with torch.no_grad():
            _, made = forward(net, x, lambda name, shape: torch.zeros(shape), arch == "se_bn_inception", 1000)
        out[arch] = [[k, list(v.shape)] for k, v in made.items()]
    with open(os.path.join(OUT, "keys.json"), "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")


def stats(net, arch, seed=1):
    """Debugging aid: the scale of every module's output."""
    x = generated_input(seed, 1, 224)
    trace = {}
    params = generated(seed)
    orig = torch.cat

    def cat(ts, dim):
        y = orig(ts, dim)
        trace[len(trace)] = y.pow(2).mean().sqrt().item()
        return y

    torch.cat = cat
    with torch.no_grad():
        logits, _ = forward(net, x, params, arch == "se_bn_inception", 1000)
    torch.cat = orig
    print(arch, "concat rms:", " ".join("%.3f" % v for v in trace.values()))
    print("logits max %.3f std %.3f" % (logits.abs().max().item(), logits.std().item()))


def main():
    torch.set_num_threads(1)
    args = sys.argv[1:]
    if args and args[0] == "stats":
        net = layers(PROTOTXT)
        for arch in ("se_bn_inception", "bn_inception"):
            stats(net, arch)
        return
    net = layers(args[0] if args else PROTOTXT)
    os.makedirs(OUT, exist_ok=True)
    for f in FIXTURES:
        fixture(net, *f)
    keys(net)


if __name__ == "__main__":
    main()
