"""fastiou's own PNG codec for single-channel label maps.

:func:`read_png` decodes 8/16-bit grayscale and 8-bit palette PNGs (non-interlaced, any
row filter) several times faster than Pillow: the image data is inflated by libdeflate
when the optional ``deflate`` package is installed (``pip install 'fastiou[cli]'``), else
by the standard library's zlib, and the row filters are reversed by the compiled kernel
:mod:`fastiou._unfilter`, which releases the GIL. Other PNGs raise :class:`PngError` with
``needs_pillow=True``. :func:`write_png` writes the demo's label maps with NumPy alone.
"""

import functools
import struct
import zlib
from typing import NamedTuple

import numpy as np

from fastiou._unfilter import unfilter

SIGNATURE = b"\x89PNG\r\n\x1a\n"
GRAYSCALE, PALETTE = 0, 3
# Chunks whose CRC is checked: the ones the decoder reads.
CHECKED_CHUNKS = (b"IHDR", b"PLTE", b"IDAT")
# Deflate expands its input at most 1032 times (258-byte matches coded in 2 bits): data
# that would have to expand more is missing, whatever the header claims.
MAX_INFLATE_RATIO = 1032


class PngError(ValueError):
    """A PNG this codec cannot read; ``needs_pillow`` when Pillow could read it."""

    def __init__(self, message, needs_pillow=False):
        super().__init__(message)
        self.needs_pillow = needs_pillow


class Inflater(NamedTuple):
    """The zlib decompressor :func:`read_png` tries first.

    ``decompress(data, size)`` returns a bytearray of at most `size` bytes or raises
    ``error``; both are None when only the standard library's zlib is installed.
    ``decompress_into(data, out)`` inflates into the uint8 array `out` and says whether the
    data filled it exactly (no allocation: reused buffers cost no page faults); None when
    libdeflate's C interface is not reachable.
    """

    name: str
    decompress: object
    error: object
    decompress_into: object = None


def _libdeflate_into(extension_path):
    """``decompress_into`` through the C interface of libdeflate, which the ``deflate``
    wheel's extension module exports; None when it does not (another build of it)."""
    import ctypes

    try:
        library = ctypes.CDLL(extension_path)
        allocate, free, decompress = (library.libdeflate_alloc_decompressor,
                                      library.libdeflate_free_decompressor,
                                      library.libdeflate_zlib_decompress)
    except (OSError, AttributeError):
        return None
    allocate.argtypes, allocate.restype = [], ctypes.c_void_p
    free.argtypes, free.restype = [ctypes.c_void_p], None
    decompress.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_void_p,
                           ctypes.c_size_t, ctypes.POINTER(ctypes.c_size_t)]
    decompress.restype = ctypes.c_int  # 0 = LIBDEFLATE_SUCCESS

    def decompress_into(data, out):
        written = ctypes.c_size_t(0)
        decompressor = allocate()  # ~11 KiB, not thread-safe: one per call (ctypes drops the GIL)
        if not decompressor:
            return False
        try:
            result = decompress(decompressor, data, len(data), out.ctypes.data, out.nbytes,
                                ctypes.byref(written))
        finally:
            free(decompressor)
        return result == 0 and written.value == out.nbytes

    return decompress_into


@functools.cache
def inflater():
    """libdeflate (the ``deflate`` package) when installed, else the standard library's zlib.

    Returns
    -------
    Inflater
        Its ``name`` says which one (with its version) for benchmarks and bug reports.

    Examples
    --------
    >>> from fastiou._png import inflater
    >>> inflater().name.split()[0] in ("libdeflate", "zlib")
    True
    """
    try:
        import deflate
        import deflate._deflate
    except ImportError:
        return Inflater(f"zlib {zlib.ZLIB_RUNTIME_VERSION} (standard library)", None, None)
    into = _libdeflate_into(deflate._deflate.__file__)
    return Inflater(f"libdeflate (deflate {deflate.__version__}"
                    + (", into reused buffers)" if into else ")"),
                    deflate.zlib_decompress, deflate.DeflateError, into)


