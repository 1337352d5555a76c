"""COCO panoptic PNG pairs decoded and counted together (``fastiou.evaluate._rgb_overlaps``
and its kernel ``_rgb_pairs``), the compiled matching (``panoptic._match``) and the compiled
segments_info reader (``panoptic._columns``), each against its NumPy twin.

The PNGs are written by the test's own encoder (``test_png.filter_rows``: every row filter,
chosen row by row) and by Pillow; the oracles are ``fastiou.reference.segment_overlaps``
(``np.unique`` of a 64-bit key a pixel) on the decoded maps and the whole-image path
``pq_compute`` took before (decode each PNG, then ``count_overlaps``).
"""

from __future__ import annotations

import json
import struct
import threading
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from panoptic_cases import CATEGORIES, ids_to_rgb, make_image
from test_png import ADAM7, filter_rows

from fastiou import reference
from fastiou.compat import panopticapi
from fastiou.evaluate import _png
from fastiou.evaluate._rgb_overlaps import png_pair_overlaps
from fastiou.evaluate._rgb_pairs import COUNTED, TABLE_FULL, compact_rows, count_rgb_png_pair
from fastiou.panoptic._columns import segment_columns
from fastiou.panoptic._matching import (
    _parse_one_by_one,
    image_stats,
    image_stats_numpy,
    parse_categories,
    parse_segments,
)
from fastiou.panoptic._overlaps import count_overlaps

Image = pytest.importorskip("PIL.Image")

INFLATERS = _png.inflaters()


def _scratch():
    return (_png.Scratch(), _png.Scratch())


def _rgb_png(pixels, filters, interlace=False):
    """The bytes of an 8-bit RGB (3 channels) or RGBA (4) PNG of `pixels` (H, W, C), row y
    filtered with ``filters[y % len(filters)]``; Adam7 when `interlace`."""
    height, width, channels = pixels.shape
    header = struct.pack(">IIBBBBB", width, height, 8, 2 if channels == 3 else 6, 0, 0,
                         int(interlace))
    if interlace:
        parts, used = [], 0
        for column, row, column_step, row_step in ADAM7:
            image = pixels[row::row_step, column::column_step]
            if image.size:
                kinds = [filters[(used + k) % len(filters)] for k in range(image.shape[0])]
                parts.append(filter_rows(image.reshape(image.shape[0], -1), kinds, step=channels))
                used += image.shape[0]
        data = b"".join(parts)
    else:
        data = filter_rows(pixels.reshape(height, -1),
                           [filters[y % len(filters)] for y in range(height)], step=channels)
    return (_png.SIGNATURE + _png._chunk(b"IHDR", header) + _png._chunk(b"IDAT", zlib.compress(data))
            + _png._chunk(b"IEND", b""))


def _pixels(ids, channels, rng):
    """COCO colours of `ids` with an alpha channel of random or constant values."""
    rgb = ids_to_rgb(ids)
    if channels == 3:
        return rgb
    alpha = rng.integers(0, 256, ids.shape) if rng.random() < 0.5 else np.full(ids.shape, 255)
    return np.concatenate([rgb, alpha[..., None].astype(np.uint8)], axis=-1)


def _same(result, expected):
    assert len(result) == 3 and len(expected) == 3
    for got, want in zip(result, expected):
        assert got.dtype == np.int64
        np.testing.assert_array_equal(got, want)


def _old_path(gt_path, pred_path):
    """The whole-image path: both PNGs decoded, then the overlap kernel."""
    return count_overlaps(_png.read_rgb_png(gt_path), True, _png.read_rgb_png(pred_path), True, 1)


