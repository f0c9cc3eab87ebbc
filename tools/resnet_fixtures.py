#!/usr/bin/python3
"""Write PyTorch reference fixtures for the ResNet runtime into testdata/resnet/.

Run from anywhere with Debian's PyTorch (python3-torch; timm and the
safetensors package are not needed):

    /usr/bin/python3 tools/resnet_fixtures.py

The networks are timm's ResNet and SE-ResNet written out in plain PyTorch
with timm's module names, so their state_dict keys are exactly timm's
(conv1.weight, bn1.running_var, layer2.0.downsample.1.weight,
layer1.0.se.fc1.bias, fc.weight, ...).

Weights are not committed: SE-ResNet-50 alone is ~100 MB in float32. Every
float tensor of the state dict - convolution and fc weights, SE biases, and
all four batch-norm tensors (weight, bias, running_mean, running_var), so
that batch-norm folding is really tested - is instead filled from a seed by
a tiny counter-based generator that runtime/resnet/random.go implements
identically (splitmix64 of the seed, the tensor's name and the element
index; then a uniform value in a range that depends on the tensor's role,
computed in float64 and rounded once to float32). The Go tests regenerate
the same weights bit for bit, write them as a timm-named safetensors file,
load that file through the normal loader and compare logits.

Each fixture file <name>.safetensors holds

    input   [N, 3, H, W] float32, NCHW: what `segen run -input` reads
    logits  [N, classes] float32, PyTorch's output in float32

and the metadata arch, seed, classes, batch, height, width, torch (version)
and max_abs_diff_f64 (how far PyTorch's own float32 logits are from a float64
run of the same network: the floor any float32 implementation can reach).

preprocess.safetensors holds torchvision's evaluation transform (resize
the shorter side with F.interpolate, antialias on and off, bilinear and
bicubic; centre crop; normalise) applied to synthetic images whose pixels
both sides compute from a formula; its tensors are named
<width>x<height>_s<size>_c<crop_pct>_<interp>_aa<0|1>.

keys.json lists, for every architecture with 1000 classes, the state_dict
keys and shapes PyTorch produces (num_batches_tracked included), so the Go
side can check its parameter names against timm's module structure.

The script refuses a fixture whose logits are degenerate (max |logit|
outside [1, 100]) or whose top-1 margin is too thin for the tolerance
the Go tests use (1e-4 × max |logit|).
"""

import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testdata", "resnet")

# name, arch, weight seed, classes, batch, height, width
FIXTURES = [
    ("resnet18_2x64x80", "resnet18", 18, 10, 2, 64, 80),
    ("seresnet18_2x64x80", "seresnet18", 118, 10, 2, 64, 80),
    ("seresnet34_3x40x48", "seresnet34", 134, 100, 3, 40, 48),
    ("resnet50_2x32x32", "resnet50", 50, 10, 2, 32, 32),
    ("seresnet50_2x80x64", "seresnet50", 150, 10, 2, 80, 64),
    ("seresnet101_1x33x47", "seresnet101", 1101, 20, 1, 33, 47),
    ("seresnet50_1x224x224", "seresnet50", 2050, 1000, 1, 224, 224),  # the acceptance fixture
]

ARCHS = {
    # name: (block, layers, se)
    "resnet18": ("basic", [2, 2, 2, 2], False),
    "resnet34": ("basic", [3, 4, 6, 3], False),
    "resnet50": ("bottleneck", [3, 4, 6, 3], False),
    "resnet101": ("bottleneck", [3, 4, 23, 3], False),
    "resnet152": ("bottleneck", [3, 8, 36, 3], False),
    "seresnet18": ("basic", [2, 2, 2, 2], True),
    "seresnet34": ("basic", [3, 4, 6, 3], True),
    "seresnet50": ("bottleneck", [3, 4, 6, 3], True),
    "seresnet101": ("bottleneck", [3, 4, 23, 3], True),
    "seresnet152": ("bottleneck", [3, 8, 36, 3], True),
}


