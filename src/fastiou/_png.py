"""A minimal PNG codec for single-channel label maps, with the standard library's zlib.

It lets ``pip install . && fastiou eval --demo`` run with NumPy alone: the demo writes its
label maps with :func:`write_png`, and :func:`read_png` reads them (and any 8/16-bit
grayscale or 8-bit palette PNG whose rows use the None, Sub or Up filters) when Pillow is not
installed. Everything else needs Pillow (``pip install 'fastiou[cli]'``), which is used
whenever it is present.
"""

import struct
import zlib

import numpy as np

SIGNATURE = b"\x89PNG\r\n\x1a\n"
GRAYSCALE, PALETTE = 0, 3
FILTER_NONE, FILTER_SUB, FILTER_UP = 0, 1, 2
FILTER_NAMES = {3: "Average", 4: "Paeth"}


class PngError(ValueError):
    """A PNG this codec cannot read; ``needs_pillow`` when Pillow could read it."""

    def __init__(self, message, needs_pillow=False):
        super().__init__(message)
        self.needs_pillow = needs_pillow


def _chunk(kind, data):
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def write_png(path, labels, palette=None):
    """Save a 2-D uint8 array as an 8-bit grayscale PNG, or a palette PNG with `palette`
    (a flat list of up to 768 RGB values); the pixel values are stored as they are."""
    labels = np.ascontiguousarray(labels, dtype=np.uint8)
    height, width = labels.shape
    rows = np.zeros((height, width + 1), dtype=np.uint8)  # filter byte 0 (None) on every row
    rows[:, 1:] = labels
    header = struct.pack(">IIBBBBB", width, height, 8, GRAYSCALE if palette is None else PALETTE,
                         0, 0, 0)
    parts = [SIGNATURE, _chunk(b"IHDR", header)]
    if palette is not None:
        parts.append(_chunk(b"PLTE", bytes(palette)))
    parts += [_chunk(b"IDAT", zlib.compress(rows.tobytes(), 6)), _chunk(b"IEND", b"")]
    with open(path, "wb") as fh:
        fh.write(b"".join(parts))


def _chunks(data):
    position = len(SIGNATURE)
    while position + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        yield kind, data[position + 8:position + 8 + length]
        position += 12 + length


def read_png(path):
    """Decode a grayscale (8/16-bit) or 8-bit palette PNG into its pixel values.

    Raises :class:`PngError` (``needs_pillow=True`` for valid PNGs this codec does not cover).
    """
    with open(path, "rb") as fh:
        data = fh.read()
    if not data.startswith(SIGNATURE):
        raise PngError(f"{path} is not a PNG file")
    header, compressed = None, []
    for kind, body in _chunks(data):
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body[:13])
        elif kind == b"IDAT":
            compressed.append(body)
    if header is None or not compressed:
        raise PngError(f"{path} is a truncated PNG (no IHDR or IDAT chunk)")
    width, height, depth, colour_type, _, _, interlace = header
    supported = (colour_type == GRAYSCALE and depth in (8, 16)) or (colour_type == PALETTE and depth == 8)
    if not supported or interlace:
        raise PngError(f"{path}: PNG colour type {colour_type}, {depth}-bit"
                       + (", interlaced" if interlace else ""), needs_pillow=True)
    step = depth // 8
    try:
        raw = zlib.decompress(b"".join(compressed))
    except zlib.error as exc:
        raise PngError(f"{path}: corrupt PNG data ({exc})") from None
    if len(raw) != height * (1 + width * step):
        raise PngError(f"{path}: PNG data of {len(raw)} bytes for {width}x{height} pixels")
    rows = np.frombuffer(raw, dtype=np.uint8).reshape(height, 1 + width * step)
    pixels = rows[:, 1:].copy()
    for index, kind in enumerate(rows[:, 0].tolist()):
        if kind == FILTER_SUB:  # add the byte `step` to the left, modulo 256
            view = pixels[index].reshape(width, step)
            np.cumsum(view, axis=0, dtype=np.uint8, out=view)
        elif kind == FILTER_UP and index:
            pixels[index] += pixels[index - 1]
        elif kind in FILTER_NAMES:
            raise PngError(f"{path}: rows use the PNG {FILTER_NAMES[kind]} filter", needs_pillow=True)
        elif kind != FILTER_NONE and kind != FILTER_UP:
            raise PngError(f"{path}: corrupt PNG row filter {kind}")
    if step == 2:
        return pixels.view(">u2").astype(np.uint16)
    return pixels