@st.composite
def _id_maps(draw):
    """Two id maps of one size made of horizontal runs, rows often repeating the row above
    (the rows a PNG encoder stores as zero Up or Paeth rows), ids up to 2**24 - 1."""
    height = draw(st.integers(1, 20))
    width = draw(st.integers(1, 45))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n_ids = draw(st.sampled_from([1, 2, 5, 40]))
    palette = rng.integers(0, 1 << 24, n_ids)
    palette[0] = 0  # void
    maps = []
    for _ in range(2):
        image = np.zeros((height, width), dtype=np.int64)
        row = palette[rng.integers(0, n_ids, width)]
        for y in range(height):
            if y == 0 or rng.random() < 0.4:  # a new row of runs
                cuts = np.sort(rng.integers(0, width + 1, rng.integers(0, 6)))
                row = np.repeat(palette[rng.integers(0, n_ids, cuts.size + 1)],
                                np.diff(np.concatenate([[0], cuts, [width]])))
            image[y] = row
        maps.append(image)
    filters = [draw(st.lists(st.integers(0, 4), min_size=1, max_size=height)) for _ in range(2)]
    channels = [draw(st.sampled_from([3, 4])) for _ in range(2)]
    return maps, filters, channels, rng


@pytest.mark.parametrize("inflater", INFLATERS, ids=[i.name.split()[0] for i in INFLATERS])
@settings(max_examples=60)
@given(case=_id_maps())
def test_pairs_with_every_row_filter_equal_the_oracle_and_the_old_path(tmp_path_factory,
                                                                       inflater, case):
    (gt_ids, pred_ids), (gt_filters, pred_filters), (gt_channels, pred_channels), rng = case
    folder = tmp_path_factory.mktemp("pair")
    gt_path, pred_path = str(folder / "gt.png"), str(folder / "pred.png")
    with open(gt_path, "wb") as f:
        f.write(_rgb_png(_pixels(gt_ids, gt_channels, rng), gt_filters))
    with open(pred_path, "wb") as f:
        f.write(_rgb_png(_pixels(pred_ids, pred_channels, rng), pred_filters))
    old = _png._set_inflater(inflater)
    try:
        result = png_pair_overlaps(gt_path, pred_path, _scratch())
        expected = reference.segment_overlaps(gt_ids, pred_ids)
        _same(result, expected)
        _same(_old_path(gt_path, pred_path), expected)
    finally:
        _png._set_inflater(old)


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
def test_pillow_written_panoptic_pngs_equal_the_old_path(tmp_path, mode):
    """Pillow's own filter choice (what COCO's converters write), scratch buffers reused
    from image to image and grown for a larger one."""
    rng = np.random.default_rng(7)
    scratch = _scratch()
    for k, (h, w) in enumerate([(64, 96), (120, 200), (33, 17), (200, 300)]):
        gt_ids, _, pred_ids, _ = make_image(rng, h, w, n_things=25, n_stuff=4, thing_scale=0.3)
        paths = []
        for name, ids in (("gt", gt_ids), ("pred", pred_ids)):
            pixels = _pixels(ids, 3 if mode == "RGB" else 4, rng)
            paths.append(str(tmp_path / f"{name}{k}.png"))
            Image.fromarray(pixels, mode=mode).save(paths[-1])
        result = png_pair_overlaps(*paths, scratch)
        _same(result, reference.segment_overlaps(gt_ids, pred_ids))
        _same(result, _old_path(*paths))


def test_many_pairs_regrow_the_table(tmp_path):
    """More distinct pairs than the first table holds (2048): counted again in a larger one."""
    rng = np.random.default_rng(3)
    gt_ids = rng.integers(1, 1 << 24, (70, 90))
    pred_ids = rng.integers(1, 1 << 24, (70, 90))
    paths = []
    for name, ids in (("gt", gt_ids), ("pred", pred_ids)):
        paths.append(str(tmp_path / f"{name}.png"))
        Image.fromarray(ids_to_rgb(ids)).save(paths[-1])
    _same(png_pair_overlaps(*paths, _scratch()), reference.segment_overlaps(gt_ids, pred_ids))


