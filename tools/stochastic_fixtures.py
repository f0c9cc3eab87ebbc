#!/usr/bin/python3
"""Write reference fixtures for the stochastic squeeze into testdata/se/stochastic/.

Run from the repository root with Debian's PyTorch:

    /usr/bin/python3 tools/stochastic_fixtures.py

PyTorch has no stochastic pooling, so the reference is its definition,
evaluated in float64 from the float32 input: for each sample and channel,

    z = sum(x^2) / sum(x)   where not (sum(x) <= 0), else 0

the test phase of Zeiler and Fergus' stochastic pooling over the whole plane
(as Caffe computes it, except that a NaN stays NaN; the fixtures hold no
NaN or Inf). Each case writes one safetensors file (plain struct + json, as
tools/se_fixtures.py) holding

    x    the input, [N,C,H,W] or for nhwc [N,H,W,C], F32
    z    the squeeze rounded once to float32, [N,C], F32

and the metadata layout, channels, height, width, batch. Go's se tests
check the generic stochastic squeeze against these tensors.

The cases: post-ReLU activations (non-negative, some channels entirely 0),
and activations of both signs with a per-channel offset, some near 0, so
that channels with Σx > 0, Σx < 0 and ill-conditioned Σx all occur.
"""

import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from se_fixtures import write_safetensors  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testdata", "se", "stochastic")

# (layout, channels, height, width, batch, data)
CASES = [
    ("nchw", 24, 7, 7, 2, "relu"),
    ("nhwc", 24, 7, 7, 2, "relu"),
    ("nchw", 40, 9, 11, 1, "mixed"),
    ("nhwc", 33, 5, 6, 2, "mixed"),
]


def make_case(index, layout, c, h, w, n, data):
    g = torch.Generator().manual_seed(2000 + index)
    offset = torch.randn(n, c, 1, 1, generator=g)
    if data == "mixed":
        # A quarter of the channels get an offset near 0: Σx about 0.
        offset[:, ::4] *= 1e-3
    x = torch.randn(n, c, h, w, generator=g) + offset
    if data == "relu":
        x = torch.relu(x - 0.5)
        x[:, ::5] = 0  # dead channels: Σx = 0 gives 0
    x = x.float()
    xd = x.double()
    s = xd.sum((2, 3))
    sq = (xd * xd).sum((2, 3))
    z = torch.where(~(s <= 0), sq / s, torch.zeros_like(s)).float()
    if layout == "nhwc":
        x = x.permute(0, 2, 3, 1)
    tensors = {"x": x.contiguous().numpy(), "z": z.numpy()}
    metadata = {
        "layout": layout,
        "channels": str(c),
        "height": str(h),
        "width": str(w),
        "batch": str(n),
        "generator": "tools/stochastic_fixtures.py, torch " + torch.__version__,
    }
    positive = int((s > 0).sum())
    name = f"{layout}_{c}x{h}x{w}_n{n}_{data}.safetensors"
    return name, tensors, metadata, positive, s.numel()


def main():
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    for i, case in enumerate(CASES):
        name, tensors, metadata, positive, total = make_case(i, *case)
        path = os.path.join(OUT, name)
        write_safetensors(path, tensors, metadata)
        print(f"{name:40s} {os.path.getsize(path) / 1024:6.1f} KiB  {positive} of {total} channels with Σx > 0")


if __name__ == "__main__":
    sys.exit(main())
