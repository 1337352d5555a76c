"""fastiou's own PNG codec for single-channel label maps.

:func:`read_png` decodes grayscale and palette PNGs of every bit depth (1, 2, 4, 8, 16),
interlaced or not, any row filter, to the values Pillow gives, several times faster than
Pillow: the image data is inflated by libdeflate through the optional ``imagecodecs``
package's public decoders when it is installed (``pip install 'fastiou[cli]'``), else by
the standard library's zlib, and the row filters are reversed by the compiled kernel
:mod:`fastiou.evaluate._unfilter`, which releases the GIL. 8-bit RGB(A) PNGs raise :class:`PngError` with ``needs_pillow=True`` (Pillow reads
them for a colour map), except in :func:`read_rgb_png`, which decodes the non-interlaced
ones (COCO panoptic PNGs); files that are no label map (another format, JPEG above all,
grayscale with alpha, 16-bit colour) raise it with ``refused=True``. :func:`write_png`
writes the demo's label maps with NumPy alone.
"""

import functools
import struct
import zlib
from typing import NamedTuple

import numpy as np

from fastiou.evaluate._unfilter import unfilter

SIGNATURE = b"\x89PNG\r\n\x1a\n"
GRAYSCALE, RGB, PALETTE, GRAYSCALE_ALPHA, RGBA = 0, 2, 3, 4, 6
# The bit depths the PNG specification allows for each colour type.
DEPTHS = {GRAYSCALE: (1, 2, 4, 8, 16), RGB: (8, 16), PALETTE: (1, 2, 4, 8),
          GRAYSCALE_ALPHA: (8, 16), RGBA: (8, 16)}
# Adam7 interlacing: (first column, first row, column step, row step) of its seven passes.
ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
         (0, 1, 1, 2))