def test_other_pngs_and_bad_data_are_left_to_the_whole_image_path(tmp_path):
    """Interlaced, palette, 16-bit, grayscale, missing, corrupt files, a bad filter byte and
    sizes that differ give None (the caller then decodes the files, which reads them or says
    what is wrong)."""
    rng = np.random.default_rng(1)
    ids = rng.integers(0, 4, (12, 10)) * 70000
    good = tmp_path / "good.png"
    good.write_bytes(_rgb_png(ids_to_rgb(ids), [0, 1, 2, 3, 4]))
    interlaced = tmp_path / "interlaced.png"
    interlaced.write_bytes(_rgb_png(ids_to_rgb(ids), [0, 1, 2, 3, 4], interlace=True))
    np.testing.assert_array_equal(np.asarray(Image.open(interlaced)), ids_to_rgb(ids))
    Image.fromarray(ids.astype(np.uint8), mode="L").save(tmp_path / "gray.png")
    Image.fromarray(ids.astype(np.uint8), mode="L").convert("P").save(tmp_path / "palette.png")
    (tmp_path / "deep.png").write_bytes(good.read_bytes()[:24] + b"\x10"
                                        + good.read_bytes()[25:])  # 16 bits a sample
    (tmp_path / "corrupt.png").write_bytes(good.read_bytes()[:-20])
    Image.fromarray(ids_to_rgb(ids[:, :9])).save(tmp_path / "narrow.png")
    bad_filter = bytearray(filter_rows(ids_to_rgb(ids).reshape(12, -1), [1] * 12, step=3))
    bad_filter[5 * (1 + 30)] = 7  # row 5's filter type
    header = struct.pack(">IIBBBBB", 10, 12, 8, 2, 0, 0, 0)
    (tmp_path / "filter.png").write_bytes(
        _png.SIGNATURE + _png._chunk(b"IHDR", header)
        + _png._chunk(b"IDAT", zlib.compress(bytes(bad_filter))) + _png._chunk(b"IEND", b""))
    for other in ("interlaced", "gray", "palette", "deep", "corrupt", "narrow", "filter",
                  "missing"):
        path = str(tmp_path / f"{other}.png")
        assert png_pair_overlaps(str(good), path, _scratch()) is None, other
        assert png_pair_overlaps(path, str(good), _scratch()) is None, other
    _same(png_pair_overlaps(str(good), str(good), _scratch()),
          reference.segment_overlaps(ids, ids))


def test_pq_compute_reads_interlaced_pngs_and_names_a_bad_filter_byte(tmp_path):
    """Through pq_compute: an interlaced prediction is read by Pillow (same result as the
    plain one); a row filter type outside 0..4 is a ValueError naming the file."""
    rng = np.random.default_rng(5)
    gt_ids, gt_segments, pred_ids, pred_segments = make_image(rng, 30, 40)
    for folder in ("gt", "pred"):
        (tmp_path / folder).mkdir()
    Image.fromarray(ids_to_rgb(gt_ids)).save(tmp_path / "gt" / "a.png")
    Image.fromarray(ids_to_rgb(pred_ids)).save(tmp_path / "pred" / "a.png")
    for name, segments in (("gt", gt_segments), ("pred", pred_segments)):
        content = {"annotations": [{"image_id": 1, "file_name": "a.png",
                                    "segments_info": segments}], "categories": CATEGORIES}
        (tmp_path / f"{name}.json").write_text(json.dumps(content))
    plain = panopticapi.pq_compute(str(tmp_path / "gt.json"), str(tmp_path / "pred.json"))
    (tmp_path / "pred" / "a.png").write_bytes(_rgb_png(ids_to_rgb(pred_ids), [4, 2, 1],
                                                       interlace=True))
    assert panopticapi.pq_compute(str(tmp_path / "gt.json"), str(tmp_path / "pred.json")) == plain
    data = bytearray(filter_rows(ids_to_rgb(pred_ids).reshape(30, -1), [2] * 30, step=3))
    data[3 * (1 + 120)] = 9
    header = struct.pack(">IIBBBBB", 40, 30, 8, 2, 0, 0, 0)
    (tmp_path / "pred" / "a.png").write_bytes(
        _png.SIGNATURE + _png._chunk(b"IHDR", header)
        + _png._chunk(b"IDAT", zlib.compress(bytes(data))) + _png._chunk(b"IEND", b""))
    with pytest.raises(ValueError, match=r"prediction .*a\.png.*corrupt \(row 3 has the filter type 9"):
        panopticapi.pq_compute(str(tmp_path / "gt.json"), str(tmp_path / "pred.json"))