# --- the weight generator, mirrored by runtime/resnet/random.go -------------

M64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15


def fnv1a64(s):
    h = 0xCBF29CE484222325
    for b in s.encode():
        h = ((h ^ b) * 0x100000001B3) & M64
    return h


def uniform(seed, name, n, lo, hi):
    """n float32 values uniform in [lo, hi) for the tensor called name."""
    key = np.uint64(fnv1a64(name) ^ ((seed * GOLDEN) & M64))
    with np.errstate(over="ignore"):
        x = key + (np.arange(n, dtype=np.uint64) + np.uint64(1)) * np.uint64(GOLDEN)
        z = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    u = (z >> np.uint64(40)).astype(np.float64) / float(1 << 24)
    return (lo + (hi - lo) * u).astype(np.float32)


def init_range(name, shape, last_bn, fc="fc"):
    """The range a tensor's values are drawn from, by its role. last_bn is
    the name of the last batch norm of a block's residual branch ("bn2" in a
    basic block, "bn3" in a bottleneck), fc the classifier's ("fc", or
    "last_linear" in timm's senet.py)."""
    parts = name.split(".")
    last = parts[-1]
    if name == fc + ".weight":
        a = math.sqrt(3.0 / shape[1])  # std 1/sqrt(fan_in)
        return -a, a
    if len(shape) == 4:  # convolutions (grouped: shape[1] is a group's inputs), SE's 1x1 fc1/fc2: He uniform
        a = math.sqrt(6.0 / (shape[1] * shape[2] * shape[3]))
        return -a, a
    if name == fc + ".bias" or ".se." in name or ".se_module." in name:
        return -0.1, 0.1
    # batch norm. The last one of each residual branch gets a small weight,
    # as trained networks have (timm even initialises it to zero): with the
    # others' gain of about 1, activations stay of order 1 through 50 blocks
    # instead of growing geometrically along the residual stream.
    if last == "weight" and parts[0].startswith("layer") and parts[2] == last_bn:
        return 0.1, 0.4
    return {
        "weight": (0.6, 1.2),
        "bias": (-0.2, 0.2),
        "running_mean": (-0.2, 0.2),
        "running_var": (0.6, 1.6),
    }[last]


def randomize(model, seed, last_bn, fc="fc"):
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if name.endswith("num_batches_tracked"):
                continue
            lo, hi = init_range(name, list(t.shape), last_bn, fc)
            v = uniform(seed, name, t.numel(), lo, hi)
            t.copy_(torch.from_numpy(v).view(t.shape))


# --- timm's ResNet in plain PyTorch ------------------------------------------


