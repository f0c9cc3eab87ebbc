#!/usr/bin/python3
"""Write PyTorch reference fixtures for the SE block into testdata/se/.

Run from the repository root with Debian's PyTorch:

    /usr/bin/python3 tools/se_fixtures.py

Each case builds timm's SEModule in plain PyTorch (timm is not packaged in
Debian): fc1 = Conv2d(C, hidden, 1), ReLU, fc2 = Conv2d(hidden, C, 1),
sigmoid gate, x * gate. It gives it seeded random weights and writes one
safetensors file (plain struct + json, no safetensors package) holding

    x, res                 input and residual, [N,C,H,W] or for nhwc [N,H,W,C]
    fc1.weight, fc2.weight [hidden,C,1,1], [C,hidden,1,1]
    fc1.bias, fc2.bias     [hidden], [C] (bias cases only)
    z                      squeeze, [N,C]
    s                      gate, [N,C]
    y                      x * s, same layout as x
    y_add_relu             relu(x * s + res), same layout as x

and the metadata layout, squeeze, bias, channels, height, width, hidden,
batch. Go's se tests compare every kernel stage against these tensors.

Size: the inputs (x, res, weights, biases) are rounded to float16 before
PyTorch computes anything in float32, and stored as F16. No information is
lost (every F16 value is a float32 value, and readers widen them exactly),
and it keeps the 2048-channel case's 2×262144 weights from dominating the
repository. The outputs are float32 results and are stored as F32.

The output is deterministic for a given PyTorch build: the seeds are fixed
and PyTorch runs on one thread, so reductions always sum in the same order.
"""

import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testdata", "se")

# (layout, channels, height, width, hidden, batch, squeeze, bias)
CASES = [
    ("nchw", 64, 8, 8, 8, 2, "avg", True),
    ("nchw", 96, 13, 11, 8, 3, "avg", False),
    ("nhwc", 100, 7, 7, 16, 2, "avg", True),
    ("nchw", 17, 5, 3, 4, 1, "max", True),
    ("nhwc", 24, 9, 9, 8, 2, "max", False),
    ("nchw", 2048, 7, 7, 128, 1, "avg", True),  # ResNet-50's last stage
    ("nchw", 256, 14, 14, 16, 1, "avg", True),
]


class SEModule(nn.Module):
    """timm's SEModule (timm/layers/squeeze_excite.py) with its defaults:
    ReLU, no norm between the convs, sigmoid gate. squeeze="max" is the SE
    paper's ablation, done with adaptive_max_pool2d."""

    def __init__(self, channels, hidden, bias=True, squeeze="avg"):
        super().__init__()
        self.squeeze = squeeze
        self.fc1 = nn.Conv2d(channels, hidden, kernel_size=1, bias=bias)
        self.act = nn.ReLU(inplace=True)
        self.fc2 = nn.Conv2d(hidden, channels, kernel_size=1, bias=bias)
        self.gate = nn.Sigmoid()

    def pool(self, x):
        if self.squeeze == "max":
            return F.adaptive_max_pool2d(x, 1)
        return x.mean((2, 3), keepdim=True)

    def excite(self, x_se):
        return self.gate(self.fc2(self.act(self.fc1(x_se))))

    def forward(self, x):
        return x * self.excite(self.pool(x))


def half_exact(t):
    """Round t to the nearest float16 value, kept as float32."""
    return t.half().float()


