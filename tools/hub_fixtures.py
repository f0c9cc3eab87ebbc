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
"""
import pathlib

import timm
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
    ('resnet18.labels', 'resnet18.a1_in1k', {'num_classes': 3},
     {'label_names': LABELS, 'label_descriptions': DESCRIPTIONS}),
    ('seresnet18.squash', 'seresnet18', {'num_classes': 3,
     'pretrained_cfg_overlay': {'crop_mode': 'squash', 'crop_pct': 1.0, 'input_size': (3, 64, 64),
                                'mean': (0.5, 0.5, 0.5), 'std': (0.5, 0.5, 0.5), 'interpolation': 'bilinear'}}, None),
    ('resnet18.border', 'resnet18', {'num_classes': 3,
     'pretrained_cfg_overlay': {'crop_mode': 'border', 'crop_pct': 0.9, 'input_size': (3, 32, 32)}}, None),
]


def main():
    for directory, name, kwargs, model_config in MODELS:
        model = timm.create_model(name, pretrained=False, **kwargs)
        path = OUT / directory
        path.mkdir(parents=True, exist_ok=True)
        save_config_for_hf(model, path / 'config.json', model_config=dict(model_config or {}))
        print(path / 'config.json')


if __name__ == '__main__':
    main()
