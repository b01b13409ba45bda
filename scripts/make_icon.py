#!/usr/bin/env python3
"""Draws assets/icon.png (256x256): a photo frame with hills and a sun, in Magpie's colours.
Standard library only, so it runs on a bare machine."""
import math, struct, zlib, sys

S = 256
def px(x, y):
    # rounded square background with a vertical gradient
    r = 44
    cx = min(max(x, r), S - 1 - r); cy = min(max(y, r), S - 1 - r)
    d = math.hypot(x - cx, y - cy)
    if d > r:
        return (0, 0, 0, 0)
    a = 255 if d < r - 1 else int(255 * (r - d))
    t = y / S
    bg = (int(24 + 20 * t), int(32 + 30 * t), int(64 + 60 * t))
    # photo card
    if 40 <= x <= 216 and 56 <= y <= 200:
        if x < 48 or x > 208 or y < 64 or y > 192:
            return (240, 240, 245, a)
        # sky
        col = (120, 170, 255)
        # sun
        if math.hypot(x - 170, y - 96) < 16:
            col = (255, 210, 90)
        # hills
        h1 = 160 - 40 * math.exp(-((x - 95) / 34) ** 2)
        h2 = 172 - 28 * math.exp(-((x - 165) / 30) ** 2)
        if y > h2:
            col = (40, 120, 80)
        elif y > h1:
            col = (60, 150, 95)
        return (*col, a)
    # download arrow badge bottom-right
    if math.hypot(x - 196, y - 204) < 30:
        col = (255, 255, 255)
        if (abs(x - 196) < 5 and 186 <= y <= 210) or (y >= 204 and abs(x - 196) < (218 - y) and y <= 218):
            col = (30, 40, 90)
        return (*col, a)
    return (*bg, a)

rows = b"".join(b"\x00" + bytes(c for x in range(S) for c in px(x, y)) for y in range(S))
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", S, S, 8, 6, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")
open(sys.argv[1] if len(sys.argv) > 1 else "assets/icon.png", "wb").write(png)
