#!/usr/bin/python3
"""Write runtime/hub/timm_tags.txt: the pretrained tags timm knows for each
architecture segen runs, which name timm's Hub repositories
(timm/NAME.TAG), so that a name given without its tag can be answered with
the repositories there are.

Run with the timm source tree on the path:

    PYTHONPATH=path/to/timm /usr/bin/python3 tools/timm_tags.py

The architectures are runtime/resnet's (the Name of each entry of archs in
arch.go); the tags are those of each one's default_cfgs (timm/models/resnet.py
and senet.py) that timm.list_pretrained() lists, in their order there:
the first is the one timm.create_model(NAME, pretrained=True) loads. One line an architecture with pretrained weights: its name, then
its tags. An architecture without any is left out.
"""
import pathlib
import re

import timm
from timm.models._registry import _model_default_cfgs

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / 'runtime' / 'hub' / 'timm_tags.txt'


def main():
    archs = re.findall(r'\{Name: "([a-z0-9_]+)"', (ROOT / 'runtime' / 'resnet' / 'arch.go').read_text())
    assert archs, 'no architectures found in runtime/resnet/arch.go'
    pretrained = set(timm.list_pretrained())
    tags = {a: [t for t in _model_default_cfgs[a].tags if f'{a}.{t}' in pretrained] for a in archs}
    lines = [' '.join([a] + t) + '\n' for a, t in tags.items() if t]
    header = f'# timm {timm.__version__}: architecture, then its pretrained tags (timm/NAME.TAG on the Hub); tools/timm_tags.py\n'
    OUT.write_text(header + ''.join(lines))
    print(f'{OUT}: {len(lines)} architectures, {sum(map(len, tags.values()))} tags, {OUT.stat().st_size} bytes')


if __name__ == '__main__':
    main()
