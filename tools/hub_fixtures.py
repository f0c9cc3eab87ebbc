#!/usr/bin/python3
"""Write config.json files as timm writes them for the Hugging Face Hub into
testdata/hub/<model>/config.json.

Run with Debian's PyTorch and the timm source tree on the path:

    PYTHONPATH=path/to/timm /usr/bin/python3 tools/hub_fixtures.py

Each model is created with pretrained=False (random weights, never
downloaded), which still attaches the pretrained_cfg of the named tag,
and its config is written by timm's own save_config_for_hf - the function
save_for_hf and push_to_hf_hub call - so the files are byte for byte what
`huggingface-cli download timm/<model>` fetches for a model timm pushed.
Only config.json is written: the Go tests generate the weights.

crop_modes.safetensors holds timm's eval crop modes 'squash' and 'border'
applied to tools/resnet_fixtures.py's synthetic images, named
<width>x<height>_s<size>_c<crop_pct>_<interp>_<mode>: the sizes come from
timm's own code (floor(size / crop_pct); ResizeKeepRatio.get_params with
longest=1 for 'border'), the padding and crop from timm's
center_crop_or_pad with its fill round(255 * mean), the resize from
F.interpolate(antialias=True) as in resnet_fixtures.py's preprocess
fixture (timm pads PIL images, whose 8-bit rounding would blur the
comparison; the fill is applied per channel because torchvision pads a
tensor with one value only).
"""
import math
import pathlib

import timm
import torch
from timm.data.transforms import ResizeKeepRatio, center_crop_or_pad
from torchvision.transforms import functional as TF

from resnet_fixtures import MEAN, STD, IMAGES, image_pixels, write_safetensors
from timm.models._hub import save_config_for_hf

OUT = pathlib.Path(__file__).resolve().parent.parent / 'testdata' / 'hub'

# Label names and descriptions as timm's ImageNet info gives them, for a
# three-class head (the first three ImageNet classes).
LABELS = ['n01440764', 'n01443537', 'n01484850']
DESCRIPTIONS = {
    'n01440764': 'tench, Tinca tinca',
    'n01443537': 'goldfish, Carassius auratus',
    'n01484850': 'great white shark, white shark, man-eater, man-eating shark, Carcharodon carcharias',
}

MODELS = [
    # (directory, model name, create_model kwargs, model_config)
    ('seresnet50.a1_in1k', 'seresnet50.a1_in1k', {}, None),
    ('seresnet50.a3_in1k', 'seresnet50.a3_in1k', {}, None),
    ('seresnet50.ra2_in1k', 'seresnet50.ra2_in1k', {}, None),
    ('seresnet152d.ra2_in1k', 'seresnet152d.ra2_in1k', {}, None),
    ('seresnext50_32x4d.racm_in1k', 'seresnext50_32x4d.racm_in1k', {}, None),
    ('seresnextaa201d_32x8d.sw_in12k', 'seresnextaa201d_32x8d.sw_in12k', {}, None),
    ('legacy_seresnet18.in1k', 'legacy_seresnet18.in1k', {}, None),
    ('legacy_senet154.in1k', 'legacy_senet154.in1k', {}, None),
    # Small heads the Go tests run with generated weights.
    ('resnet18.labels', 'resnet18.a1_in1k', {'num_classes': 3, 'pretrained_cfg_overlay': {'input_size': (3, 64, 64)}},
     {'label_names': LABELS, 'label_descriptions': DESCRIPTIONS}),
    ('seresnet18.squash', 'seresnet18', {'num_classes': 3,
     'pretrained_cfg_overlay': {'crop_mode': 'squash', 'crop_pct': 1.0, 'input_size': (3, 64, 64),
                                'mean': (0.5, 0.5, 0.5), 'std': (0.5, 0.5, 0.5), 'interpolation': 'bilinear'}}, None),
    ('resnet18.border', 'resnet18', {'num_classes': 3,
     'pretrained_cfg_overlay': {'crop_mode': 'border', 'crop_pct': 0.9, 'input_size': (3, 32, 32)}}, None),
]


# (size, crop_pct, interpolation, crop_mode)
CROPS = [
    (24, 0.875, 'bilinear', 'squash'),
    (24, 1.0, 'bicubic', 'squash'),
    (24, 0.875, 'bilinear', 'border'),
    (24, 1.0, 'bicubic', 'border'),
]


def crop(pixels, size, crop_pct, interp, mode):
    x = torch.from_numpy(pixels).float()  # [3, h, w], 0..255 as timm's fill is
    side = math.floor(size / crop_pct)
    if mode == 'squash':
        shape = [side, side]
    else:
        shape = ResizeKeepRatio.get_params(x, (side, side), longest=1.0)
    x = torch.nn.functional.interpolate(x[None], size=shape, mode=interp, align_corners=False, antialias=True)[0]
    if mode == 'squash':
        x = TF.center_crop(x, [size, size])
    else:
        fill = [round(255 * v) for v in MEAN]
        x = torch.stack([center_crop_or_pad(x[c:c + 1], [size, size], fill=fill[c])[0] for c in range(3)])
    mean = torch.tensor(MEAN).view(3, 1, 1)
    std = torch.tensor(STD).view(3, 1, 1)
    return (x / 255 - mean) / std


def main():
    tensors = []
    for w, h in IMAGES:
        pixels = image_pixels(w, h)
        for size, crop_pct, interp, mode in CROPS:
            name = '%dx%d_s%d_c%g_%s_%s' % (w, h, size, crop_pct, interp, mode)
            tensors.append((name, crop(pixels, size, crop_pct, interp, mode)))
    write_safetensors(str(OUT / 'crop_modes.safetensors'), tensors, {'torch': torch.__version__, 'timm': timm.__version__})
    for directory, name, kwargs, model_config in MODELS:
        model = timm.create_model(name, pretrained=False, **kwargs)
        path = OUT / directory
        path.mkdir(parents=True, exist_ok=True)
        save_config_for_hf(model, path / 'config.json', model_config=dict(model_config or {}))
        print(path / 'config.json')


if __name__ == '__main__':
    main()
