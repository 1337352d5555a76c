"""Decoding and counting PNG pairs together: the kernel ``_png_pairs.count_png_pairs`` (the
images' inflated, still filtered data), its wrapper ``_byte_classes`` (the kernels' class
encoding, the images inflated first) and the eval's paths through them.

The oracle is the NumPy reference on the label maps the filtered rows were written from
(``tests/test_png.py``'s encoder covers every filter type); the kernel unfilters a few rows
of each image into a small buffer and counts them before going on, so the cases below aim
at the seams: heights that do not fill the last stretch, one-row and two-row stretches
(very wide images), filters that read the row above across a stretch boundary, counters
flushed mid-image, SIMD levels.
"""

import struct
import zlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from test_kernel_paths import assert_same, expected_counts, flush_every, simd_level  # noqa: F401
from test_png import AVERAGE, NONE, PAETH, SUB, UP, encode_png, filter_rows, label_map

from fastiou import reference
from fastiou.evaluate import _byte_classes, _engine, _io, _png, _png_pairs
from fastiou.segmentation import _byte_tables, _simd
from fastiou.evaluate._engine import EvalOptions, count_pair
from fastiou.evaluate._io import EvalError

NO_IGNORE = np.empty(0, np.uint8)

def byte_classes(num_classes, ignore=()):
    """The class tables count_png_pairs takes for plain labels with `ignore` values."""
    values = np.arange(256)
    inside = values < num_classes
    truth_classes = np.where(inside, values, num_classes)
    truth_classes[np.isin(values, ignore)] = -1
    return truth_classes, np.where(inside, values, -1)


def mapped_reference(truth, pred, truth_classes, pred_classes, num_classes):
    """Every pixel mapped to its class first, then the NumPy reference (-1: ignored truth,
    out-of-range prediction)."""
    return reference.confusion_counts(truth_classes[truth].ravel(), pred_classes[pred].ravel(),
                                      num_classes, [-1])


def counted(truth, pred, truth_filters, pred_filters, truth_classes, pred_classes, num_classes):
    """The kernel's counts of the two maps, filtered row by row with the given filters."""
    height, width = truth.shape
    filtered = filter_rows(truth, truth_filters), filter_rows(pred, pred_filters)
    return _png_pairs.count_png_pairs(*filtered, height, width, truth_classes, pred_classes,
                                      num_classes)


def check(truth, pred, truth_filters, pred_filters, num_classes, ignore=()):
    ignore = np.asarray(ignore, np.uint8)
    assert_same(counted(truth, pred, truth_filters, pred_filters,
                        *byte_classes(num_classes, ignore), num_classes),
                expected_counts(truth, pred, num_classes, ignore))


@pytest.mark.parametrize("simd_level", _simd._simd_levels(), indirect=True)
@pytest.mark.parametrize("shape", [(1, 1), (1, 5000), (9, 2048), (17, 2048), (3, 9000),
                                   (40, 300)])
@pytest.mark.parametrize("kind", ["blocky", "noise"])
def test_counts_equal_the_reference_for_every_filter_and_stretch_seam(simd_level, shape, kind):
    rng = np.random.default_rng(shape[0] * 7 + shape[1])
    truth = label_map(rng, shape, kind, 24).astype(np.uint8)
    pred = np.where(rng.random(shape) < 0.1, rng.integers(0, 24, shape), truth).astype(np.uint8)
    truth[rng.random(shape) < 0.05] = 255
    for filters in ([NONE, SUB, UP, AVERAGE, PAETH], [PAETH], [UP], [AVERAGE, SUB]):
        truth_filters = [filters[y % len(filters)] for y in range(shape[0])]
        pred_filters = [filters[(y + 1) % len(filters)] for y in range(shape[0])]
        check(truth, pred, truth_filters, pred_filters, 20, ignore=[255])
        check(truth, pred, truth_filters, pred_filters, 256)