def test_kernel_argument_errors():
    data = np.zeros(2 * (1 + 6), dtype=np.uint8)
    data[7] = 2  # row 1: Up, all zero (the row above again)
    with pytest.raises(ValueError, match="do not fit"):
        compact_rows(data, 3, 2, 3)
    with pytest.raises(ValueError, match="do not fit"):
        compact_rows(data, 2, 2, 2)
    status, offsets, size = compact_rows(data, 2, 2, 3)
    assert status == COUNTED and offsets.tolist() == [0, 0] and size == 6
    with pytest.raises(ValueError, match="do not fit"):
        count_rgb_png_pair(data[:6], offsets, data[:-1], 2, 2, 3, 3, 8)
    with pytest.raises(ValueError, match="outside"):
        count_rgb_png_pair(data[:5], offsets, data, 2, 2, 3, 3, 8)
    with pytest.raises(ValueError, match="power of two"):
        count_rgb_png_pair(data[:6], offsets, data, 2, 2, 3, 3, 6)
    status, keys, counts = count_rgb_png_pair(data[:6], offsets, data, 2, 2, 3, 3, 8)
    assert status == COUNTED and keys.tolist() == [0] and counts.tolist() == [4]
    many = np.arange(2 * (1 + 6), dtype=np.uint8)
    many[::7] = 0  # filter None on both rows: four distinct pixels
    status, offsets, size = compact_rows(many.copy(), 2, 2, 3)
    status, keys, counts = count_rgb_png_pair(many[:size], offsets, many, 2, 2, 3, 3, 2)
    assert status == TABLE_FULL


# -- the compiled matching and segments_info reader against their NumPy twins --------------

CATS = parse_categories(CATEGORIES)


@settings(max_examples=60)
@given(seed=st.integers(0, 2**32 - 1), h=st.integers(4, 40), w=st.integers(4, 40),
       n_things=st.integers(0, 12), n_stuff=st.integers(0, 4))
def test_compiled_matching_equals_the_numpy_matching(seed, h, w, n_things, n_stuff):
    rng = np.random.default_rng(seed)
    gt_ids, gt_segments, pred_ids, pred_segments = make_image(rng, h, w, n_things, n_stuff)
    overlaps = reference.segment_overlaps(gt_ids, pred_ids)
    from fastiou.panoptic import SegmentOverlaps
    overlaps = SegmentOverlaps(*overlaps)
    for listed_area in (True, False):
        gt = parse_segments(gt_segments, CATS, "gt", listed_area=listed_area)
        pred = parse_segments(pred_segments, CATS, "pred")
        result = image_stats(overlaps, gt, pred, len(CATS.ids), "gt", "pred")
        expected = image_stats_numpy(overlaps, gt, pred, len(CATS.ids), "gt", "pred")
        for got, want in zip(result, expected):
            assert got.dtype == want.dtype
            np.testing.assert_array_equal(got, want)  # the IoUs bit for bit, in order


def test_compiled_matching_leaves_bad_input_to_the_numpy_messages():
    rng = np.random.default_rng(2)
    gt_ids, gt_segments, pred_ids, pred_segments = make_image(rng, 30, 30, 6, 2)
    from fastiou.panoptic import SegmentOverlaps
    overlaps = SegmentOverlaps(*reference.segment_overlaps(gt_ids, pred_ids))
    gt = parse_segments(gt_segments, CATS, "GT", listed_area=True)
    pred = parse_segments(pred_segments, CATS, "PRED")
    cases = [
        (gt._replace(ids=gt.ids[1:], category=gt.category[1:], iscrowd=gt.iscrowd[1:],
                     area=gt.area[1:], listed=gt.listed[1:]), pred, "GT: segment id"),
        (gt, pred._replace(ids=pred.ids[1:], category=pred.category[1:],
                           listed=pred.listed[1:]), "PRED: segment id"),
        (gt._replace(area=gt.area * 0), pred, "in segments_info but covers"),
        (gt, pred._replace(ids=np.append(pred.ids, 2**31), category=np.append(pred.category, 0),
                           iscrowd=np.append(pred.iscrowd, False),
                           listed=np.append(pred.listed, 99)), "covers no pixel"),
    ]
    for gt_table, pred_table, fragment in cases:
        with pytest.raises(ValueError, match=fragment):
            image_stats(overlaps, gt_table, pred_table, len(CATS.ids), "GT", "PRED")