def make_divisible(v, divisor=8):
    return max(divisor, int(v + divisor / 2) // divisor * divisor)


class SEModule(nn.Module):
    """timm.layers.SEModule with its defaults: rd_ratio 1/16, divisor 8."""

    def __init__(self, channels):
        super().__init__()
        hidden = make_divisible(channels / 16)
        self.fc1 = nn.Conv2d(channels, hidden, 1, bias=True)
        self.bn = nn.Identity()
        self.act = nn.ReLU(inplace=True)
        self.fc2 = nn.Conv2d(hidden, channels, 1, bias=True)
        self.gate = nn.Sigmoid()

    def forward(self, x):
        s = x.mean((2, 3), keepdim=True)
        s = self.fc2(self.act(self.bn(self.fc1(s))))
        return x * self.gate(s)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride, downsample, se):
        super().__init__()
        outplanes = planes * self.expansion
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.act1 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, outplanes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(outplanes)
        self.se = SEModule(outplanes) if se else None
        self.act2 = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        shortcut = x
        x = self.act1(self.bn1(self.conv1(x)))
        x = self.bn2(self.conv2(x))
        if self.se is not None:
            x = self.se(x)
        if self.downsample is not None:
            shortcut = self.downsample(shortcut)
        return self.act2(x + shortcut)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride, downsample, se):
        super().__init__()
        outplanes = planes * self.expansion
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.act1 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.act2 = nn.ReLU(inplace=True)
        self.conv3 = nn.Conv2d(planes, outplanes, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(outplanes)
        self.se = SEModule(outplanes) if se else None
        self.act3 = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        shortcut = x
        x = self.act1(self.bn1(self.conv1(x)))
        x = self.act2(self.bn2(self.conv2(x)))
        x = self.bn3(self.conv3(x))
        if self.se is not None:
            x = self.se(x)
        if self.downsample is not None:
            shortcut = self.downsample(shortcut)
        return self.act3(x + shortcut)


class ResNet(nn.Module):
    def __init__(self, block, layers, se, num_classes):
        super().__init__()
        block = BasicBlock if block == "basic" else Bottleneck
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.act1 = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        inplanes = 64
        for i, n in enumerate(layers):
            planes = 64 << i
            blocks = []
            for j in range(n):
                stride = 2 if i > 0 and j == 0 else 1
                outplanes = planes * block.expansion
                downsample = None
                if stride != 1 or inplanes != outplanes:
                    downsample = nn.Sequential(
                        nn.Conv2d(inplanes, outplanes, 1, stride, bias=False),
                        nn.BatchNorm2d(outplanes),
                    )
                blocks.append(block(inplanes, planes, stride, downsample, se))
                inplanes = outplanes
            self.add_module("layer%d" % (i + 1), nn.Sequential(*blocks))
        self.fc = nn.Linear(inplanes, num_classes)

    def forward(self, x):
        x = self.maxpool(self.act1(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(x.mean((2, 3)))


def build(arch, classes, seed):
    block, layers, se = ARCHS[arch]
    model = ResNet(block, layers, se, classes)
    randomize(model, seed, "bn2" if block == "basic" else "bn3")
    return model.eval()


# --- safetensors, written by hand ---------------------------------------------


def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": metadata}
    offset, blobs = 0, []
    for name, t in tensors:
        data = t.detach().contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def reference_run(model, seed, batch, height, width):
    """Runs model on the fixture input of seed (standard normal, NCHW) in
    float32, then in float64 (the model is left in float64); returns the
    input and both logits."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, 3, height, width, generator=gen)
    with torch.no_grad():
        logits = model(x)
        ref = model.double()(x.double())
    return x, logits, ref


def logit_figures(logits, ref):
    """What says whether float32 logits [N, classes] make a usable fixture:
    max |logit|, the smallest top-1 margin of any sample, and how far they
    are from ref, the same network run in float64."""
    peak = logits.abs().max().item()
    diff64 = (logits.double() - ref).abs().max().item()
    top2 = logits.topk(2, dim=1).values
    margin = (top2[:, 0] - top2[:, 1]).min().item()
    return peak, margin, diff64


def usable(peak, margin):
    """Whether logits test anything at the Go tests' tolerance (1e-4 x max
    |logit|): not degenerate, and no top-1 margin within 5x of it."""
    return 1 <= peak <= 100 and margin >= 5 * 1e-4 * peak


def check_logits(name, logits, ref, width):
    """Prints the fixture's figures (name padded to width) and exits unless
    its logits are usable; returns max |float32 - float64|."""
    peak, margin, diff64 = logit_figures(logits, ref)
    print("%-*s logits max|.| %.3f  top-1 margin %.4f  f32 vs f64 %.2e" % (width, name, peak, margin, diff64))
    if not 1 <= peak <= 100:
        sys.exit("%s: degenerate logits, max |logit| = %g" % (name, peak))
    if not usable(peak, margin):
        sys.exit("%s: top-1 margin %g too thin for the test tolerance; change the seed" % (name, margin))
    return diff64


def fixture(name, arch, seed, classes, batch, height, width):
    x, logits, ref = reference_run(build(arch, classes, seed), seed, batch, height, width)
    diff64 = check_logits(name, logits, ref, 22)
    meta = {
        "arch": arch, "seed": str(seed), "classes": str(classes), "batch": str(batch),
        "height": str(height), "width": str(width), "torch": torch.__version__,
        "max_abs_diff_f64": "%.3e" % diff64,
    }
    write_safetensors(os.path.join(OUT, name + ".safetensors"), [("input", x), ("logits", logits)], meta)


def keys():
    out = {}
    for arch, (block, layers, se) in ARCHS.items():
        model = ResNet(block, layers, se, 1000)
        out[arch] = [[k, list(v.shape)] for k, v in model.state_dict().items()]
    with open(os.path.join(OUT, "keys.json"), "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")


# --- image preprocessing ------------------------------------------------------

# Synthetic images (width, height): landscape and portrait downscales, and an
# upscale. Pixels come from a formula the Go test evaluates too, with enough
# high-frequency content that antialiasing matters.
IMAGES = [(53, 41), (29, 47), (13, 17)]

# (size, crop_pct, interpolation, antialias)
RECIPES = [
    (24, 0.875, "bilinear", True),
    (24, 0.875, "bilinear", False),
    (24, 0.875, "bicubic", True),
    (24, 0.875, "bicubic", False),
    (24, 0.95, "bicubic", True),
]

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


def image_pixels(w, h):
    """[3, h, w] uint8 values of the synthetic image."""
    y, x = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    return np.stack([(x * 7 + y * 13 + c * 50 + x * y * 3) % 256 for c in range(3)]).astype(np.uint8)


def preprocess(pixels, size, crop_pct, interp, antialias):
    """torchvision's eval transform on a float tensor: Resize(shorter side to
    floor(size / crop_pct)), CenterCrop(size), ToTensor, Normalize."""
    x = torch.from_numpy(pixels).float().div(255).unsqueeze(0)
    _, _, h, w = x.shape
    side = math.floor(size / crop_pct)
    if w <= h:
        nw, nh = side, int(side * h / w)
    else:
        nh, nw = side, int(side * w / h)
    x = torch.nn.functional.interpolate(x, size=(nh, nw), mode=interp, align_corners=False, antialias=antialias)
    top, left = int(round((nh - size) / 2.0)), int(round((nw - size) / 2.0))
    x = x[:, :, top:top + size, left:left + size]
    mean = torch.tensor(MEAN).view(1, 3, 1, 1)
    std = torch.tensor(STD).view(1, 3, 1, 1)
    return ((x - mean) / std)[0]


def preprocess_fixture():
    tensors = []
    for w, h in IMAGES:
        pixels = image_pixels(w, h)
        for size, crop_pct, interp, aa in RECIPES:
            name = "%dx%d_s%d_c%g_%s_aa%d" % (w, h, size, crop_pct, interp, aa)
            tensors.append((name, preprocess(pixels, size, crop_pct, interp, aa)))
    write_safetensors(os.path.join(OUT, "preprocess.safetensors"), tensors, {"torch": torch.__version__})


def stats(arch, seed=1, size=64):
    """Debugging aid: print the scale of activations stage by stage."""
    model = build(arch, 1000, seed)
    x = torch.randn(1, 3, size, size, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        x = model.maxpool(model.act1(model.bn1(model.conv1(x))))
        print("stem   rms %.3f" % x.pow(2).mean().sqrt().item())
        for i in range(1, 5):
            x = getattr(model, "layer%d" % i)(x)
            print("layer%d rms %.3f  min nonzero %.3g" % (i, x.pow(2).mean().sqrt().item(), x[x > 0].min().item()))
        logits = model.fc(x.mean((2, 3)))
        print("logits max %.3f std %.3f" % (logits.abs().max().item(), logits.std().item()))


def main():
    torch.set_num_threads(1)
    if len(sys.argv) > 1 and sys.argv[1] == "stats":
        for arch in sys.argv[2:]:
            print(arch)
            stats(arch)
        return
    os.makedirs(OUT, exist_ok=True)
    for f in FIXTURES:
        fixture(*f)
    keys()
    preprocess_fixture()


if __name__ == "__main__":
    main()