@pytest.mark.parametrize("flush_every", [1, 333, 2048 * 8], indirect=True)
def test_counters_flushed_mid_image_stay_exact(flush_every):
    rng = np.random.default_rng(5)
    truth = label_map(rng, (30, 2048), "blocky", 6).astype(np.uint8)
    pred = truth.copy()
    pred[:, ::7] = 3
    filters = [PAETH, UP, SUB] * 10
    check(truth, pred, filters, filters[::-1], 6)
    check(truth, pred, filters, filters, 4, ignore=[5])


@given(truth=arrays(np.uint8, st.tuples(st.integers(1, 24), st.integers(1, 80)),
                    elements=st.integers(0, 12)),
       data=st.data())
def test_random_maps_filters_and_ignores(truth, data):
    height = truth.shape[0]
    pred = data.draw(arrays(np.uint8, truth.shape, elements=st.integers(0, 12)))
    rows = st.lists(st.integers(0, 4), min_size=height, max_size=height)
    num_classes = data.draw(st.integers(1, 14))
    ignore = data.draw(st.lists(st.integers(0, 255), max_size=3))
    check(truth, pred, data.draw(rows), data.draw(rows), num_classes, ignore)


@given(data=st.data(), num_classes=st.integers(1, 9))
def test_values_are_mapped_to_classes_with_ignored_and_out_of_range_ones(data, num_classes):
    """Label maps and ignore values as the eval passes them: several values per class,
    ignored truths (-1), classes out of range on either side."""
    shape = data.draw(st.tuples(st.integers(1, 20), st.integers(1, 300)))
    truth = data.draw(arrays(np.uint8, shape, elements=st.integers(0, 20)))
    pred = data.draw(arrays(np.uint8, shape, elements=st.integers(0, 20)))
    classes = st.integers(-1, num_classes + 1)
    truth_classes = np.array(data.draw(st.lists(classes, min_size=256, max_size=256)), np.int64)
    pred_classes = np.array(data.draw(st.lists(classes, min_size=256, max_size=256)), np.int64)
    truth_classes[truth_classes == num_classes + 1] = -1  # more ignored truths
    rows = st.lists(st.integers(0, 4), min_size=shape[0], max_size=shape[0])
    expected = mapped_reference(truth, pred, truth_classes, pred_classes, num_classes)
    assert_same(counted(truth, pred, data.draw(rows), data.draw(rows), truth_classes,
                        pred_classes, num_classes), expected)
    raw = np.zeros((21, 21), np.int64)
    np.add.at(raw, (truth.ravel(), pred.ravel()), 1)
    assert_same(_byte_tables.fold_counts(raw, truth_classes, pred_classes, num_classes), expected)


def test_fold_counts_refuses_tables_that_do_not_fit():
    with pytest.raises(ValueError, match=r"a \(3, 3\) matrix of value pairs does not fit 2 and 256"):
        _byte_tables.fold_counts(np.zeros((3, 3), np.int64), np.zeros(2, np.int64),
                               np.zeros(256, np.int64), 2)
    with pytest.raises(ValueError, match=r"a \(3, 2\) matrix"):
        _byte_tables.fold_counts(np.zeros((3, 2), np.int64), *byte_classes(2), 2)


def test_a_bad_filter_byte_in_either_image_returns_none():
    """...and leaves the byte tables zero for the next call, as a finished call does."""
    labels = np.arange(40 * 600, dtype=np.uint32).reshape(40, 600).astype(np.uint8)
    good = filter_rows(labels, [PAETH] * 40)
    for row in (0, 39):
        bad = bytearray(good)
        bad[row * 601] = 5
        classes = byte_classes(256)
        assert _png_pairs.count_png_pairs(bytes(bad), good, 40, 600, *classes, 256) is None
        assert _byte_tables._byte_tables_are_zero()
        assert _png_pairs.count_png_pairs(good, bytes(bad), 40, 600, *classes, 256) is None
        assert _byte_tables._byte_tables_are_zero()
    check(labels, labels[::-1], [PAETH] * 40, [UP] * 40, 256)
    assert _byte_tables._byte_tables_are_zero()