def _segment_lists():
    plain = st.fixed_dictionaries(
        {"id": st.integers(1, 60), "category_id": st.sampled_from([1, 3, 7, 10, 12, 20])},
        optional={"iscrowd": st.integers(0, 1), "area": st.integers(0, 500)})
    odd = st.fixed_dictionaries(
        {"id": st.one_of(st.integers(-2, 2**33), st.booleans(), st.just(np.int64(5)),
                         st.floats(1, 3)),
         "category_id": st.one_of(st.sampled_from([1, 3, 2, 99]), st.just(True)),
         "area": st.one_of(st.integers(-1, 3), st.just(None))},
        optional={"iscrowd": st.one_of(st.integers(-1, 2), st.just(None), st.just(False))})
    return st.lists(st.one_of(plain, plain, odd), max_size=8)


@settings(max_examples=300)
@given(segments=_segment_lists(), listed_area=st.booleans())
def test_segments_reader_equals_reading_one_by_one(segments, listed_area):
    """The compiled reader and the one-by-one Python reader give the same table, or the
    same error (the compiled one leaves anything unusual to the Python one)."""
    try:
        expected = _parse_one_by_one(segments, CATS, "where", listed_area)
    except (ValueError, TypeError) as exc:
        with pytest.raises(type(exc), match="where"):
            parse_segments(segments, CATS, "where", listed_area)
        return
    result = parse_segments(segments, CATS, "where", listed_area)
    for name in result._fields:
        got, want = getattr(result, name), getattr(expected, name)
        if want is None:
            assert got is None
        else:
            np.testing.assert_array_equal(got, want)
            assert got.dtype == want.dtype


def test_segments_reader_reads_plain_json_values_only():
    ids, sorted_position = CATS.sorted_ids, CATS.sorted_position
    good = [{"id": 5, "category_id": 10, "area": 3}, {"id": 2, "category_id": 1, "iscrowd": 1,
                                                     "area": 0}]
    columns = segment_columns(good, True, ids, sorted_position)  # sorted by id
    assert [c.tolist() for c in columns] == [[2, 5], [0, 3], [True, False], [0, 3], [1, 0]]
    assert segment_columns(good, False, ids, sorted_position)[3] is None
    assert segment_columns(good + [dict(good[1])], False, ids, sorted_position) is None
    assert [c.tolist() for c in segment_columns([], True, ids, sorted_position)] == [[]] * 5
    for bad in ({"id": np.int64(5), "category_id": 10}, {"id": True, "category_id": 10},
                {"id": 5, "category_id": 10, "iscrowd": None}, {"id": 2**40, "category_id": 1},
                {"id": 5}, {"category_id": 1}, {"id": 5, "category_id": 2}, [5, 1]):
        assert segment_columns([bad], False, ids, sorted_position) is None, bad
    with pytest.raises(ValueError, match="one position a category id"):
        segment_columns(good, True, ids, sorted_position[:1])


# -- the threads of evaluate_files -------------------------------------------------------------

def test_helpers_keep_the_order_and_raise_the_first_failure():
    helpers = panopticapi._Helpers(2)
    with helpers:
        assert helpers.map(lambda x: x * x, list(range(50))) == [x * x for x in range(50)]
    started = []
    lock = threading.Lock()

    def work(x):
        with lock:
            started.append(x)
        if x in (7, 30):
            raise KeyError(x)
        return x

    for _ in range(20):  # whichever thread meets a failure first, the first item's is raised
        started.clear()
        with pytest.raises(KeyError, match="7"), panopticapi._Helpers(3) as helpers:
            helpers.map(work, list(range(60)))
        assert set(range(8)) <= set(started)
    with panopticapi._Helpers(1) as helpers:  # threads given no work end
        pass
    with panopticapi._Helpers(0) as helpers:
        assert helpers.map(str, [1, 2]) == ["1", "2"]