class StreamingInflater(NamedTuple):
    """zlib-ng's streaming inflate, as C function addresses for the counting kernel
    (:func:`fastiou._confusion.count_png_pairs` inflates two PNGs a few rows at a time with
    them, so that neither is ever held whole). ``name`` says which zlib-ng."""

    name: str
    init: int  # zng_inflateInit2(zng_stream*, int window_bits)
    inflate: int  # zng_inflate(zng_stream*, int flush)
    end: int  # zng_inflateEnd(zng_stream*)


@functools.cache
def streaming_inflater():
    """zlib-ng's streaming inflate from the optional ``zlib-ng`` package (its extension module
    exports zlib-ng's C interface), or None when it is not installed, exports no such
    functions, or is not zlib-ng 2 (whose ``zng_stream`` layout the kernel declares).

    Examples
    --------
    >>> from fastiou._png import streaming_inflater
    >>> inflater = streaming_inflater()
    >>> inflater is None or inflater.name.startswith("zlib-ng 2.")
    True
    """
    import ctypes

    try:
        from zlib_ng import zlib_ng

        library = ctypes.CDLL(zlib_ng.__file__)
        functions = [library.zng_inflateInit2, library.zng_inflate, library.zng_inflateEnd]
    except (ImportError, OSError, AttributeError):
        return None
    version = getattr(zlib_ng, "ZLIBNG_VERSION", "")
    if not version.startswith("2."):
        return None
    return StreamingInflater(f"zlib-ng {version}",
                             *(ctypes.cast(f, ctypes.c_void_p).value for f in functions))


