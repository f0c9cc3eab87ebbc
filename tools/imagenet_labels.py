#!/usr/bin/python3
"""Write the ImageNet class names runtime/labels embeds, as timm names the
classes of a model whose config gives none.

Run with the timm source tree on the path:

    PYTHONPATH=path/to/timm /usr/bin/python3 tools/imagenet_labels.py

timm's inference names a classifier's classes with ImageNetInfo(subset),
the subset inferred from the class count by infer_imagenet_subset, and a
class's name is ImageNetInfo.index_to_description(i): the WordNet lemmas of
its synset ("tench, Tinca tinca"). Every name is taken from timm's own
ImageNetInfo here, so its parsing of the _info files is the one that counts.

The subsets share most of their synsets, so the names are written once:

  lemmas.txt.gz   the name of every synset of any subset, one a line, in
                  synset order (21844 lines);
  subsets.txt.gz  one line a subset: its name, its class count, then, for
                  each class in order, the line of lemmas.txt it names as
                  the difference from the previous class's line (the
                  first from 0). The subsets are sorted runs of synsets, so
                  the differences are mostly 1 and compress to little.

Both are gzip level 9 with no name or time stamp, so a run on the same timm
writes the same bytes.
"""
import gzip
import pathlib

from timm.data import ImageNetInfo
from timm.data.imagenet_info import _NUM_CLASSES_TO_SUBSET

OUT = pathlib.Path(__file__).resolve().parent.parent / 'runtime' / 'labels'


def write_gzip(path, text):
    with open(path, 'wb') as f:
        with gzip.GzipFile(filename='', mode='wb', compresslevel=9, fileobj=f, mtime=0) as g:
            g.write(text.encode('utf-8'))


def main():
    subsets = []  # (name, classes, synsets)
    names = {}  # synset -> name
    for classes, subset in sorted(_NUM_CLASSES_TO_SUBSET.items()):
        info = ImageNetInfo(subset)
        synsets = list(info.label_names())
        assert len(synsets) == classes == info.num_classes(), subset
        for i, synset in enumerate(synsets):
            name = info.index_to_description(i)
            assert name and '\n' not in name and '\r' not in name, (subset, i, name)
            assert names.setdefault(synset, name) == name, (subset, synset)
        subsets.append((subset, classes, synsets))
    order = sorted(names)
    line = {s: i for i, s in enumerate(order)}
    write_gzip(OUT / 'lemmas.txt.gz', ''.join(names[s] + '\n' for s in order))
    rows = []
    for subset, classes, synsets in subsets:
        prev, deltas = 0, []
        for s in synsets:
            deltas.append(line[s] - prev)
            prev = line[s]
        rows.append(' '.join([subset, str(classes)] + [str(d) for d in deltas]) + '\n')
    write_gzip(OUT / 'subsets.txt.gz', ''.join(rows))
    for f in ('lemmas.txt.gz', 'subsets.txt.gz'):
        print(f'{OUT / f}: {(OUT / f).stat().st_size} bytes')


if __name__ == '__main__':
    main()