def test_sizes_that_do_not_fit_are_refused():
    good = filter_rows(np.zeros((2, 5), np.uint8), [NONE, UP])
    for truth, pred, height, width in ((good, good[:-1], 2, 5), (good[:-1], good, 2, 5),
                                       (good, good, 3, 5), (good, good, 0, 5), (good, good, 2, 0)):
        with pytest.raises(ValueError, match="filtered bytes do not both fit"):
            _png_pairs.count_png_pairs(truth, pred, height, width, *byte_classes(3), 3)
    with pytest.raises(ValueError, match="the classes of the 256 byte values are needed, got 3"):
        _png_pairs.count_png_pairs(good, good, 2, 5, np.zeros(3, np.int64), byte_classes(3)[1], 3)


# ---------------------------------------------------------------------------------------------
# The wrapper: the kernels' class encoding, and PNG pairs inflated before the kernel counts them

@pytest.mark.parametrize("num_classes", [1, 19, 255, 256, 300])
def test_byte_classes_of_plain_labels_are_the_kernels_encoding(num_classes):
    for ignore in ((), (255,), (0, 7, 255), (400,)):
        classes = _byte_classes.byte_classes(np.arange(256), np.arange(256), ignore, num_classes)
        expected = byte_classes(num_classes, [v for v in ignore if v < 256])
        np.testing.assert_array_equal(classes.truth, expected[0])
        np.testing.assert_array_equal(classes.pred, expected[1])
        assert classes.truth.dtype == classes.pred.dtype == np.int64
        assert classes.num_classes == num_classes


def test_byte_classes_of_mapped_labels():
    """What a label map makes of a value is what counts: negative, ignored or too large
    labels, in the ground truth and in the prediction apart."""
    truth_labels = np.arange(256) // 2 - 1  # 0, 1 -> -1 (out of range); 2, 3 -> 0; ...
    pred_labels = np.full(256, 3)
    pred_labels[:4] = [0, -5, 2, 200]
    classes = _byte_classes.byte_classes(truth_labels, pred_labels, [4], 5)
    assert classes.truth[:12].tolist() == [5, 5, 0, 0, 1, 1, 2, 2, 3, 3, -1, -1]
    assert (classes.truth[12:] == 5).all()
    assert classes.pred[:5].tolist() == [0, -1, 2, -1, 3]
    original = truth_labels.copy()
    _byte_classes.byte_classes(truth_labels, pred_labels, [4], 5)
    np.testing.assert_array_equal(truth_labels, original)  # the input is left as it was


def test_byte_classes_need_the_labels_of_256_values():
    with pytest.raises(ValueError, match=r"`truth_labels` and `pred_labels` must give the labels "
                                         r"of the 256 byte values, got shapes \(255,\) and \(256,\)"):
        _byte_classes.byte_classes(np.arange(255), np.arange(256), (), 3)
    with pytest.raises(ValueError, match=r"got shapes \(256,\) and \(16, 16\)"):
        _byte_classes.byte_classes(np.arange(256), np.zeros((16, 16)), (), 3)


def test_value_counts_fold_through_the_wrapper_as_through_the_kernel():
    rng = np.random.default_rng(2)
    counts = rng.integers(0, 50, (9, 9)).astype(np.int64)
    classes = _byte_classes.byte_classes(np.arange(256) % 4, np.arange(256) % 5, [3], 4)
    folded = _byte_classes.fold_value_counts(counts, classes)
    assert_same(folded, _byte_tables.fold_counts(counts, classes.truth, classes.pred, 4))
    assert folded.matrix.sum() + folded.n_bad_pred == counts[np.arange(9) % 4 != 3].sum()


def _image(stream, height, width):
    return _png.PngImage(stream, height, width, 8, 0, False)


