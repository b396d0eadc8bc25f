#!/usr/bin/env python3
"""Writes the web wallet's app icons (web/pwa/icon-192.png, icon-512.png):
two interlocking rounded squares (two coins swapping in lockstep) in the
page's accent blue on white. Pure Python (zlib), no image library: run it
again only to change the design; the PNGs are committed.
Usage: python3 scripts/make-icons.py"""
import os
import struct
import zlib

ACCENT = (0x24, 0x54, 0xD6)
WHITE = (0xFF, 0xFF, 0xFF)


def pixel(x, y):
    """The colour at (x, y) in a 1.0 x 1.0 icon: a full-bleed accent
    square (maskable: the safe zone is the middle 80%), two white ring
    squares inside it, overlapping."""
    def ring(cx, cy, half, width):
        dx, dy = abs(x - cx), abs(y - cy)
        outer = max(dx, dy) <= half
        inner = max(dx, dy) <= half - width
        return outer and not inner

    if ring(0.42, 0.42, 0.16, 0.06) or ring(0.58, 0.58, 0.16, 0.06):
        return WHITE
    return ACCENT


def png(size):
    rows = b""
    for j in range(size):
        row = bytearray([0])  # filter: none
        for i in range(size):
            row += bytes(pixel((i + 0.5) / size, (j + 0.5) / size))
        rows += bytes(row)

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "web", "pwa")
for size in (192, 512):
    with open(os.path.join(root, f"icon-{size}.png"), "wb") as f:
        f.write(png(size))
