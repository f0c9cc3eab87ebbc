#!/usr/bin/python3
"""Write testdata/labels/timm_names.json: what the real timm calls the
classes of a spread of indices of each ImageNet subset, and which subset
it infers from a class count, for runtime/labels' tests.

Run with the timm source tree on the path:

    PYTHONPATH=path/to/timm /usr/bin/python3 tools/label_fixtures.py

The names are timm's inference's for a top class:
infer_imagenet_subset({'num_classes': n}) for the subset, then
ImageNetInfo(subset).index_to_description(i) (the lemmas; detailed=False
is timm's default). The indices are the first and the last,
ten spread evenly, and those whose names are special: with an apostrophe, a
comma, a name two classes share (ImageNet-1k's two "crane" classes), the
longest name, and any non-ASCII (none in timm's lemma file today). Counts
next to the subsets' show the ones timm infers nothing from.
"""
import json
import pathlib

import timm
from timm.data import ImageNetInfo, infer_imagenet_subset
from timm.data.imagenet_info import _NUM_CLASSES_TO_SUBSET

OUT = pathlib.Path(__file__).resolve().parent.parent / 'testdata' / 'labels' / 'timm_names.json'


def spread(info):
    n = info.num_classes()
    names = [info.index_to_description(i) for i in range(n)]
    picks = {0, n - 1} | {round(k * (n - 1) / 11) for k in range(1, 11)}
    for special in (lambda s: "'" in s, lambda s: ',' in s, lambda s: '"' in s, lambda s: not s.isascii()):
        picks |= set([i for i, s in enumerate(names) if special(s)][:2])
    first = {}
    for i, s in enumerate(names):
        if s in first:
            picks |= {first[s], i}
            break
        first[s] = i
    picks.add(max(range(n), key=lambda i: len(names[i])))
    return {str(i): names[i] for i in sorted(picks)}


def main():
    counts = sorted(_NUM_CLASSES_TO_SUBSET)
    probes = sorted(set(counts) | {1, 10, 999, 1001, 11820, 21844} | {c + 1 for c in counts})
    out = {
        'timm': timm.__version__,
        'subsets': {str(n): infer_imagenet_subset({'num_classes': n}) for n in probes},
        'names': {},
    }
    for n in counts:
        subset = infer_imagenet_subset({'num_classes': n})
        info = ImageNetInfo(subset)
        assert info.num_classes() == n, subset
        out['names'][subset] = {'classes': info.num_classes(), 'names': spread(info)}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, indent=1, ensure_ascii=False) + '\n')
    print(f'{OUT}: {OUT.stat().st_size} bytes')


if __name__ == '__main__':
    main()