# Chunks whose CRC is checked: the ones the decoder reads.
CHECKED_CHUNKS = (b"IHDR", b"PLTE", b"IDAT")
# Deflate expands its input at most 1032 times (258-byte matches coded in 2 bits): data
# that would have to expand more is missing, whatever the header claims.
MAX_INFLATE_RATIO = 1032
# The first bytes of the formats a label-map file may turn out to hold instead of the one
# its name says: (signature, its offset, format, "lossy" / "often lossy" / "").
FORMAT_SIGNATURES = (
    (SIGNATURE, 0, "PNG", ""),
    (b"\xff\xd8\xff", 0, "JPEG", "lossy"),
    (b"II*\x00", 0, "TIFF", ""), (b"MM\x00*", 0, "TIFF", ""),
    (b"II+\x00", 0, "TIFF", ""), (b"MM\x00+", 0, "TIFF", ""),  # BigTIFF
    (b"\x93NUMPY", 0, "NumPy .npy", ""),
    (b"WEBP", 8, "WebP", "often lossy"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", 0, "JPEG 2000", "often lossy"),
    (b"\xffO\xffQ", 0, "JPEG 2000", "often lossy"),
    (b"GIF87a", 0, "GIF", ""), (b"GIF89a", 0, "GIF", ""),
    (b"BM", 0, "BMP", ""),
)
FORMAT_EXTENSIONS = {"PNG": ".png", "TIFF": ".tif", "NumPy .npy": ".npy"}


class PngError(ValueError):
    """A PNG this codec does not read; the message is a sentence naming the file.

    ``needs_pillow``: an 8-bit RGB(A) PNG, which Pillow reads (for a colour map).
    ``refused``: a file no decoder should read as a label map (another format, grayscale
    with alpha, 16-bit colour). Neither: a truncated or corrupt file (Pillow tolerates a
    few kinds of damage, a wrong IDAT CRC say, and may still read it).
    """

    def __init__(self, message, needs_pillow=False, refused=False):
        super().__init__(message)
        self.needs_pillow = needs_pillow
        self.refused = refused


class Inflater(NamedTuple):
    """The zlib decompressor :func:`read_png` tries first.

    ``decompress_into(data, out)`` inflates the zlib stream `data` into the uint8 array
    `out` and says whether it filled `out` exactly (no allocation: reused buffers cost no
    page faults); None for the standard library's zlib, which :func:`read_png` always falls
    back to (it also names what is wrong with data that does not inflate).
    """

    name: str
    decompress_into: object = None


@functools.cache
def _imagecodecs_inflaters():
    """The inflaters of the optional ``imagecodecs`` package that are built into it: its
    public ``deflate_decode`` (libdeflate) and ``zlibng_decode`` (zlib-ng), which inflate
    into a given ``out=`` buffer and release the GIL."""
    try:
        import imagecodecs
    except ImportError:
        return []
    found = []
    for codec, decode, error, version in (
            ("DEFLATE", "deflate_decode", "DeflateError", "deflate_version"),
            ("ZLIBNG", "zlibng_decode", "ZlibngError", "zlibng_version")):
        if not getattr(getattr(imagecodecs, codec, None), "available", False):
            continue
        library = getattr(imagecodecs, version)().replace("_", "-")  # "zlib_ng 2.3.3"
        found.append(Inflater(f"{library} (imagecodecs {imagecodecs.__version__})",
                              _into(getattr(imagecodecs, decode), getattr(imagecodecs, error))))
    return found


def _into(decode, error):
    """``decompress_into`` from an imagecodecs decoder and its exception."""
    def decompress_into(data, out):
        try:
            return decode(data, out=out).size == out.size
        except error:
            return False

    return decompress_into


STANDARD_ZLIB = Inflater(f"zlib {zlib.ZLIB_RUNTIME_VERSION} (standard library)")


def inflaters():
    """Every inflater this installation has, the one :func:`read_png` uses first: libdeflate,
    then zlib-ng through ``imagecodecs`` (``pip install 'fastiou[cli]'``), then the standard
    library's zlib (measured in ``benchmarks/README.md``, issue 15).

    Returns
    -------
    list of Inflater
        Each one's ``name`` says which library (with its version) for benchmarks and bug
        reports; the standard library's zlib comes last.

    Examples
    --------
    >>> from fastiou.evaluate._png import inflaters
    >>> inflaters()[-1].name.startswith("zlib ")
    True
    """
    return [*_imagecodecs_inflaters(), STANDARD_ZLIB]


_chosen = None  # the hook's choice (_set_inflater); None: the first of inflaters()


def inflater() -> Inflater:
    """The inflater :func:`read_png` uses: the first of :func:`inflaters`.

    Returns
    -------
    Inflater
        Its ``name`` says which one (with its version).

    Examples
    --------
    >>> from fastiou.evaluate._png import inflater
    >>> inflater().name.split()[0] in ("libdeflate", "zlib-ng", "zlib")
    True
    """
    return inflaters()[0] if _chosen is None else _chosen


def _set_inflater(chosen):
    """Test and benchmark hook: decode with the :class:`Inflater` `chosen` (None: the first
    of :func:`inflaters` again); returns the one set before (None when none was)."""
    global _chosen
    old, _chosen = _chosen, chosen
    return old


class Scratch:
    """A reusable output buffer for :func:`read_png`, grown to the largest image it held.

    Decoding into the same memory image after image spares the allocator a fresh
    multi-megabyte block, and the kernel its page faults, for every file.

    Examples
    --------
    >>> from fastiou.evaluate._png import Scratch
    >>> scratch = Scratch()
    >>> scratch.take(6).shape
    (6,)
    """

    def __init__(self):
        self._buffer = np.empty(0, dtype=np.uint8)

    def take(self, nbytes):
        """The first `nbytes` bytes of the buffer (a new, larger one when it is too small)."""
        if self._buffer.size < nbytes:
            self._buffer = np.empty(nbytes, dtype=np.uint8)
        return self._buffer[:nbytes]


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


def file_format(head):
    """What a file holds, judged by its first bytes `head`: ``(name, lossy)`` of the image
    (or array) format whose signature it starts with, or None for one not listed here.

    Examples
    --------
    >>> from fastiou.evaluate._png import file_format
    >>> file_format(bytes([0xFF, 0xD8, 0xFF, 0xE0]) + b"JFIF")
    ('JPEG', 'lossy')
    >>> file_format(b"hello") is None
    True
    """
    for signature, offset, name, lossy in FORMAT_SIGNATURES:
        if head[offset:offset + len(signature)] == signature:
            return name, lossy
    return None


def wrong_format(path, head, expected):
    """The message refusing `path`, named as an `expected` file (``"PNG"`` or ``"TIFF"``),
    when its first bytes `head` are those of another format; None when they are not those
    of a format :func:`file_format` knows (or are `expected`'s own)."""
    found = file_format(head)
    if found is None or found[0] == expected:
        return None
    name, lossy = found
    if lossy:
        return (f"{path} is a {name} ({lossy}) file, not a {expected}: lossy compression changes "
                f"the class ids along region edges, so label maps must be saved losslessly "
                f"(PNG, TIFF or .npy)")
    extension = FORMAT_EXTENSIONS.get(name)
    hint = f"name it {extension}" if extension else "label maps are PNG, TIFF or .npy files"
    return f"{path} is a {name} file, not a {expected}: {hint}"


def _truncated(path, detail):
    return PngError(f"cannot decode {path}: it is truncated ({detail})")


def _corrupt(path, detail):
    return PngError(f"cannot decode {path}: it is corrupt ({detail})")


def _chunks(data, path):
    """Yield ``(kind, body)`` of each chunk before IEND (or the end of the file)."""
    view = memoryview(data)
    position = len(SIGNATURE)
    while position + 8 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, position)
        end = position + 8 + length
        if kind == b"IEND":
            return
        name = kind.decode("latin-1") if kind.isalpha() else repr(kind)
        if end + 4 > len(data):
            raise _truncated(path, f"its {name} chunk ends past the end of the file")
        if kind in CHECKED_CHUNKS and \
                zlib.crc32(view[position + 4:end]) != struct.unpack_from(">I", data, end)[0]:
            raise _corrupt(path, f"the CRC of its {name} chunk does not match its contents")
        yield kind, view[position + 8:end]
        position = end + 4