def test_png_pairs_whose_data_is_corrupt_short_or_long_count_as_none(inflating):
    """...whichever image it is, wherever it breaks, and the byte tables are left zero."""
    labels = np.random.default_rng(4).integers(0, 4, (50, 700)).astype(np.uint8)
    good = zlib.compress(filter_rows(labels, [SUB, UP, PAETH] * 16 + [NONE, AVERAGE]))
    bad_filter = bytearray(filter_rows(labels, [SUB] * 50))
    bad_filter[10 * 701] = 7
    classes = _byte_classes.byte_classes(np.arange(256), np.arange(256), (), 4)
    scratch = (_png.Scratch(), _png.Scratch())
    for broken, height in ((good[:len(good) // 2], 50), (good[:-1], 50),  # truncated, no Adler-32
                           (good[:-4] + bytes(4), 50),  # wrong Adler-32
                           (good[:2] + bytes(len(good) - 2), 50),  # garbage
                           (good, 51), (good, 49),  # fewer or more bytes than the header says
                           (zlib.compress(bytes(bad_filter)), 50)):  # a row filter beyond 4
        for pair in ((broken, good), (good, broken)):
            images = [_image(stream, height, 700) for stream in pair]
            assert _byte_classes.count_png_pair(*images, classes, ("t", "p"), scratch) is None
            assert _byte_tables._byte_tables_are_zero()
    counts = _byte_classes.count_png_pair(_image(good, 50, 700), _image(good, 50, 700), classes,
                                          ("t", "p"), scratch)
    assert_same(counts, expected_counts(labels, labels, 4, NO_IGNORE))
    assert counts.matrix.sum() == labels.size


def test_png_pairs_are_inflated_into_the_scratch_buffers():
    """With an inflater that inflates into buffers (imagecodecs), the pair's inflated data
    is the caller's reusable buffers, allocated once."""
    pytest.importorskip("imagecodecs")
    labels = label_map(np.random.default_rng(9), (30, 200), "blocky", 6).astype(np.uint8)
    image = _image(zlib.compress(filter_rows(labels, [PAETH] * 30)), 30, 200)
    scratch = (_png.Scratch(), _png.Scratch())
    classes = _byte_classes.byte_classes(np.arange(256), np.arange(256), (), 6)
    first = _byte_classes.count_png_pair(image, image, classes, ("t", "p"), scratch)
    buffers = [s.take(1) for s in scratch]
    second = _byte_classes.count_png_pair(image, image, classes, ("t", "p"), scratch)
    assert_same(first, second)
    assert all(np.shares_memory(b, s.take(1)) for b, s in zip(buffers, scratch))
    assert first.matrix.trace() == labels.size


def test_the_pair_inflate_path_names_the_inflater():
    assert _byte_classes.pair_inflate_path() == f"{_png.inflater().name}, whole"
    old = _png._set_inflater(_png.STANDARD_ZLIB)
    try:
        assert _byte_classes.pair_inflate_path().startswith("zlib ")
    finally:
        _png._set_inflater(old)


def test_wrapper_examples_run():
    import doctest

    assert doctest.testmod(_byte_classes).failed == 0


# ---------------------------------------------------------------------------------------------
# The eval: 8-bit PNG pairs go through the kernel above, everything else is decoded first

@pytest.fixture(params=["imagecodecs", "zlib"])
def inflating(request):
    """The eval's PNG pairs inflated by the first inflater (imagecodecs' libdeflate, the test
    extra), or by the standard library's zlib."""
    if request.param == "imagecodecs":
        pytest.importorskip("imagecodecs")
    old = _png._set_inflater(None if request.param == "imagecodecs" else _png.STANDARD_ZLIB)
    yield _png.inflater().name
    _png._set_inflater(old)


def _pair(tmp_path, name, truth_bytes, pred_bytes, suffix=".png"):
    gt, pred = tmp_path / f"{name}_gt{suffix}", tmp_path / f"{name}{suffix}"
    gt.write_bytes(truth_bytes)
    pred.write_bytes(pred_bytes)
    return _io.LabelPair(name, str(gt), str(pred))


@pytest.mark.parametrize("options, truth_values, pred_values", [
    (EvalOptions(num_classes=19, ignore_index=(255,)), 19, 19),
    (EvalOptions(num_classes=19, ignore_index=(255,), label_map=_io.parse_label_map("cityscapes")),
     34, 19),
    (EvalOptions(num_classes=33, ignore_index=(255,), reduce_zero_label=True), 34, 33),
])
def test_png_pairs_count_as_their_decoded_npy_twins(inflating, tmp_path, options, truth_values, pred_values):
    rng = np.random.default_rng(3)
    for index in range(3):
        truth = label_map(rng, (37, 90), "blocky", truth_values).astype(np.uint8)
        truth[rng.random(truth.shape) < 0.05] = 255
        pred = np.where(rng.random(truth.shape) < 0.2, rng.integers(0, pred_values, truth.shape),
                        truth % pred_values).astype(np.uint8)
        filters = rng.integers(0, 5, truth.shape[0]).tolist()
        palette = [0, 0, 0] * 256 if index == 2 else None  # palette PNGs give their indices
        png = _pair(tmp_path, f"p{index}", encode_png(truth, filters, palette=palette),
                    encode_png(pred, filters, palette=palette))
        npy = _io.LabelPair(f"n{index}", str(tmp_path / f"n{index}_gt.npy"),
                            str(tmp_path / f"n{index}.npy"))
        np.save(npy.gt, truth)
        np.save(npy.pred, pred)
        expected = count_pair(npy, options)
        actual = count_pair(png, options)
        np.testing.assert_array_equal(actual.matrix, expected.matrix)
        assert actual.pixels == expected.pixels == truth.size


def test_a_corrupt_row_filter_still_names_the_file(inflating, tmp_path):
    labels = np.zeros((4, 6), np.uint8)
    good = encode_png(labels, [NONE] * 4)
    corrupt = bytearray(filter_rows(labels, [NONE] * 4))
    corrupt[2 * 7] = 9
    header = struct.pack(">IIBBBBB", 6, 4, 8, 0, 0, 0, 0)
    bad = _png.SIGNATURE + _png._chunk(b"IHDR", header) + \
        _png._chunk(b"IDAT", zlib.compress(bytes(corrupt))) + _png._chunk(b"IEND", b"")
    pair = _pair(tmp_path, "x", good, bad)
    with pytest.raises(EvalError, match=r"^cannot decode .*x\.png: it is corrupt \(row 2 has the "
                                        r"filter type 9; PNG defines 0 to 4\)$"):
        count_pair(pair, EvalOptions(num_classes=3))


def test_out_of_range_labels_in_png_pairs_name_the_file_and_values(inflating, tmp_path):
    truth = np.zeros((3, 4), np.uint8)
    pred = np.full((3, 4), 7, np.uint8)
    pair = _pair(tmp_path, "y", encode_png(truth, [UP] * 3), encode_png(pred, [SUB] * 3))
    with pytest.raises(EvalError, match=r"y\.png has 12 pixel\(s\) with label\(s\) outside \[0, 5\): 7"):
        count_pair(pair, EvalOptions(num_classes=5))


def test_16_bit_and_mismatched_pngs_take_the_decoding_path(tmp_path, monkeypatch):
    """Their headers send them there before anything is inflated (so nothing twice)."""
    def no_inflating(*args):
        raise AssertionError("inflated for the fused path")

    monkeypatch.setattr(_byte_classes, "inflate_png", no_inflating)
    truth = np.arange(12, dtype=np.uint16).reshape(3, 4)
    pair = _pair(tmp_path, "w", encode_png(truth, [NONE] * 3, depth=16),
                 encode_png(truth, [UP] * 3, depth=16))
    np.testing.assert_array_equal(count_pair(pair, EvalOptions(num_classes=12)).matrix,
                                  np.eye(12, dtype=np.int64))
    small = _pair(tmp_path, "v", encode_png(truth.astype(np.uint8), [NONE] * 3),
                  encode_png(truth[:2].astype(np.uint8), [NONE] * 2))
    with pytest.raises(EvalError, match="they must be equal"):
        count_pair(small, EvalOptions(num_classes=12))