def make_case(index, layout, c, h, w, hidden, n, squeeze, bias):
    g = torch.Generator().manual_seed(1000 + index)
    # Activations of order 1 with a per-sample, per-channel offset (as BN's
    # learnt shift gives), so the squeezed values spread like real ones
    # instead of all averaging to about 0.
    x = torch.randn(n, c, h, w, generator=g) + torch.randn(n, c, 1, 1, generator=g)
    res = torch.randn(n, c, h, w, generator=g)
    m = SEModule(c, hidden, bias, squeeze).eval()
    with torch.no_grad():
        # He scaling for fc1 (a ReLU follows), divided by the RMS of the
        # squeezed input (max pooling gives values around +2, not 0), and
        # fc2 scaled by 1/sqrt(fan-in): the gate's input then has a spread
        # of about 1 and the gates cover (0, 1) without saturating.
        rms = m.pool(half_exact(x)).square().mean().sqrt().item()
        m.fc1.weight.copy_(torch.randn(hidden, c, 1, 1, generator=g) * (2 / c) ** 0.5 / rms)
        m.fc2.weight.copy_(torch.randn(c, hidden, 1, 1, generator=g) * (1 / hidden) ** 0.5)
        if bias:
            m.fc1.bias.copy_(torch.randn(hidden, generator=g) * 0.1)
            m.fc2.bias.copy_(torch.randn(c, generator=g) * 0.1)
        x, res = half_exact(x), half_exact(res)
        for p in m.parameters():
            p.copy_(half_exact(p))

        z4 = m.pool(x)
        s4 = m.excite(z4)
        y = x * s4
        y_add_relu = torch.relu(y + res)
        assert torch.equal(y, m(x)), "stage-by-stage result differs from the module's forward"

    def act(t):  # activation tensors in the case's layout
        if layout == "nhwc":
            t = t.permute(0, 2, 3, 1)
        return t.contiguous().numpy()

    tensors = {
        "x": act(x).astype(np.float16),
        "res": act(res).astype(np.float16),
        "fc1.weight": m.fc1.weight.detach().numpy().astype(np.float16),
        "fc2.weight": m.fc2.weight.detach().numpy().astype(np.float16),
        "z": z4.reshape(n, c).numpy(),
        "s": s4.reshape(n, c).numpy(),
        "y": act(y),
        "y_add_relu": act(y_add_relu),
    }
    if bias:
        tensors["fc1.bias"] = m.fc1.bias.detach().numpy().astype(np.float16)
        tensors["fc2.bias"] = m.fc2.bias.detach().numpy().astype(np.float16)
    # The F16 copies must hold exactly the values PyTorch computed with.
    assert np.array_equal(tensors["x"].astype(np.float32), act(x))
    metadata = {
        "layout": layout,
        "squeeze": squeeze,
        "bias": "true" if bias else "false",
        "channels": str(c),
        "height": str(h),
        "width": str(w),
        "hidden": str(hidden),
        "batch": str(n),
        "generator": "tools/se_fixtures.py, torch " + torch.__version__,
    }
    name = f"{layout}_{c}x{h}x{w}_h{hidden}_n{n}_{squeeze}_{'bias' if bias else 'nobias'}.safetensors"
    return name, tensors, metadata


DTYPES = {np.dtype(np.float32): "F32", np.dtype(np.float16): "F16"}


def write_safetensors(path, tensors, metadata):
    """Write the safetensors format: 8-byte little-endian header length, a
    JSON header (metadata first, then tensors sorted by name, each entry
    dtype, shape, data_offsets, compact separators) padded with spaces to a
    multiple of 8, then the data in the same order. This is byte for byte
    what the Go writer (runtime/safetensors) produces. The file appears
    atomically, through a temporary file and a rename."""
    header = {"__metadata__": dict(sorted(metadata.items()))}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name])
        blob = a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {
            "dtype": DTYPES[a.dtype],
            "shape": list(a.shape),
            "data_offsets": [offset, offset + len(blob)],
        }
        blobs.append(blob)
        offset += len(blob)
    h = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    h += b" " * (-len(h) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for blob in blobs:
            f.write(blob)
    os.replace(tmp, path)


def main():
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    total = 0
    for i, case in enumerate(CASES):
        name, tensors, metadata = make_case(i, *case)
        path = os.path.join(OUT, name)
        write_safetensors(path, tensors, metadata)
        size = os.path.getsize(path)
        total += size
        s = tensors["s"]
        saturated = np.mean((s < 0.01) | (s > 0.99))
        print(
            f"{name:48s} {size / 1024:8.1f} KiB  gates min {s.min():.3f} median {np.median(s):.3f} "
            f"max {s.max():.3f}, {100 * saturated:.1f}% saturated"
        )
    print(f"{'total':48s} {total / 1024:8.1f} KiB")


if __name__ == "__main__":
    sys.exit(main())