def _header(body, path, colour=False):
    """``(width, height, depth, colour_type, interlaced)`` from an IHDR chunk's `body`, or
    :class:`PngError`: the header is invalid, or the image is no label map this codec reads.
    With `colour`, only 8-bit RGB(A) is read (``depth`` is then 24 or 32 bits a pixel) and
    anything else raises with ``needs_pillow``."""
    if len(body) != 13:
        raise _corrupt(path, f"its IHDR chunk holds {len(body)} bytes instead of 13")
    width, height, depth, colour_type, compression, filter_method, interlace = \
        struct.unpack(">IIBBBBB", body)
    problems = []
    if width == 0 or height == 0 or max(width, height) >= 1 << 31:
        problems.append(f"a size of {width}x{height} pixels")
    if colour_type not in DEPTHS:
        problems.append(f"colour type {colour_type}, which PNG does not define")
    elif depth not in DEPTHS[colour_type]:
        problems.append(f"{depth}-bit samples for colour type {colour_type}, which PNG does "
                        f"not allow")
    if compression:
        problems.append(f"compression method {compression} (PNG defines 0)")
    if filter_method:
        problems.append(f"filter method {filter_method} (PNG defines 0)")
    if interlace > 1:
        problems.append(f"interlace method {interlace} (PNG defines 0 and 1)")
    if problems:
        raise _corrupt(path, "its header gives " + ", ".join(problems))
    if colour:
        if colour_type in (RGB, RGBA) and depth == 8:
            return width, height, 24 if colour_type == RGB else 32, colour_type, bool(interlace)
        raise PngError(f"{path} is no 8-bit RGB(A) PNG", needs_pillow=True)
    if colour_type == GRAYSCALE_ALPHA:
        raise PngError(f"{path} is a grayscale PNG with an alpha channel (Pillow mode LA), not a "
                       f"label map of class ids: save the ids without transparency, as a "
                       f"grayscale (L) or palette (P) PNG", refused=True)
    if colour_type in (RGB, RGBA):
        name = "RGB" if colour_type == RGB else "RGBA"
        if depth == 16:
            raise PngError(f"{path} is a 16-bit {name} PNG: colour label maps are read with 8 bits "
                           f"per channel (the colours of --color-map), and Pillow would drop the "
                           f"low byte of each; save it with 8 bits per channel", refused=True)
        raise PngError(f"{path} is an {name} colour PNG", needs_pillow=True)
    return width, height, depth, colour_type, bool(interlace)


class Pass(NamedTuple):
    """One pass of an image's data: the pixels at ``[row::row_step, column::column_step]``,
    ``rows`` rows of ``columns`` pixels (the whole image when it is not interlaced)."""

    number: int  # 1..7 for Adam7, 0 when not interlaced
    row: int
    column: int
    row_step: int
    column_step: int
    rows: int
    columns: int


