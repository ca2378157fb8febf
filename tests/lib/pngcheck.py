#!/usr/bin/python3
"""pngcheck.py PNG GEOMETRY_JSON T W...: read the PNG cairo wrote (8-bit RGB
or RGBA, non-interlaced; PNG spec, W3C 2003, sections 11.2.2 IHDR and 9
filtering) and, for each time T (epoch s), print the watts where the
darkest (black: power.system) pixels of that column are, by the plot
area and axis range pmpower plot --json printed; "shade" after a T prints
whether the top of the plot area at T is shaded (not white).
pngcheck.py PNG --ink: the size, and the fraction of pixels that are not
white (a page that rendered has some)."""
import json
import struct
import sys
import zlib


def read_png(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = ihdr
    assert depth == 8 and ctype in (2, 6) and interlace == 0, ihdr
    bpp = 3 if ctype == 2 else 4
    raw, stride, rows, prev = zlib.decompress(idat), w * bpp, [], bytearray(w * bpp)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return w, h, bpp, rows


def main():
    w, h, bpp, rows = read_png(sys.argv[1])
    print("size %d %d" % (w, h))
    if sys.argv[2] == "--ink":
        ink = sum(1 for r in rows for x in range(w) if min(r[x * bpp:x * bpp + 3]) < 200)
        print("ink %.4f" % (ink / (w * h)))
        return
    g = json.load(open(sys.argv[2]))
    x0, y0, x1, y1 = g["area"]
    for arg in sys.argv[3:]:
        t = float(arg.split(":")[0])
        x = int(round(x0 + (x1 - x0) * (t - g["start"]) / (g["end"] - g["start"])))
        if arg.endswith(":shade"):
            px = rows[int(y0) + 40][x * bpp:x * bpp + 3]
            print("shade %s %d" % (arg.split(":")[0], 1 if min(px) < 250 else 0))
            continue
        ys = [y for y in range(int(y0) + 1, int(y1)) if max(rows[y][x * bpp:x * bpp + 3]) < 60]
        mid = sum(ys) / len(ys) if ys else float("nan")
        print("watts %s %.3f" % (arg, (y1 - mid) / (y1 - y0) * g["max_w"]))


if __name__ == "__main__":
    main()
