"""fastiou.evaluate._png and the fastiou.evaluate._unfilter kernel: fastiou's own decoder of
label-map PNGs.

Two oracles: the test's own NumPy *encoder* (every PNG filter type, written from the PNG
specification: filtering is a plain per-row subtraction, unlike decoding, which chains each
byte to the one before it), and Pillow on the same files. Every decoding test runs with
each inflater this installation has (``_png.inflaters()``: libdeflate and zlib-ng through
``imagecodecs``, the test extra, and the standard library's zlib).
"""

import re
import struct
import sys
import zlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from fastiou.evaluate import _io, _png
from fastiou.evaluate._engine import EvalOptions, read_pair
from fastiou.evaluate._io import EvalError
from fastiou.evaluate._unfilter import unfilter

Image = pytest.importorskip("PIL.Image")

NONE, SUB, UP, AVERAGE, PAETH = range(5)


INFLATERS = {candidate.name.split()[0]: candidate for candidate in _png.inflaters()}


@pytest.fixture(params=["libdeflate", "zlib-ng", "zlib"])
def inflater(request):
    """Run the test with each inflater (libdeflate and zlib-ng through imagecodecs' decoders
    into reused buffers, the standard library's zlib); returns its name."""
    if request.param not in INFLATERS:
        pytest.importorskip("imagecodecs")
        pytest.skip(f"this imagecodecs is built without {request.param}")
    old = _png._set_inflater(INFLATERS[request.param])
    yield _png.inflater().name
    _png._set_inflater(old)


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = np.abs(p - a), np.abs(p - b), np.abs(p - c)
    return np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))