class PngImage(NamedTuple):
    """A PNG's header and image data: zlib-compressed as read (:func:`parse_png`), or
    inflated but not unfiltered (:func:`inflate_png`: the rows of each pass, each row a
    filter byte and then its pixels, ``depth`` bits each, packed into whole bytes)."""

    data: object  # bytes; inflated: a uint8 array (in the scratch buffer, or new) or bytes
    height: int
    width: int
    depth: int  # bits per pixel: 1, 2, 4, 8 or 16 (24 or 32 for read_rgb_png's RGB(A))
    colour_type: int  # GRAYSCALE or PALETTE (RGB or RGBA for read_rgb_png)
    interlaced: bool  # Adam7

    @property
    def one_byte_rows(self):
        """Whether the data is rows of one byte per pixel, the whole image row after row
        (8 bits, not interlaced): what :func:`fastiou.evaluate._png_pairs.count_png_pairs` counts."""
        return self.depth == 8 and not self.interlaced

    def passes(self):
        """The non-empty :class:`Pass` es of the image data, in the order they are stored
        (an image narrower or shorter than 5 pixels has empty Adam7 passes: no bytes)."""
        if not self.interlaced:
            return [Pass(0, 0, 0, 1, 1, self.height, self.width)]
        passes = []
        for number, (column, row, column_step, row_step) in enumerate(ADAM7, 1):
            rows = max(0, -(-(self.height - row) // row_step))
            columns = max(0, -(-(self.width - column) // column_step))
            if rows and columns:
                passes.append(Pass(number, row, column, row_step, column_step, rows, columns))
        return passes

    def row_bytes(self, columns):
        """The bytes of a row of `columns` pixels (without its filter byte)."""
        return (columns * self.depth + 7) // 8

    @property
    def filtered_size(self):
        """The size of the inflated image data."""
        return sum(p.rows * (1 + self.row_bytes(p.columns)) for p in self.passes())

    def describe(self):
        """``"40x60 pixels of 1 bit, interlaced"``, for messages."""
        return (f"{self.width}x{self.height} pixels of {self.depth} bit"
                + ("s" if self.depth > 1 else "") + (", interlaced" if self.interlaced else ""))


def parse_png(path, colour=False):
    """Read `path` and check it as :func:`read_png` does, up to its compressed image data;
    raises what :func:`read_png` raises for a file that is not a PNG, corrupt chunks or a
    header this codec does not cover (with `colour`: what :func:`read_rgb_png` raises)."""
    with open(path, "rb") as fh:
        data = fh.read()
    if not data:
        raise PngError(f"cannot decode {path}: it is empty", refused=True)
    if not data.startswith(SIGNATURE):
        other = wrong_format(path, data[:16], "PNG")
        if other is not None:
            raise PngError(other, refused=True)
        if SIGNATURE.startswith(data):
            raise _truncated(path, f"it holds {len(data)} of the {len(SIGNATURE)} bytes of the "
                                   f"PNG signature and nothing else")
        raise PngError(f"cannot decode {path}: it is not a PNG file (it does not start with the "
                       f"PNG signature)", refused=True)
    header, compressed = None, []
    for kind, body in _chunks(data, path):
        if kind == b"IHDR" and header is None:
            header = _header(body, path, colour)
        elif kind == b"IDAT":
            compressed.append(body)
    if header is None:
        raise _truncated(path, "it ends before its IHDR chunk") if len(data) < 33 else \
            _corrupt(path, "it has no IHDR chunk")
    if not compressed:
        raise _truncated(path, "it ends before its image data (no IDAT chunk)")
    width, height, depth, colour_type, interlaced = header
    image = PngImage(b"".join(compressed), height, width, depth, colour_type, interlaced)
    if image.filtered_size > MAX_INFLATE_RATIO * len(image.data) + 64:
        raise _truncated(path, f"its {len(image.data)} bytes of image data cannot hold "
                               f"{width}x{height} pixels")
    return image


def _inflate(image, path, scratch=None):
    """The ``image.filtered_size`` bytes ``image.data`` inflates to (a uint8 array, in
    `scratch` when given, when :func:`inflater` inflates into buffers; else bytes from the
    standard library's zlib), or :class:`PngError` saying why not."""
    compressed, size = image.data, image.filtered_size
    fast = inflater()
    if fast.decompress_into is not None:
        raw = np.empty(size, dtype=np.uint8) if scratch is None else scratch.take(size)
        if fast.decompress_into(compressed, raw):
            return raw
    stream = zlib.decompressobj()
    try:
        raw = stream.decompress(compressed, size + 1)
    except zlib.error as exc:
        raise _corrupt(path, f"its image data does not inflate: {exc}") from None
    if len(raw) > size:
        raise _corrupt(path, f"its image data inflates to more than the {size} bytes of "
                             f"{image.describe()}")
    if not stream.eof:
        raise _truncated(path, f"its zlib stream of image data stops after {len(raw)} of the "
                               f"{size} bytes of {image.describe()}")
    if len(raw) < size:
        raise _corrupt(path, f"its image data inflates to {len(raw)} bytes, but "
                             f"{image.describe()} take {size}")
    return raw


def inflate_png(image, path, scratch=None):
    """The :class:`PngImage` `image` (from :func:`parse_png` of `path`) with its data
    inflated (into `scratch` when given and :func:`inflater` inflates into buffers), still
    filtered; :class:`PngError` when the data is corrupt or does not fill the image."""
    return image._replace(data=_inflate(image, path, scratch))


@functools.cache
def _sample_table(depth, scale):
    """``table[byte]``: the ``8 // depth`` pixels packed into a byte, leftmost first, times
    `scale` (uint8)."""
    shifts = np.arange(8 - depth, -1, -depth)
    values = (np.arange(256)[:, None] >> shifts) & ((1 << depth) - 1)
    table = (values * scale).astype(np.uint8)
    table.flags.writeable = False
    return table


def _samples(pixels, columns, depth, colour_type):
    """The ``(rows, columns)`` pixel values of unfiltered rows `pixels` (uint8, row bytes),
    as Pillow gives them: 8-bit values as they are, 16-bit ones as native uint16, and
    sub-byte ones unpacked: palette indices as they are, 1-bit grayscale as 0 and 1 (Pillow's
    mode "1"), 2- and 4-bit grayscale scaled to 0..255 (times 85 and 17, Pillow's mode "L")."""
    if depth == 8:
        return pixels
    if depth == 16:
        labels = pixels.view(">u2")
        return labels if labels.dtype.isnative else labels.byteswap(inplace=True).view(np.uint16)
    if depth == 1:  # 0 and 1 whether grayscale or palette
        return np.unpackbits(pixels, axis=1, count=columns)
    scale = 255 // ((1 << depth) - 1) if colour_type == GRAYSCALE else 1
    unpacked = _sample_table(depth, scale)[pixels].reshape(pixels.shape[0], -1)
    return np.ascontiguousarray(unpacked[:, :columns])


def _unfilter(filtered, pixels, step, path, number=0):
    """Unfilter `filtered` into `pixels` (:func:`fastiou.evaluate._unfilter.unfilter`), or
    :class:`PngError` naming the first row whose filter type is not 0..4."""
    bad_row = unfilter(filtered, pixels, step)
    if bad_row >= 0:
        where = f"row {bad_row}" + (f" of interlace pass {number}" if number else "")
        kind = filtered[bad_row * (1 + pixels.shape[1])]
        raise _corrupt(path, f"{where} has the filter type {kind}; PNG defines 0 to 4")


def _deinterlace(image, path):
    """The pixels of an inflated Adam7 `image`: each pass unfiltered, unpacked and put in
    place."""
    step = 2 if image.depth == 16 else 1
    labels = np.empty((image.height, image.width), np.uint16 if image.depth == 16 else np.uint8)
    data = memoryview(image.data)
    offset = 0
    for part in image.passes():
        row_bytes = image.row_bytes(part.columns)
        size = part.rows * (1 + row_bytes)
        pixels = np.empty((part.rows, row_bytes), np.uint8)
        _unfilter(data[offset:offset + size], pixels, step, path, part.number)
        labels[part.row::part.row_step, part.column::part.column_step] = \
            _samples(pixels, part.columns, image.depth, image.colour_type)
        offset += size
    return labels


def read_png(path, scratch=None):
    """Decode a grayscale or palette PNG into its pixel values, as Pillow reads them.

    Every bit depth (1, 2, 4, 8, 16) and Adam7 interlacing are decoded. The CRCs of the
    IHDR, PLTE and IDAT chunks are checked and the zlib stream must be complete and
    inflate to exactly the image's size; whatever follows the image data is ignored, as
    Pillow does. The values equal ``np.asarray(PIL.Image.open(path))`` (as integers):
    palette indices; grayscale values as stored, except that 1-bit grayscale gives 0 and 1
    (Pillow's mode "1") and 2- and 4-bit grayscale is scaled to 0..255 (x85, x17) as the
    PNG specification and Pillow scale it. Transparency (``tRNS``) does not change them.

    Parameters
    ----------
    path : str
        The file.
    scratch : Scratch, optional
        Decode into this reusable buffer: an 8/16-bit non-interlaced result is then a view
        of it, overwritten by the next decode into it. Without it, such pixels are decoded in
        place, in the array the image data was inflated into (or into a new array after the
        standard library's zlib). Other images are unpacked into a new array.

    Returns
    -------
    numpy.ndarray
        ``(height, width)`` uint8, or native-endian uint16 for a 16-bit PNG.

    Raises
    ------
    PngError
        Its message is a sentence naming `path`: for a file that is not a PNG (``refused``;
        another format is named, JPEG as lossy), is truncated or corrupt (``cannot decode
        PATH: it is truncated (...)``), is no label map (``refused``: grayscale with alpha,
        16-bit colour), or is an 8-bit RGB(A) PNG (``needs_pillow``).
    OSError
        When the file cannot be read.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from fastiou.evaluate._png import read_png, write_png
    >>> path = os.path.join(tempfile.mkdtemp(), "labels.png")
    >>> write_png(path, np.array([[0, 1, 1], [2, 2, 255]], dtype=np.uint8))
    >>> read_png(path)
    array([[  0,   1,   1],
           [  2,   2, 255]], dtype=uint8)
    """
    image = inflate_png(parse_png(path), path, scratch)
    if image.interlaced:
        return _deinterlace(image, path)
    pixels = _unfiltered(image, path, scratch, 2 if image.depth == 16 else 1)
    return _samples(pixels, image.width, image.depth, image.colour_type)


def _unfiltered(image, path, scratch, step):
    """The ``(height, row_bytes)`` unfiltered rows of an inflated, non-interlaced `image`
    (`step` bytes a pixel for the filters): in place when it was inflated into an array (the
    scratch buffer), else into `scratch` or a new array."""
    raw, height = image.data, image.height
    row_bytes = image.row_bytes(image.width)
    if isinstance(raw, np.ndarray):
        pixels = raw[:height * row_bytes]
    elif scratch is not None:
        pixels = scratch.take(height * row_bytes)
    else:
        pixels = np.empty(height * row_bytes, dtype=np.uint8)
    pixels = pixels.reshape(height, row_bytes)
    _unfilter(raw, pixels, step, path)
    return pixels


def read_rgb_png(path, scratch=None):
    """Decode an 8-bit RGB(A) PNG, not interlaced, into its ``(height, width, 3)`` uint8 RGB
    values (an alpha channel is dropped): COCO panoptic segment-id maps.

    The checks of :func:`read_png`; the values equal ``np.asarray(PIL.Image.open(path))[..., :3]``.

    Parameters
    ----------
    path : str
        The file.
    scratch : Scratch, optional
        Decode into this reusable buffer (no page faults for a new array): the result is then
        a view of it, overwritten by the next decode into it.

    Returns
    -------
    numpy.ndarray
        ``(height, width, 3)`` uint8: C-contiguous for RGB, a view dropping alpha for RGBA.

    Raises
    ------
    PngError
        As :func:`read_png`; with ``needs_pillow`` for any other PNG (grayscale, palette,
        16-bit, interlaced), which Pillow reads.
    OSError
        When the file cannot be read.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from PIL import Image
    >>> from fastiou.evaluate._png import read_rgb_png
    >>> path = os.path.join(tempfile.mkdtemp(), "panoptic.png")
    >>> Image.fromarray(np.array([[[1, 2, 3], [4, 5, 6]]], dtype=np.uint8)).save(path)
    >>> read_rgb_png(path).tolist()
    [[[1, 2, 3], [4, 5, 6]]]
    """
    image = parse_png(path, colour=True)
    if image.interlaced:
        raise PngError(f"{path} is an interlaced RGB PNG", needs_pillow=True)
    image = inflate_png(image, path, scratch)
    channels = image.depth // 8
    pixels = _unfiltered(image, path, scratch, channels).reshape(image.height, image.width,
                                                                 channels)
    return pixels if channels == 3 else pixels[..., :3]
