#!/usr/bin/python3
"""Write reference fixtures from the real timm into testdata/resnet/.

    PYTHONPATH=/path/to/timm /usr/bin/python3 tools/timm_fixtures.py

where /path/to/timm holds timm's source (the package directory timm/).
Every network is built by timm itself, timm.create_model(name,
pretrained=False, num_classes=N).eval(), so the architecture is exactly
timm's: the stems, the grouped convolutions, the average-pool shortcuts,
anti-aliasing, the original SENet release's layout (timm/models/senet.py).
Its float tensors - batch-norm statistics included - are then overwritten
with tools/resnet_fixtures.py's counter-based generator, which
runtime/resnet/random.go implements bit for bit, so only inputs and logits
are committed:

    timm_<arch>_<N>x<H>x<W>.safetensors   input [N,3,H,W], logits [N,classes];
                                          metadata as resnet_fixtures.py's,
                                          plus timm (the version)
    timm_keys.json.gz                     every architecture's state_dict keys
                                          and shapes with 1000 classes

A fixture's seed is the first of base, base+1, ... whose logits are of
order 1-100 and whose top-1 margin is at least five times the Go tests'
tolerance (1e-4 x max |logit|).
"""

import gzip
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import resnet_fixtures as rf  # noqa: E402  (the weight generator and the writer)

import timm  # noqa: E402

# arch, base seed, classes, batch, height, width. Small inputs keep the Go
# tests quick; odd sides exercise the ceil-mode pools of the D shortcuts and
# of the original SENet's stem; the anti-aliased networks need sides that
# halve evenly (their branch pools floor, their shortcuts ceil, as in timm).
FIXTURES = [
    ("resnet50d", 50, 10, 2, 45, 37),
    ("resnet152d", 152, 10, 1, 32, 32),
    ("resnet200d", 200, 10, 1, 32, 32),
    ("resnetaa50d", 51, 10, 1, 64, 32),
    ("resnext50_32x4d", 5032, 10, 2, 48, 40),
    ("resnext101_32x4d", 10132, 10, 1, 32, 32),
    ("resnext101_32x8d", 10138, 10, 1, 32, 32),
    ("resnext101_64x4d", 10164, 10, 1, 32, 32),
    ("seresnet152d", 1152, 10, 1, 40, 36),
    ("seresnet200d", 1200, 10, 1, 32, 32),
    ("seresnet269d", 1269, 10, 1, 32, 32),
    ("seresnetaa50d", 1051, 10, 2, 64, 64),
    ("seresnext26d_32x4d", 2632, 10, 2, 50, 38),
    ("seresnext26t_32x4d", 2633, 10, 1, 57, 43),
    ("seresnext26t_32x4d", 2634, 10, 2, 96, 64),  # 24×16 at stage 1: its SE gates fold
    ("seresnext50_32x4d", 5033, 20, 2, 64, 48),
    ("seresnext101_32x4d", 11132, 10, 1, 32, 48),
    ("seresnext101_32x8d", 11138, 10, 1, 32, 32),
    ("seresnext101d_32x8d", 11139, 10, 1, 33, 35),
    ("seresnext101_64x4d", 11164, 10, 1, 32, 32),
    ("seresnextaa101d_32x8d", 11140, 10, 1, 64, 32),
    ("seresnextaa201d_32x8d", 12010, 10, 1, 32, 32),
    ("legacy_seresnet18", 3018, 10, 2, 64, 56),
    ("legacy_seresnet34", 3034, 10, 1, 48, 40),
    ("legacy_seresnet50", 3050, 10, 2, 40, 56),
    ("legacy_seresnet101", 3101, 10, 1, 37, 45),
    ("legacy_seresnet152", 3152, 10, 1, 32, 32),
    ("legacy_seresnext26_32x4d", 3026, 10, 2, 56, 48),
    ("legacy_seresnext50_32x4d", 3051, 10, 1, 48, 48),
    ("legacy_seresnext101_32x4d", 3102, 10, 1, 32, 40),
    ("legacy_senet154", 3154, 10, 1, 32, 32),
]

# Every architecture runtime/resnet knows, for the key list.
ARCHS = sorted(set(list(rf.ARCHS) + [f[0] for f in FIXTURES]))


def roles(model):
    """The classifier's name and the last batch norm of a residual branch."""
    fc = "last_linear" if hasattr(model, "last_linear") else "fc"
    block = model.layer1[0]
    return fc, "bn3" if hasattr(block, "bn3") else "bn2"


def build(arch, classes, seed):
    model = timm.create_model(arch, pretrained=False, num_classes=classes).eval()
    fc, last_bn = roles(model)
    rf.randomize(model, seed, last_bn, fc)
    return model


def fixture(arch, base, classes, batch, height, width):
    for seed in range(base, base + 20):
        x, logits, ref = rf.reference_run(build(arch, classes, seed), seed, batch, height, width)
        peak, margin, diff64 = rf.logit_figures(logits, ref)
        if rf.usable(peak, margin):
            break
        print("  %s seed %d: max|logit| %.3g, margin %.3g; next seed" % (arch, seed, peak, margin))
    else:
        sys.exit("%s: no seed in [%d, %d) gives usable logits" % (arch, base, base + 20))
    name = "timm_%s_%dx%dx%d" % (arch, batch, height, width)
    print("%-42s seed %d  max|logit| %.3f  margin %.4f  f32 vs f64 %.2e" % (name, seed, peak, margin, diff64))
    meta = {
        "arch": arch, "seed": str(seed), "classes": str(classes), "batch": str(batch),
        "height": str(height), "width": str(width), "torch": torch.__version__,
        "timm": timm.__version__, "max_abs_diff_f64": "%.3e" % diff64,
    }
    rf.write_safetensors(os.path.join(rf.OUT, name + ".safetensors"), [("input", x), ("logits", logits)], meta)


def keys():
    out = {}
    for arch in ARCHS:
        model = timm.create_model(arch, pretrained=False)
        out[arch] = [[k, list(v.shape)] for k, v in model.state_dict().items()]
    data = (json.dumps(out, separators=(",", ":")) + "\n").encode()
    # mtime 0: the same keys give the same bytes.
    with gzip.GzipFile(os.path.join(rf.OUT, "timm_keys.json.gz"), "wb", mtime=0) as f:
        f.write(data)


def main():
    torch.set_num_threads(1)
    only = set(sys.argv[1:])
    for f in FIXTURES:
        if not only or f[0] in only:
            fixture(*f)
    if not only:
        keys()


if __name__ == "__main__":
    main()