def pack_rows(labels, depth=8):
    """The rows of `labels` as bytes: 16-bit values big-endian, sub-byte ones packed
    leftmost pixel first, the last byte of a row padded with zero bits."""
    rows, columns = labels.shape
    if depth == 16:
        return labels.astype(">u2").view(np.uint8).reshape(rows, -1)
    if depth == 8:
        return labels.astype(np.uint8)
    per_byte = 8 // depth
    padded = np.zeros((rows, -(-columns // per_byte) * per_byte), np.int64)
    padded[:, :columns] = labels
    shifts = np.arange(8 - depth, -1, -depth)
    return (padded.reshape(rows, -1, per_byte) << shifts).sum(axis=2).astype(np.uint8)


def filter_rows(labels, filters, depth=8, step=None):
    """The filtered image data of `labels`: row ``y`` with filter type ``filters[y]`` (the
    filters compare bytes one pixel apart, or one byte apart below 8 bits; `step` bytes
    apart when given: 3 for RGB rows of bytes)."""
    data = pack_rows(labels, depth).astype(np.int64)
    step = (2 if depth == 16 else 1) if step is None else step
    lines = []
    for y, kind in enumerate(filters):
        x = data[y]
        above = data[y - 1] if y else np.zeros_like(x)
        left = np.concatenate([np.zeros(step, np.int64), x[:-step]])[:x.size]
        above_left = np.concatenate([np.zeros(step, np.int64), above[:-step]])[:x.size]
        prediction = [0, left, above, (left + above) // 2, _paeth(left, above, above_left)][kind]
        lines.append(bytes([kind]) + ((x - prediction) % 256).astype(np.uint8).tobytes())
    return b"".join(lines)


ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
         (0, 1, 1, 2))  # (first column, first row, column step, row step), from the PNG spec


def interlaced_data(labels, filters, depth):
    """Adam7: the filtered rows of each non-empty pass in turn, the filters taken in turn
    (cycling through `filters`) row after row."""
    parts, used = [], 0
    for column, row, column_step, row_step in ADAM7:
        image = labels[row::row_step, column::column_step]
        if image.size:
            kinds = [filters[(used + i) % len(filters)] for i in range(image.shape[0])]
            parts.append(filter_rows(image, kinds, depth))
            used += image.shape[0]
    return b"".join(parts)


def encode_png(labels, filters, depth=8, palette=None, idat_parts=1, interlace=False,
               transparency=None, colour_type=None):
    """A PNG file's bytes: grayscale (or palette), the given row filters (taken in turn, row
    after row), `idat_parts` IDATs, Adam7 when `interlace`, a tRNS chunk holding
    `transparency` (bytes) when given."""
    height, width = labels.shape
    if colour_type is None:
        colour_type = 0 if palette is None else 3
    header = struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, int(interlace))
    data = interlaced_data(labels, filters, depth) if interlace else \
        filter_rows(labels, [filters[y % len(filters)] for y in range(height)], depth)
    stream = zlib.compress(data)
    cuts = np.linspace(0, len(stream), idat_parts + 1).astype(int)
    chunks = [_png._chunk(b"IHDR", header)]
    if palette is not None:
        chunks.append(_png._chunk(b"PLTE", bytes(palette)))
    if transparency is not None:
        chunks.append(_png._chunk(b"tRNS", bytes(transparency)))
    chunks += [_png._chunk(b"IDAT", stream[a:b]) for a, b in zip(cuts[:-1], cuts[1:])]
    return _png.SIGNATURE + b"".join(chunks) + _png._chunk(b"IEND", b"")


def label_map(rng, shape, kind, high=256):
    """Noise, smooth (gradient), constant or blocky (piecewise-constant) values below `high`."""
    height, width = shape
    if kind == "noise":
        return rng.integers(0, high, shape)
    if kind == "smooth":
        return (np.add.outer(np.arange(height) * 3, np.arange(width) * 5) // 4) % high
    if kind == "constant":
        return np.full(shape, high - 1)
    blocks = rng.integers(0, high, (height // 7 + 1, width // 5 + 1))
    return np.repeat(np.repeat(blocks, 7, axis=0), 5, axis=1)[:height, :width]


def decode(tmp_path, content, name="x.png"):
    """Decode with and without a scratch buffer (the two must agree); the file is only read."""
    path = tmp_path / name
    path.write_bytes(content)
    decoded = _png.read_png(str(path))
    np.testing.assert_array_equal(_png.read_png(str(path), _png.Scratch()), decoded)
    assert path.read_bytes() == content
    return decoded


def pillow(path):
    with Image.open(path) as image:
        return np.asarray(image)


SHAPES = [(1, 1), (1, 37), (37, 1), (3, 2), (9, 70), (16, 33)]


@pytest.mark.parametrize("kind", [NONE, SUB, UP, AVERAGE, PAETH])
@pytest.mark.parametrize("depth", [8, 16])
@pytest.mark.parametrize("shape", SHAPES)
def test_each_filter_on_every_row_decodes_exactly(tmp_path, inflater, kind, depth, shape):
    rng = np.random.default_rng(kind * 100 + depth + shape[1])
    dtype = np.uint16 if depth == 16 else np.uint8
    for content in ("noise", "smooth", "constant", "blocky"):
        labels = label_map(rng, shape, content, 1 << depth).astype(dtype)
        data = encode_png(labels, [kind] * shape[0], depth)
        decoded = decode(tmp_path, data)
        assert decoded.dtype == dtype
        np.testing.assert_array_equal(decoded, labels)
        np.testing.assert_array_equal(pillow(tmp_path / "x.png"), labels)  # the oracle agrees


@pytest.mark.parametrize("depth", [8, 16])
def test_every_width_from_1_to_70_with_mixed_filters(tmp_path, inflater, depth):
    rng = np.random.default_rng(depth)
    dtype = np.uint16 if depth == 16 else np.uint8
    for width in range(1, 71):
        labels = label_map(rng, (6, width), "blocky" if width % 2 else "noise", 1 << depth)
        labels = labels.astype(dtype)
        filters = rng.integers(0, 5, 6).tolist()
        np.testing.assert_array_equal(decode(tmp_path, encode_png(labels, filters, depth)), labels)


@pytest.mark.parametrize("mode", ["L", "P", "I;16"])
@pytest.mark.parametrize("content", ["noise", "smooth", "constant", "blocky"])
@pytest.mark.parametrize("shape", SHAPES + [(64, 128)])
def test_pillow_written_pngs_decode_like_pillow(tmp_path, inflater, mode, content, shape):
    rng = np.random.default_rng(len(content) + shape[0])
    high = 60000 if mode == "I;16" else 256
    labels = label_map(rng, shape, content, high).astype(np.uint16 if mode == "I;16" else np.uint8)
    if mode == "P":
        image = Image.frombytes("P", labels.shape[::-1], labels.tobytes())
        image.putpalette([i % 256 for i in range(768)])
    else:
        image = Image.fromarray(labels)
        assert image.mode == mode
    path = str(tmp_path / "p.png")
    image.save(path)
    decoded = _png.read_png(path)
    expected = pillow(path)
    np.testing.assert_array_equal(_png.read_png(path, _png.Scratch()), expected)
    assert decoded.dtype == expected.dtype
    np.testing.assert_array_equal(decoded, expected)
    np.testing.assert_array_equal(decoded, labels)


@pytest.mark.parametrize("parts", [2, 5])
def test_image_data_split_over_several_idat_chunks(tmp_path, inflater, parts):
    labels = label_map(np.random.default_rng(parts), (20, 30), "blocky").astype(np.uint8)
    data = encode_png(labels, [PAETH, SUB, UP, AVERAGE, NONE] * 4, idat_parts=parts)
    np.testing.assert_array_equal(decode(tmp_path, data), labels)


def test_palette_pngs_give_the_indices(tmp_path, inflater):
    labels = label_map(np.random.default_rng(5), (12, 17), "blocky", 19).astype(np.uint8)
    data = encode_png(labels, [PAETH] * 12, palette=[7] * 57)
    np.testing.assert_array_equal(decode(tmp_path, data), labels)


@given(labels=arrays(np.uint8, st.tuples(st.integers(1, 12), st.integers(1, 40)),
                     elements=st.integers(0, 3)),
       data=st.data())
def test_random_maps_and_filters_round_trip(tmp_path_factory, labels, data):
    """Few distinct values, as in label maps: the run-filling paths get exercised."""
    filters = data.draw(st.lists(st.integers(0, 4), min_size=labels.shape[0],
                                 max_size=labels.shape[0]))
    path = tmp_path_factory.mktemp("h") / "h.png"
    path.write_bytes(encode_png(labels, filters))
    np.testing.assert_array_equal(_png.read_png(str(path)), labels)


@given(labels=arrays(np.uint16, st.tuples(st.integers(1, 8), st.integers(1, 20)),
                     elements=st.sampled_from([0, 1, 255, 256, 65535])),
       data=st.data())
def test_random_16_bit_maps_round_trip(tmp_path_factory, labels, data):
    filters = data.draw(st.lists(st.integers(0, 4), min_size=labels.shape[0],
                                 max_size=labels.shape[0]))
    path = tmp_path_factory.mktemp("h") / "h.png"
    path.write_bytes(encode_png(labels, filters, depth=16))
    decoded = _png.read_png(str(path))
    assert decoded.dtype == np.uint16 and decoded.dtype.isnative
    np.testing.assert_array_equal(decoded, labels)


def test_written_files_round_trip_and_pillow_agrees(tmp_path):
    labels = np.random.default_rng(1).integers(0, 256, (7, 9)).astype(np.uint8)
    for palette in (None, list(range(256)) * 3):
        path = str(tmp_path / "x.png")
        _png.write_png(path, labels, palette)
        np.testing.assert_array_equal(_png.read_png(path), labels)
        with Image.open(path) as image:
            assert image.mode == ("L" if palette is None else "P")
        np.testing.assert_array_equal(pillow(path), labels)


# ---------------------------------------------------------------------------------------------
# Every bit depth, Adam7 interlacing and transparency, against Pillow

# (colour type, bit depth) of every grayscale and palette PNG
KINDS = [(0, 1), (0, 2), (0, 4), (0, 8), (0, 16), (3, 1), (3, 2), (3, 4), (3, 8)]


def pillow_values(path):
    """The oracle: what Pillow reads, as int64."""
    with Image.open(path) as image:
        return np.asarray(image).astype(np.int64)


def kind_png(labels, colour_type, depth, filters, interlace=False, transparency=False,
             idat_parts=1):
    """A grayscale or palette PNG of `labels` (values below ``2 ** depth``); with
    `transparency`, a tRNS chunk (a transparent gray value, or an alpha per palette entry)."""
    palette = [(7 * i + c) % 256 for i in range(min(1 << depth, 256)) for c in range(3)] \
        if colour_type == 3 else None
    trns = None
    if transparency:
        trns = struct.pack(">H", (1 << depth) - 1) if colour_type == 0 else \
            bytes((37 * i) % 256 for i in range(min(1 << depth, 256)))
    return encode_png(labels, filters, depth, palette, idat_parts, interlace, trns, colour_type)


def expected_values(labels, colour_type, depth):
    """What the PNG specification and Pillow make of the stored values: palette indices and
    1-bit grayscale (Pillow's mode "1", read as 0/1) as they are, 2- and 4-bit grayscale
    scaled to 0..255."""
    if colour_type == 0 and depth in (2, 4):
        return labels.astype(np.int64) * (255 // ((1 << depth) - 1))
    return labels.astype(np.int64)


@pytest.mark.parametrize("colour_type,depth", KINDS)
@pytest.mark.parametrize("interlace", [False, True], ids=["plain", "adam7"])
def test_every_depth_interlaced_or_not_decodes_as_pillow_reads_it(tmp_path, inflater, colour_type,
                                                                  depth, interlace):
    rng = np.random.default_rng(depth * 10 + colour_type)
    for shape in [(1, 1), (1, 9), (9, 1), (2, 3), (3, 17), (8, 8), (13, 31), (40, 60)]:
        for content in ("noise", "blocky"):
            labels = label_map(rng, shape, content, 1 << depth)
            filters = rng.integers(0, 5, shape[0] * 2).tolist()
            for transparency in (False, True):
                data = kind_png(labels, colour_type, depth, filters, interlace, transparency)
                decoded = decode(tmp_path, data)
                expected = pillow_values(tmp_path / "x.png")
                assert decoded.dtype == (np.uint16 if depth == 16 else np.uint8)
                assert decoded.shape == shape and decoded.flags.c_contiguous
                np.testing.assert_array_equal(decoded, expected)
                np.testing.assert_array_equal(expected, expected_values(labels, colour_type, depth))


@given(kind=st.sampled_from(KINDS), interlace=st.booleans(), transparency=st.booleans(),
       shape=st.tuples(st.integers(1, 19), st.integers(1, 19)), idat_parts=st.integers(1, 3),
       data=st.data())
def test_generated_pngs_decode_as_pillow_reads_them(tmp_path_factory, kind, interlace,
                                                    transparency, shape, idat_parts, data):
    colour_type, depth = kind
    labels = data.draw(arrays(np.int64, shape, elements=st.integers(0, (1 << depth) - 1)))
    filters = data.draw(st.lists(st.integers(0, 4), min_size=1, max_size=2 * shape[0]))
    path = tmp_path_factory.mktemp("h") / "h.png"
    path.write_bytes(kind_png(labels, colour_type, depth, filters, interlace, transparency,
                              idat_parts))
    expected = pillow_values(path)
    np.testing.assert_array_equal(_png.read_png(str(path)), expected)
    np.testing.assert_array_equal(_png.read_png(str(path), _png.Scratch()), expected)
    np.testing.assert_array_equal(expected, expected_values(labels, colour_type, depth))


@pytest.mark.parametrize("bits", [1, 2, 4, 8])
@pytest.mark.parametrize("optimize", [False, True])
def test_pillow_written_palette_pngs_of_every_depth(tmp_path, bits, optimize):
    rng = np.random.default_rng(bits)
    labels = label_map(rng, (23, 41), "blocky", 1 << bits).astype(np.uint8)
    image = Image.frombytes("P", labels.shape[::-1], labels.tobytes())
    image.putpalette([(5 * i) % 256 for i in range(3 << bits)])
    path = tmp_path / "p.png"
    image.save(path, bits=bits, optimize=optimize, transparency=0)
    np.testing.assert_array_equal(_png.read_png(str(path)), pillow_values(path))
    np.testing.assert_array_equal(_png.read_png(str(path)), labels)


def test_pillow_written_1_bit_masks_read_as_0_and_1(tmp_path):
    mask = label_map(np.random.default_rng(6), (40, 60), "blocky", 2).astype(bool)
    Image.fromarray(mask).save(tmp_path / "mask.png")
    with Image.open(tmp_path / "mask.png") as image:
        assert image.mode == "1"
        raw = np.asarray(image)
    assert raw.dtype == bool and set(np.unique(raw.view(np.uint8))) <= {0, 255}  # Pillow's bytes
    decoded = _png.read_png(str(tmp_path / "mask.png"))
    assert decoded.dtype == np.uint8
    np.testing.assert_array_equal(decoded, mask.astype(np.uint8))


def test_sub_byte_pixels_unpack_leftmost_pixel_first():
    row = np.array([[0b10110000, 0b01000000]], np.uint8)
    for colour_type in (0, 3):
        np.testing.assert_array_equal(_png._samples(row, 10, 1, colour_type),
                                      [[1, 0, 1, 1, 0, 0, 0, 0, 0, 1]])
    np.testing.assert_array_equal(_png._samples(row, 6, 2, 0), [[170, 255, 0, 0, 85, 0]])
    np.testing.assert_array_equal(_png._samples(row, 3, 4, 3), [[11, 0, 4]])
    np.testing.assert_array_equal(_png._sample_table(2, 85)[0b11100100], [255, 170, 85, 0])
    np.testing.assert_array_equal(_png._sample_table(4, 1)[0xA7], [10, 7])
    np.testing.assert_array_equal(_png._sample_table(4, 17)[0xF1], [255, 17])


def test_adam7_passes_cover_every_pixel_once():
    for height in range(1, 20):
        for width in range(1, 20):
            image = _png.PngImage(b"", height, width, 8, 0, True)
            seen = np.zeros((height, width), np.int64)
            for part in image.passes():
                window = seen[part.row::part.row_step, part.column::part.column_step]
                assert window.shape == (part.rows, part.columns)
                window += 1
            assert (seen == 1).all()


# ---------------------------------------------------------------------------------------------
# Reusable buffers and the kernel's own contract

def test_scratch_is_reused_and_grows(tmp_path):
    rng = np.random.default_rng(8)
    small = label_map(rng, (4, 6), "noise").astype(np.uint8)
    large = label_map(rng, (9, 11), "blocky").astype(np.uint8)
    deep = label_map(rng, (3, 5), "noise", 1 << 16).astype(np.uint16)
    for name, labels, depth in (("s.png", small, 8), ("l.png", large, 8), ("d.png", deep, 16)):
        (tmp_path / name).write_bytes(encode_png(labels, [PAETH] * labels.shape[0], depth))
    scratch = _png.Scratch()
    first = _png.read_png(str(tmp_path / "s.png"), scratch)
    np.testing.assert_array_equal(first, small)
    second = _png.read_png(str(tmp_path / "l.png"), scratch)  # too large: a new buffer
    np.testing.assert_array_equal(second, large)
    np.testing.assert_array_equal(first, small)  # the old buffer was left alone
    third = _png.read_png(str(tmp_path / "d.png"), scratch)
    assert third.dtype == np.uint16 and np.shares_memory(third, second)
    np.testing.assert_array_equal(third, deep)


def test_eval_decodes_each_thread_into_its_own_buffers(tmp_path):
    labels = label_map(np.random.default_rng(9), (5, 8), "blocky", 19).astype(np.uint8)
    _png.write_png(str(tmp_path / "g.png"), labels)
    _png.write_png(str(tmp_path / "p.png"), labels[::-1])
    pair = _io.LabelPair("x", str(tmp_path / "g.png"), str(tmp_path / "p.png"))
    options = EvalOptions(num_classes=19)
    truth, pred = read_pair(pair, options)
    again_truth, _ = read_pair(pair, options)
    assert np.shares_memory(truth, again_truth) and not np.shares_memory(truth, pred)
    np.testing.assert_array_equal(pred, labels[::-1])


@pytest.mark.parametrize("depth", [8, 16])
def test_in_place_decoding_equals_decoding_into_another_array(depth):
    rng = np.random.default_rng(depth)
    labels = label_map(rng, (40, 23), "blocky", 1 << depth).astype(np.uint16 if depth == 16 else np.uint8)
    filtered = filter_rows(labels, rng.integers(0, 5, 40).tolist(), depth)
    row_bytes = 23 * depth // 8
    apart = np.empty((40, row_bytes), np.uint8)
    assert unfilter(filtered, apart, depth // 8) == -1
    buffer = bytearray(filtered)
    in_place = np.frombuffer(buffer, np.uint8, count=40 * row_bytes).reshape(40, row_bytes)
    assert unfilter(buffer, in_place, depth // 8) == -1
    np.testing.assert_array_equal(in_place, apart)
    expected = labels.astype(">u2").view(np.uint8) if depth == 16 else labels
    np.testing.assert_array_equal(apart, expected.reshape(40, row_bytes))


def test_kernel_refuses_sizes_that_do_not_fit():
    for filtered, shape, step in ((bytes(11), (2, 5), 1), (bytes(13), (2, 5), 1),
                                  (bytes(10), (2, 4), 3), (bytes(10), (3, 3), 2)):
        with pytest.raises(ValueError, match="filtered bytes do not fit"):
            unfilter(filtered, np.empty(shape, np.uint8), step)
    assert unfilter(b"", np.empty((0, 4), np.uint8), 1) == -1


def test_kernel_reports_the_first_row_with_a_bad_filter_byte():
    filtered = bytearray(filter_rows(np.zeros((4, 3), np.uint8), [UP] * 4))
    filtered[2 * 4] = 5
    filtered[3 * 4] = 9
    assert unfilter(bytes(filtered), np.empty((4, 3), np.uint8), 1) == 2


# ---------------------------------------------------------------------------------------------
# Broken and unsupported files

def _good(labels=None, filters=None):
    labels = np.arange(20, dtype=np.uint8).reshape(4, 5) if labels is None else labels
    return labels, encode_png(labels, filters or [NONE, SUB, UP, PAETH])


def _with_chunk(data, kind, body=None, crc=None):
    """`data` with the body (and/or CRC) of its first `kind` chunk replaced."""
    position = data.index(kind) - 4
    length = struct.unpack(">I", data[position:position + 4])[0]
    old_body = data[position + 8:position + 8 + length]
    body = old_body if body is None else body
    crc = zlib.crc32(kind + body) if crc is None else crc
    chunk = struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)
    return data[:position] + chunk + data[position + 12 + length:]


def _stream(data):
    position = data.index(b"IDAT") - 4
    length = struct.unpack(">I", data[position:position + 4])[0]
    return data[position + 8:position + 8 + length]


def broken_files():
    """name -> (file content, the reason its error gives after "cannot decode PATH: it is ")."""
    labels, good = _good()
    stream = _stream(good)
    header = good[16:29]
    rows = filter_rows(labels, [NONE] * 4)
    bad_filter = bytearray(rows)
    bad_filter[2 * 6] = 7
    interlaced = encode_png(labels, [NONE], interlace=True)
    bad_pass = bytearray(zlib.decompress(_stream(interlaced)))
    bad_pass[-2 * 6] = 5  # pass 7 holds rows 1 and 3 (5 pixels each), stored last
    return {
        "cut in the signature": (_png.SIGNATURE[:5], r"truncated \(it holds 5 of the 8 bytes of "
                                                     r"the PNG signature and nothing else\)"),
        "only the signature": (_png.SIGNATURE, r"truncated \(it ends before its IHDR chunk\)"),
        "cut in IDAT": (good[:-20], r"truncated \(its IDAT chunk ends past the end of the file\)"),
        "no IDAT": (good[:good.index(b"IDAT") - 4],
                    r"truncated \(it ends before its image data \(no IDAT chunk\)\)"),
        "no IHDR": (_png.SIGNATURE + good[33:], r"corrupt \(it has no IHDR chunk\)"),
        "bad IHDR CRC": (_with_chunk(good, b"IHDR", crc=1),
                         r"corrupt \(the CRC of its IHDR chunk does not match its contents\)"),
        "bad IDAT CRC": (_with_chunk(good, b"IDAT", crc=1),
                         r"corrupt \(the CRC of its IDAT chunk does not match its contents\)"),
        "bad PLTE CRC": (_with_chunk(encode_png(labels, [NONE] * 4, palette=[1] * 60), b"PLTE",
                                     crc=1), "corrupt .the CRC of its PLTE chunk"),
        "short IHDR": (_with_chunk(good, b"IHDR", header[:12]),
                       r"corrupt \(its IHDR chunk holds 12 bytes instead of 13\)"),
        "zero width": (_with_chunk(good, b"IHDR", bytes(4) + header[4:]),
                       r"corrupt \(its header gives a size of 0x4 pixels\)"),
        "compression 1": (_with_chunk(good, b"IHDR", header[:10] + b"\x01" + header[11:]),
                          r"corrupt \(its header gives compression method 1 \(PNG defines 0\)\)"),
        "filter method 2": (_with_chunk(good, b"IHDR", header[:11] + b"\x02" + header[12:]),
                            r"corrupt \(its header gives filter method 2 \(PNG defines 0\)\)"),
        "interlace 2": (_with_chunk(good, b"IHDR", header[:12] + b"\x02"),
                        r"corrupt \(its header gives interlace method 2 \(PNG defines 0 and 1\)\)"),
        "colour type 5": (_with_chunk(good, b"IHDR", header[:9] + b"\x05" + header[10:]),
                          r"corrupt \(its header gives colour type 5, which PNG does not define\)"),
        "3-bit": (_with_chunk(good, b"IHDR", header[:8] + b"\x03" + header[9:]),
                  r"corrupt \(its header gives 3-bit samples for colour type 0, which PNG does not "
                  r"allow\)"),
        "16-bit palette": (_with_chunk(good, b"IHDR", header[:8] + b"\x10\x03" + header[10:]),
                           r"corrupt \(its header gives 16-bit samples for colour type 3"),
        "corrupt zlib": (_with_chunk(good, b"IDAT", b"x" * len(stream)),
                         r"corrupt \(its image data does not inflate: Error -3"),
        "truncated zlib": (_with_chunk(good, b"IDAT", stream[:-8]),
                           r"truncated \(its zlib stream of image data stops after \d+ of the 24 "
                           r"bytes of 5x4 pixels of 8 bits\)"),
        "bad checksum": (_with_chunk(good, b"IDAT", stream[:-1] + bytes([stream[-1] ^ 1])),
                         "corrupt .its image data does not inflate: .*incorrect data check"),
        "too little data": (_with_chunk(good, b"IDAT", zlib.compress(rows[:-1])),
                            r"corrupt \(its image data inflates to 23 bytes, but 5x4 pixels of 8 "
                            r"bits take 24\)"),
        "too much data": (_with_chunk(good, b"IDAT", zlib.compress(rows + b"\0")),
                          r"corrupt \(its image data inflates to more than the 24 bytes of 5x4 "
                          r"pixels of 8 bits\)"),
        "huge header": (_with_chunk(good, b"IHDR", struct.pack(">II", 1 << 30, 1 << 30) + header[8:]),
                        r"truncated \(its \d+ bytes of image data cannot hold "
                        r"1073741824x1073741824 pixels\)"),
        "bad filter byte": (_with_chunk(good, b"IDAT", zlib.compress(bytes(bad_filter))),
                            r"corrupt \(row 2 has the filter type 7; PNG defines 0 to 4\)"),
        "bad filter byte in a pass": (_with_chunk(interlaced, b"IDAT",
                                                  zlib.compress(bytes(bad_pass))),
                                      r"corrupt \(row 0 of interlace pass 7 has the filter type 5"),
        "interlaced, too little data": (
            _with_chunk(interlaced, b"IDAT", zlib.compress(zlib.decompress(_stream(interlaced))[:-1])),
            r"corrupt \(its image data inflates to 27 bytes, but 5x4 pixels of 8 bits, "
            r"interlaced take 28\)"),
    }


@pytest.mark.parametrize("name", sorted(broken_files()))
def test_broken_files_raise_png_errors_naming_the_file(tmp_path, inflater, name):
    content, message = broken_files()[name]
    path = tmp_path / "broken.png"
    path.write_bytes(content)
    for scratch in (None, _png.Scratch()):
        with pytest.raises(_png.PngError) as info:
            _png.read_png(str(path), scratch)
        assert re.match(re.escape(f"cannot decode {path}: it is ") + message, str(info.value))
        assert not info.value.needs_pillow and not info.value.refused
    assert path.read_bytes() == content


def test_what_follows_the_image_data_is_ignored_as_pillow_does(tmp_path, inflater):
    labels, good = _good()
    iend = _png._chunk(b"IEND", b"")
    cases = {"junk after IEND": good + b"junk", "no IEND": good[:-len(iend)],
             "junk after the zlib stream": _with_chunk(good, b"IDAT", _stream(good) + b"xyz"),
             "bad IEND CRC": good[:-4] + b"\0\0\0\0"}
    for name, content in cases.items():
        np.testing.assert_array_equal(decode(tmp_path, content), labels, err_msg=name)
        np.testing.assert_array_equal(pillow(tmp_path / "x.png"), labels, err_msg=name)


def test_only_8_bit_colour_needs_pillow(tmp_path):
    Image.new("RGB", (3, 3)).save(tmp_path / "rgb.png")
    Image.new("RGBA", (3, 3)).save(tmp_path / "rgba.png")
    for name, message in (("rgb.png", "is an RGB colour PNG"), ("rgba.png", "is an RGBA colour PNG")):
        with pytest.raises(_png.PngError) as info:
            _png.read_png(str(tmp_path / name))
        assert str(info.value) == f"{tmp_path / name} {message}"
        assert info.value.needs_pillow and not info.value.refused


def _jpeg_bytes():
    import io

    buffer = io.BytesIO()
    Image.fromarray(np.arange(64, dtype=np.uint8).reshape(8, 8)).save(buffer, format="JPEG")
    return buffer.getvalue()


def test_files_that_are_no_label_map_png_are_refused_by_name(tmp_path):
    _, good = _good()
    header = good[16:29]
    la = Image.new("LA", (3, 2))
    la.save(tmp_path / "la.png")
    deep_rgb = _with_chunk(good, b"IHDR", header[:8] + b"\x10\x02" + header[10:])
    deep_la = _with_chunk(good, b"IHDR", header[:8] + b"\x10\x04" + header[10:])
    cases = {
        "jpeg.png": (_jpeg_bytes(), "is a JPEG (lossy) file, not a PNG: lossy compression changes "
                                    "the class ids along region edges, so label maps must be "
                                    "saved losslessly (PNG, TIFF or .npy)"),
        "tiff.png": (b"II*\x00" + bytes(12), "is a TIFF file, not a PNG: name it .tif"),
        "npy.png": (b"\x93NUMPY\x01\x00", "is a NumPy .npy file, not a PNG: name it .npy"),
        "gif.png": (b"GIF89a" + bytes(10), "is a GIF file, not a PNG: label maps are PNG, TIFF "
                                           "or .npy files"),
        "webp.png": (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "is a WebP (often lossy) file, not a PNG"),
        "text.png": (b"hello, not a png", "cannot decode {path}: it is not a PNG file (it does "
                                          "not start with the PNG signature)"),
        "empty.png": (b"", "cannot decode {path}: it is empty"),
        "la.png": ((tmp_path / "la.png").read_bytes(),
                   "is a grayscale PNG with an alpha channel (Pillow mode LA), not a label map"),
        "la16.png": (deep_la, "is a grayscale PNG with an alpha channel (Pillow mode LA)"),
        "rgb16.png": (deep_rgb, "is a 16-bit RGB PNG: colour label maps are read with 8 bits "
                                "per channel"),
    }
    for name, (content, message) in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(_png.PngError) as info:
            _png.read_png(str(path))
        expected = message.format(path=path) if message.startswith("cannot") else f"{path} {message}"
        assert str(info.value).startswith(expected), name
        assert info.value.refused and not info.value.needs_pillow


@pytest.mark.parametrize("name", ["libdeflate", "zlib-ng"])
def test_imagecodecs_inflates_into_the_scratch_buffer(tmp_path, name):
    """With imagecodecs (the test extra), a decode with a scratch buffer allocates no
    image-sized memory: the data is inflated into the buffer and the rows are unfiltered in
    place; without one, in place in the array the data was inflated into."""
    pytest.importorskip("imagecodecs")
    old = _png._set_inflater(INFLATERS[name])
    try:
        assert _png.inflater().decompress_into is not None, _png.inflater().name
        labels = np.arange(40 * 30, dtype=np.uint8).reshape(40, 30) % 7
        Image.fromarray(labels).save(tmp_path / "a.png")
        scratch = _png.Scratch()
        first = _png.read_png(str(tmp_path / "a.png"), scratch)
        np.testing.assert_array_equal(first, labels)
        buffer = scratch.take(1)
        second = _png.read_png(str(tmp_path / "a.png"), scratch)
        assert np.shares_memory(second, buffer) and np.shares_memory(first, second)
        np.testing.assert_array_equal(second, labels)
        alone = _png.read_png(str(tmp_path / "a.png"))
        assert alone.base is not None and not np.shares_memory(alone, buffer)
        np.testing.assert_array_equal(alone, labels)
    finally:
        _png._set_inflater(old)


@pytest.mark.parametrize("name", ["libdeflate", "zlib-ng"])
def test_decompress_into_says_when_the_data_does_not_fill_the_buffer(name):
    pytest.importorskip("imagecodecs")
    into = INFLATERS[name].decompress_into
    data = zlib.compress(b"abc" * 100)
    exact, short, long = (np.empty(n, dtype=np.uint8) for n in (300, 299, 301))
    assert into(data, exact) and bytes(exact) == b"abc" * 100
    assert not into(data, short) and not into(data, long)
    assert not into(b"not zlib data", exact)
    assert not into(data[:-4] + bytes(4), exact)  # the Adler-32 is checked


def test_inflaters_are_imagecodecs_then_the_standard_zlib(monkeypatch):
    found = _png.inflaters()
    assert found[-1] is _png.STANDARD_ZLIB and found[-1].decompress_into is None
    assert found[-1].name == f"zlib {zlib.ZLIB_RUNTIME_VERSION} (standard library)"
    if pytest.importorskip("imagecodecs").DEFLATE.available:
        assert found[0].name.startswith("libdeflate ") and "(imagecodecs " in found[0].name
    monkeypatch.setitem(sys.modules, "imagecodecs", None)  # not installed
    assert _png._imagecodecs_inflaters.__wrapped__() == []


def test_show_config_says_which_inflater_decodes():
    from fastiou._config import config_info

    info = config_info()
    assert info["png_inflate"] == _png.inflater().name
    assert info["png_pairs_inflate"] == f"{_png.inflater().name}, whole"
    old = _png._set_inflater(_png.STANDARD_ZLIB)  # as without imagecodecs
    try:
        info = config_info()
    finally:
        _png._set_inflater(old)
    assert info["png_inflate"] == f"zlib {zlib.ZLIB_RUNTIME_VERSION} (standard library)"
    assert info["png_pairs_inflate"] == f"zlib {zlib.ZLIB_RUNTIME_VERSION} (standard library), whole"


def test_inflater_is_the_first_unless_the_hook_chose_one():
    assert _png.inflater() == _png.inflaters()[0]
    old = _png._set_inflater(_png.STANDARD_ZLIB)
    try:
        assert _png.inflater() is _png.STANDARD_ZLIB
    finally:
        assert _png._set_inflater(old) is _png.STANDARD_ZLIB
    assert _png.inflater() == _png.inflaters()[0]


# ---------------------------------------------------------------------------------------------
# fastiou eval's reader: fastiou's decoder first, Pillow for the rest

def test_read_label_map_decodes_pngs_itself(tmp_path, monkeypatch):
    labels = label_map(np.random.default_rng(3), (30, 40), "blocky").astype(np.uint8)
    Image.fromarray(labels).save(tmp_path / "l.png")
    calls = []
    monkeypatch.setattr(Image, "open", lambda *args, **kwargs: calls.append(args))
    np.testing.assert_array_equal(_io.read_label_map(str(tmp_path / "l.png")), labels)
    assert not calls


def test_pillow_gets_the_files_fastiou_declines(tmp_path):
    labels, good = _good()
    tolerated = _with_chunk(good, b"IDAT", crc=1)  # Pillow does not check IDAT CRCs
    (tmp_path / "crc.png").write_bytes(tolerated)
    np.testing.assert_array_equal(_io.read_label_map(str(tmp_path / "crc.png")), labels)
    (tmp_path / "filter.png").write_bytes(broken_files()["bad filter byte"][0])
    with pytest.raises(EvalError, match=r"^cannot decode .*filter.png: it is corrupt \(row 2 has "
                                        r"the filter type 7; PNG defines 0 to 4\)$") as info:
        _io.read_label_map(str(tmp_path / "filter.png"))
    assert info.value.exit_code == _io.EXIT_UNREADABLE


def test_without_pillow_fastiou_reads_pngs_itself_and_names_the_extra(tmp_path, monkeypatch):
    labels = label_map(np.random.default_rng(4), (30, 30), "noise").astype(np.uint8)
    Image.fromarray(labels).save(tmp_path / "l.png")  # Pillow picks Paeth for some rows
    Image.fromarray(labels).save(tmp_path / "labels.tif")
    mask = labels > 100
    Image.fromarray(mask).save(tmp_path / "mask.png")  # mode "1": a 1-bit PNG
    (tmp_path / "adam7.png").write_bytes(encode_png(labels % 4, [PAETH, SUB], depth=2,
                                                    palette=[0] * 12, interlace=True))
    Image.new("RGB", (3, 3)).save(tmp_path / "rgb.png")
    (tmp_path / "bad.png").write_bytes(b"nope")
    (tmp_path / "jpeg.png").write_bytes(_jpeg_bytes())
    (tmp_path / "crc.png").write_bytes(_with_chunk(_good()[1], b"IDAT", crc=1))
    monkeypatch.setitem(sys.modules, "PIL", None)
    np.testing.assert_array_equal(_io.read_label_map(str(tmp_path / "l.png")), labels)
    np.testing.assert_array_equal(_io.read_label_map(str(tmp_path / "mask.png")), mask)
    np.testing.assert_array_equal(_io.read_label_map(str(tmp_path / "adam7.png")), labels % 4)
    for name, code, message in (("labels.tif", 7, "needs Pillow: pip install 'fastiou\\[cli\\]'"),
                                ("rgb.png", 7, "rgb.png is an RGB colour PNG: reading it needs "
                                               "Pillow"),
                                ("bad.png", 5, "^cannot decode .*bad.png: it is not a PNG file"),
                                ("jpeg.png", 5, "jpeg.png is a JPEG \\(lossy\\) file, not a PNG"),
                                ("crc.png", 5, "^cannot decode .*crc.png: it is corrupt \\(the CRC "
                                               "of its IDAT chunk"),
                                ("missing.png", 5, "does not exist")):
        with pytest.raises(EvalError, match=message) as info:
            _io.read_label_map(str(tmp_path / name))
        assert info.value.exit_code == code


@pytest.mark.parametrize("channels", [3, 4], ids=["RGB", "RGBA"])
def test_rgb_pngs_with_every_filter_decode_as_pillow_reads_them(tmp_path, inflater, channels):
    """read_rgb_png (COCO panoptic PNGs): every filter on every row, noise and blocks,
    widths around the word size; other PNGs are left to Pillow (``needs_pillow``)."""
    rng = np.random.default_rng(channels)
    for height, width in [(1, 1), (1, 9), (5, 1), (3, 17), (13, 31), (20, 64)]:
        for content in ("noise", "blocky", "constant"):
            pixels = np.stack([label_map(rng, (height, width), content) for _ in range(channels)],
                              axis=-1).astype(np.uint8)
            if content == "blocky":
                pixels[..., 1] = pixels[..., 0]  # equal bytes within a pixel
            filters = rng.integers(0, 5, height).tolist()
            header = struct.pack(">IIBBBBB", width, height, 8, 2 if channels == 3 else 6, 0, 0, 0)
            data = filter_rows(pixels.reshape(height, -1), filters, step=channels)
            path = tmp_path / "rgb.png"
            path.write_bytes(_png.SIGNATURE + _png._chunk(b"IHDR", header)
                             + _png._chunk(b"IDAT", zlib.compress(data)) + _png._chunk(b"IEND", b""))
            decoded = _png.read_rgb_png(str(path))
            np.testing.assert_array_equal(decoded, pixels[..., :3])
            np.testing.assert_array_equal(decoded, pillow(path)[..., :3])
    for mode, array in (("L", np.zeros((3, 3), np.uint8)), ("P", np.zeros((3, 3), np.uint8))):
        Image.fromarray(array, mode=mode).save(tmp_path / "gray.png")
        with pytest.raises(_png.PngError) as caught:
            _png.read_rgb_png(str(tmp_path / "gray.png"))
        assert caught.value.needs_pillow and "no 8-bit RGB(A) PNG" in str(caught.value)
