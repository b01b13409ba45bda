#!/usr/bin/env python3
"""Pillow's side of `cargo bench --bench thumbs` (the same files, the same run).

  thumbs_pillow.py each FILE...      ms per image, one at a time: open, draft, thumbnail to 256 px
  thumbs_pillow.py save OUTDIR FILE...   the same, then save each as PNG in OUTDIR (what
                                       `magpie thumbs` does), for the two-process run
Pillow's draft mode is libjpeg's shrink-on-load, the fastest way Pillow has.
"""
import os
import sys
import time

from PIL import Image

SIZE = (256, 256)


def thumb(path):
    im = Image.open(path)
    im.draft("RGB", SIZE)
    im.thumbnail(SIZE, Image.BICUBIC)
    return im


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "each":
        times = []
        for path in args:
            t = time.perf_counter()
            thumb(path)
            times.append((time.perf_counter() - t) * 1e3)
        times.sort()
        print(f"{times[len(times) // 2]:.3f}")
    elif mode == "save":
        out, files = args[0], args[1:]
        for i, path in enumerate(files):
            thumb(path).save(os.path.join(out, f"{i}.png"), compress_level=1)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