class Scratch:
    """A reusable output buffer for :func:`read_png`, grown to the largest image it held.

    Decoding into the same memory image after image spares the allocator a fresh
    multi-megabyte block, and the kernel its page faults, for every file.

    Examples
    --------
    >>> from fastiou._png import Scratch
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


def _chunks(data, path):
    """Yield ``(kind, body)`` of each chunk before IEND (or the end of the file)."""
    view = memoryview(data)
    position = len(SIGNATURE)
    while position + 8 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, position)
        end = position + 8 + length
        if kind == b"IEND":
            return
        if end + 4 > len(data):
            raise PngError(f"{path} is truncated: its {kind.decode('latin-1')} chunk ends past "
                           f"the end of the file")
        if kind in CHECKED_CHUNKS and \
                zlib.crc32(view[position + 4:end]) != struct.unpack_from(">I", data, end)[0]:
            raise PngError(f"{path}: the CRC of its {kind.decode('latin-1')} chunk does not "
                           f"match (corrupt file)")
        yield kind, view[position + 8:end]
        position = end + 4


def _inflate(compressed, size, path, scratch=None):
    """The `size` bytes `compressed` inflates to (in `scratch` when libdeflate's C interface
    is reachable, else a bytearray from libdeflate or bytes from zlib), or
    :class:`PngError` saying why not."""
    fast = inflater()
    if scratch is not None and fast.decompress_into is not None:
        raw = scratch.take(size)
        if fast.decompress_into(compressed, raw):
            return raw
    if fast.decompress is not None:
        try:
            raw = fast.decompress(compressed, size)
        except fast.error:
            raw = None  # zlib below names what is wrong
        if raw is not None and len(raw) == size:
            return raw
    try:
        raw = zlib.decompress(compressed, bufsize=size)
    except zlib.error as exc:
        raise PngError(f"{path}: corrupt PNG data ({exc})") from None
    if len(raw) != size:
        raise PngError(f"{path}: the PNG data inflates to {len(raw)} bytes, its size needs {size}")
    return raw


class PngImage(NamedTuple):
    """A PNG's size and image data: zlib-compressed as read (:func:`parse_png`), or inflated
    but not unfiltered (:func:`inflate_png`: each row's filter byte, then its
    ``width * bytes_per_pixel`` bytes)."""

    data: object  # bytes; inflated: a uint8 array (a view of the scratch buffer), bytearray or bytes
    height: int
    width: int
    bytes_per_pixel: int


def parse_png(path):
    """Read `path` and check it as :func:`read_png` does, up to its compressed image data;
    raises what :func:`read_png` raises for a file that is not a PNG, corrupt chunks or a
    header this codec does not cover."""
    with open(path, "rb") as fh:
        data = fh.read()
    if not data.startswith(SIGNATURE):
        raise PngError(f"{path} is not a PNG file")
    header, compressed = None, []
    for kind, body in _chunks(data, path):
        if kind == b"IHDR":
            if len(body) != 13:
                raise PngError(f"{path}: its IHDR chunk holds {len(body)} bytes instead of 13")
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            compressed.append(body)
    if header is None or not compressed:
        raise PngError(f"{path} is a truncated PNG (no IHDR or IDAT chunk)")
    width, height, depth, colour_type, compression, filter_method, interlace = header
    if width == 0 or height == 0 or compression != 0 or filter_method != 0 or interlace > 1:
        raise PngError(f"{path}: invalid PNG header ({width}x{height} pixels, compression "
                       f"{compression}, filter method {filter_method}, interlace {interlace})")
    supported = (colour_type == GRAYSCALE and depth in (8, 16)) or (colour_type == PALETTE and depth == 8)
    if not supported or interlace:
        raise PngError(f"{path}: PNG colour type {colour_type}, {depth}-bit"
                       + (", interlaced" if interlace else ""), needs_pillow=True)
    step = depth // 8
    compressed = b"".join(compressed)
    if height * (1 + width * step) > MAX_INFLATE_RATIO * len(compressed) + 64:
        raise PngError(f"{path} is truncated: {len(compressed)} bytes of PNG data cannot hold "
                       f"{width}x{height} pixels")
    return PngImage(compressed, height, width, step)


def inflate_png(image, path, scratch=None):
    """The :class:`PngImage` `image` (from :func:`parse_png` of `path`) with its data
    inflated (into `scratch` when given and libdeflate's C interface is reachable), still
    filtered; :class:`PngError` when the data is corrupt or does not fill the image."""
    size = image.height * (1 + image.width * image.bytes_per_pixel)
    return image._replace(data=_inflate(image.data, size, path, scratch))


def read_png(path, scratch=None):
    """Decode a grayscale (8/16-bit) or 8-bit palette PNG into its pixel values.

    The CRCs of the IHDR, PLTE and IDAT chunks are checked and the zlib stream must be
    complete and inflate to exactly the image's size; whatever follows the image data is
    ignored, as Pillow does.

    Parameters
    ----------
    path : str
        The file.
    scratch : Scratch, optional
        Decode into this reusable buffer: the result is then a view of it, overwritten by
        the next decode into it. Without it, the pixels are decoded in place, in the
        buffer libdeflate inflated the image data into (or into a new array after zlib).

    Returns
    -------
    numpy.ndarray
        ``(height, width)`` uint8, or native-endian uint16 for a 16-bit PNG.

    Raises
    ------
    PngError
        For a file that is not a PNG, is corrupt or truncated (the message names `path`),
        or is a PNG this codec does not cover (``needs_pillow=True``: colour, fewer than 8
        bits per pixel, interlaced).
    OSError
        When the file cannot be read.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from fastiou._png import read_png, write_png
    >>> path = os.path.join(tempfile.mkdtemp(), "labels.png")
    >>> write_png(path, np.array([[0, 1, 1], [2, 2, 255]], dtype=np.uint8))
    >>> read_png(path)
    array([[  0,   1,   1],
           [  2,   2, 255]], dtype=uint8)
    """
    image = inflate_png(parse_png(path), path, scratch)
    raw, height, step = image.data, image.height, image.bytes_per_pixel
    row_bytes = image.width * step
    if isinstance(raw, np.ndarray):  # inflated into the scratch buffer: decode in place
        pixels = raw[:height * row_bytes]
    elif scratch is not None:
        pixels = scratch.take(height * row_bytes)
    elif isinstance(raw, bytearray):  # writable: decode in place
        pixels = np.frombuffer(raw, dtype=np.uint8, count=height * row_bytes)
    else:
        pixels = np.empty(height * row_bytes, dtype=np.uint8)
    pixels = pixels.reshape(height, row_bytes)
    bad_row = unfilter(raw, pixels, step)
    if bad_row >= 0:
        raise PngError(f"{path}: corrupt PNG row filter {raw[bad_row * (1 + row_bytes)]} "
                       f"on row {bad_row}")
    if step == 1:
        return pixels
    labels = pixels.view(">u2")
    return labels if labels.dtype.isnative else labels.byteswap(inplace=True).view(np.uint16)
