"""Differential fuzz targets: each turns a byte string into a call of a public fastiou function
and checks it against the NumPy reference, or checks that bad input raises a clear
TypeError/ValueError and nothing else. Used by tools/fuzz.py (atheris, long runs) and by
tests/test_fuzz.py (a short run of random byte strings inside the suite).
"""

import json

import numpy as np

import fastiou
from fastiou import reference
from fastiou.panoptic._coco_json import read_coco_panoptic
from fastiou.panoptic._columns import KEY_INT, KEY_OTHER, NOT_AN_OBJECT
from fastiou.panoptic._matching import JsonSegments, parse_categories, parse_segments
from fastiou.segmentation._core import count_pairs

LABEL_DTYPES = ["bool", "uint8", "int8", "uint16", "int16", "uint32", "int32", "uint64", "int64"]


class ByteReader:
    """Draws bounded values from a byte string; past its end it yields zeros."""

    def __init__(self, data):
        self.data = data
        self.pos = 0

    def byte(self):
        value = self.data[self.pos] if self.pos < len(self.data) else 0
        self.pos += 1
        return value

    def integer(self, low, high):
        """An int in [low, high] from up to four bytes."""
        span = high - low + 1
        value = 0
        for _ in range(4 if span > 256 else 1):
            value = value * 256 + self.byte()
        return low + value % span

    def choice(self, options):
        return options[self.integer(0, len(options) - 1)]

    def raw(self, count):
        chunk = self.data[self.pos:self.pos + count]
        self.pos += count
        return chunk.ljust(count, b"\0")


def _labels(reader, dtype, size, num_classes):
    """Labels mostly in range, with the bytes' own values (any bit pattern) mixed in."""
    dtype = np.dtype(dtype)
    raw = np.frombuffer(reader.raw(size * dtype.itemsize), dtype=dtype.newbyteorder("<")).astype(dtype)
    if dtype == np.bool_:
        return raw.view(np.uint8).astype(bool) if size else np.zeros(0, bool)
    in_range = (raw.astype(np.uint64) % np.uint64(num_classes)).astype(dtype)
    keep_raw = np.frombuffer(reader.raw(size), dtype=np.uint8) < 40
    return np.where(keep_raw, raw, in_range)


def _layout(reader, array, shape):
    array = array.reshape(shape)
    kind = reader.choice(["C", "F", "reversed", "strided"])
    if kind == "F":
        return np.asfortranarray(array)
    if kind == "reversed":
        return np.ascontiguousarray(array[::-1])[::-1]
    if kind == "strided":
        return np.repeat(array, 2, axis=-1)[..., ::2]
    return array


def confusion_target(data):
    """Fast kernel == NumPy reference on arbitrary labels, ignore sets, weights, threads."""
    reader = ByteReader(data)
    num_classes = reader.integer(1, 300)
    dims = reader.integer(1, 3)
    shape = tuple(reader.integer(0, 9 if dims > 1 else 700) for _ in range(dims))
    size = int(np.prod(shape))
    first_dtype = reader.choice(LABEL_DTYPES)
    second_dtype = first_dtype if reader.byte() < 160 else reader.choice(LABEL_DTYPES)
    truth = _layout(reader, _labels(reader, first_dtype, size, num_classes), shape)
    pred = _layout(reader, _labels(reader, second_dtype, size, num_classes), shape)
    ignore = [reader.integer(-2, 300) for _ in range(reader.integer(0, 3))]
    weights = None
    if reader.byte() < 64:
        weights = np.frombuffer(reader.raw(size), dtype=np.uint8).astype(np.float64) / 4
        weights = weights.reshape(shape)
    n_threads = reader.integer(1, 3)
    before = [truth.copy(), pred.copy()]

    counts = count_pairs(truth, pred, num_classes, ignore_index=ignore, sample_weight=weights,
                         n_threads=n_threads, out_of_range="miss")

    def to_int64(labels):   # uint64 values past int64 are out of range either way
        if labels.dtype == np.uint64:
            return np.minimum(labels, np.iinfo(np.int64).max).astype(np.int64)
        return labels.astype(np.int64)

    expected = reference.confusion_counts(to_int64(truth), to_int64(pred), num_classes, ignore, weights)
    for got, want in zip(counts, expected):
        assert np.array_equal(got, want), (got, want)
    assert np.array_equal(truth, before[0]) and np.array_equal(pred, before[1])
    if counts.n_bad_true or counts.n_bad_pred:
        try:
            fastiou.confusion_matrix(truth, pred, num_classes, ignore_index=ignore)
        except ValueError as error:
            assert "outside" in str(error)
        else:
            raise AssertionError("out-of-range labels did not raise")


def bad_input_target(data):
    """Arbitrary junk arguments give TypeError/ValueError (or a valid result), never a crash."""
    reader = ByteReader(data)
    junk = [None, 0, -1, 2.5, "x", [], [[0, 1], [2]], np.array(1), np.zeros((2, 2)),
            np.array([1j]), np.array([None]), np.arange(4), np.arange(4).reshape(2, 2),
            np.arange(6, dtype=np.uint8), True, 10 ** 30, -(10 ** 30), (1, 2), np.ones(4) * np.nan]
    args = [reader.choice(junk) for _ in range(3)]
    kwargs = {}
    for name in ("ignore_index", "sample_weight", "n_threads", "out_of_range"):
        if reader.byte() < 80:
            kwargs[name] = reader.choice(junk + ["raise", "miss", "ignore"])
    function = reader.choice([fastiou.confusion_matrix, fastiou.per_class_iou, fastiou.mean_iou])
    try:
        function(*args, **kwargs)
    except (TypeError, ValueError):
        pass


COORDINATE_SPECIALS = [0.0, -0.0, 1e6, -1e6, 0.5, np.nan, np.inf, -np.inf]


def _boxes(reader, count, width):
    """Boxes from small integers and halves, with huge, negative and non-finite values mixed in."""
    values = np.frombuffer(reader.raw(count * width), dtype=np.int8).astype(np.float64) / 2
    specials = np.frombuffer(reader.raw(count * width), dtype=np.uint8)
    picks = np.array(COORDINATE_SPECIALS)[specials % len(COORDINATE_SPECIALS)]
    return np.where(specials > 245, picks, values).reshape(count, width)


def boxes_target(data):
    """box_iou (every format and mode), box_area and rotated_box_iou against their references."""
    reader = ByteReader(data)
    n, m = reader.integer(0, 12), reader.integer(0, 12)
    fmt = reader.choice(["xyxy", "xywh", "cxcywh"])
    mode = reader.choice(["iou", "iof", "giou", "diou", "ciou"])
    aligned = reader.byte() < 64
    if aligned:
        m = n
    offset = reader.choice([0, 1])
    crowd = (np.frombuffer(reader.raw(m), dtype=np.uint8) < 80) if mode == "iou" and reader.byte() < 64 else None
    first, second = _boxes(reader, n, 4), _boxes(reader, m, 4)
    before = (first.copy(), second.copy())
    got = fastiou.box_iou(first, second, fmt=fmt, mode=mode, aligned=aligned, offset=offset,
                          iscrowd=crowd, n_threads=reader.integer(1, 3))
    with np.errstate(all="ignore"):  # the oracle may compute inf * 0 on its way to NaN
        want = reference.box_iou(first, second, fmt, mode, aligned=aligned, offset=offset,
                                 iscrowd=crowd)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)
    assert np.array_equal(first, before[0], equal_nan=True) and np.array_equal(second, before[1], equal_nan=True)
    finite = np.abs(first).max(initial=0) < 1e5 and np.abs(second).max(initial=0) < 1e5
    if finite and np.isfinite(first).all() and np.isfinite(second).all():
        np.testing.assert_allclose(fastiou.box_area(first, fmt=fmt), reference.box_area(first, fmt),
                                   rtol=1e-12)
        rotated1 = np.column_stack([np.abs(first), _boxes(reader, n, 1) * 10])[:, :5]
        rotated2 = np.column_stack([np.abs(second), _boxes(reader, m, 1) * 10])[:, :5]
        if np.isfinite(rotated1).all() and np.isfinite(rotated2).all():
            iou = fastiou.rotated_box_iou(rotated1, rotated2, aligned=aligned)
            assert ((iou >= 0) & (iou <= 1 + 1e-12)).all()
            np.testing.assert_allclose(fastiou.rotated_box_iou(rotated2, rotated1, aligned=aligned),
                                       iou.T, rtol=1e-9, atol=1e-9)


def masks_target(data):
    """mask_iou on arrays and on RLEs, and the RLE codec, against the NumPy reference."""
    reader = ByteReader(data)
    n, m = reader.integer(0, 6), reader.integer(0, 6)
    height, width = reader.integer(0, 24), reader.integer(0, 24)
    density = reader.byte()

    def masks(count):
        raw = np.frombuffer(reader.raw(count * height * width), dtype=np.uint8)
        return (raw < density).reshape(count, height, width)

    first, second = masks(n), masks(m)
    crowd = (np.frombuffer(reader.raw(m), dtype=np.uint8) < 60) if reader.byte() < 64 else None
    want = reference.mask_iou(first, second, iscrowd=crowd)
    threads = reader.integer(1, 3)
    np.testing.assert_allclose(fastiou.mask_iou(first, second, iscrowd=crowd, n_threads=threads),
                               want, rtol=1e-12)
    rles1, rles2 = fastiou.rle_encode(first), fastiou.rle_encode(second)
    if n and m:
        np.testing.assert_allclose(fastiou.mask_iou(rles1, rles2, iscrowd=crowd), want, rtol=1e-12)
    for mask, rle in zip(first, rles1):
        assert rle["counts"] == reference.rle_string(reference.rle_runs(mask))
        listed = {"size": rle["size"], "counts": reference.rle_runs(mask)}
        assert np.array_equal(fastiou.rle_decode(listed), mask)
    if n:
        assert np.array_equal(fastiou.rle_decode(rles1), first)


def accumulator_target(data):
    """ConfusionMatrix updates in random pieces, merged, round-tripped, equal the one-shot count."""
    reader = ByteReader(data)
    num_classes = reader.integer(1, 40)
    size = reader.integer(0, 600)
    truth = _labels(reader, "int16", size, num_classes)
    pred = _labels(reader, "int16", size, num_classes)
    ignore = reader.integer(-1, 40)
    whole = fastiou.ConfusionMatrix(num_classes, ignore_index=ignore, out_of_range="miss")
    parts = [fastiou.ConfusionMatrix(num_classes, ignore_index=ignore, out_of_range="miss")
             for _ in range(reader.integer(1, 4))]
    cuts = sorted(reader.integer(0, size) for _ in range(len(parts) - 1))
    for part, chunk in zip(parts, np.split(np.arange(size), cuts)):
        part.update(truth[chunk], pred[chunk])
        whole.update(truth[chunk], pred[chunk])
    merged = fastiou.ConfusionMatrix.from_dict(parts[0].to_dict())
    merged.merge(*parts[1:])
    expected = reference.confusion_counts(truth, pred, num_classes, [ignore])
    for accumulator in (whole, merged):
        assert np.array_equal(accumulator.matrix, expected[0])
        assert np.array_equal(accumulator.miss, expected[1])


COCO_SEGMENT_KEYS = ("id", "category_id", "iscrowd", "area")
COCO_CATEGORIES = parse_categories([{"id": 1, "isthing": 1}, {"id": 3, "isthing": 0},
                                    {"id": 7, "isthing": 1}])


def _expected_state(segment):
    """The state bits and int values the reader records for one decoded segment."""
    if not isinstance(segment, dict):
        return NOT_AN_OBJECT, [0, 0, 0, 0]
    state, values = 0, [0, 0, 0, 0]
    for k, key in enumerate(COCO_SEGMENT_KEYS):
        if key not in segment:
            continue
        value = segment[key]
        if type(value) is int and len(str(abs(value))) <= 18:
            state |= KEY_INT << (2 * k)
            values[k] = value
        else:
            state |= KEY_OTHER << (2 * k)
    return state, values


def segment_table_or_error(segments_info, listed_area):
    """The segment table `parse_segments` makes of `segments_info`, or its error's type and
    message."""
    try:
        return parse_segments(segments_info, COCO_CATEGORIES, "here", listed_area=listed_area)
    except (TypeError, ValueError) as exc:
        return type(exc), str(exc)


def same_segment_table(a, b):
    """Whether two results of :func:`segment_table_or_error` are the same."""
    if isinstance(a, tuple) and isinstance(a[0], type):
        return a == b
    return all((x is None and y is None) or np.array_equal(x, y) for x, y in zip(a, b))


def check_coco_json(text):
    """The COCO panoptic JSON reader's result for `text` is what json.loads gives: None
    for every text json.loads refuses; the same values, segment states and tables (or the
    same errors) for what it reads."""
    ours = read_coco_panoptic(text)
    try:
        theirs = json.loads(text)
    except (ValueError, RecursionError):
        assert ours is None
        return
    if ours is None:  # json.loads reads it; the reader may leave any text to it
        return
    assert isinstance(theirs, dict)
    assert set(ours) == {"annotations", "categories"} & set(theirs)
    if "categories" in theirs:
        assert ours["categories"] == theirs["categories"]
    if "annotations" not in theirs:
        return
    if not isinstance(theirs["annotations"], list):
        assert ours["annotations"] == theirs["annotations"]
        return
    assert len(ours["annotations"]) == len(theirs["annotations"])
    for mine, annotation in zip(ours["annotations"], theirs["annotations"]):
        if not isinstance(annotation, dict):
            assert mine == annotation
            continue
        assert set(mine) == {"image_id", "file_name", "segments_info"} & set(annotation)
        for key in ("image_id", "file_name"):
            if key in annotation:
                assert mine[key] == annotation[key] and type(mine[key]) is type(annotation[key])
        if "segments_info" not in annotation:
            continue
        listed = annotation["segments_info"]
        if not isinstance(listed, list):
            assert mine["segments_info"] == listed
            continue
        read = mine["segments_info"]
        assert type(read) is JsonSegments
        assert json.loads(read.source) == listed
        expected = [_expected_state(segment) for segment in listed]
        assert read.states.tolist() == [state for state, _ in expected]
        for k, (state, values) in enumerate(expected):
            for j in range(4):
                if (state >> (2 * j)) & 3 == KEY_INT:
                    assert read.values[k, j] == values[j]
        for listed_area in (False, True):
            assert same_segment_table(segment_table_or_error(read, listed_area),
                                      segment_table_or_error(listed, listed_area))


JSON_EDITS = b'{}[]",:-+.0123eE\\/ubfnrtx \t\n\x00\x1f\x7f\xc3'
JSON_VALUES = [0, 1, 3, 7, -1, 2**32, 10**19, 1.0, 1e300, True, None, "x", [], {}, [1, {"id": 2}]]


def coco_json_target(data):
    """The COCO panoptic JSON reader never crashes (nor reads outside the text), leaves
    (None) every text json.loads refuses, and what it reads has json.loads's values: a
    document drawn from the bytes, then edited a few bytes at a time."""
    reader = ByteReader(data)
    keys = ["id", "category_id", "iscrowd", "area", "bbox"]
    segments = [{reader.choice(keys): reader.choice(JSON_VALUES)
                 for _ in range(reader.integer(0, 5))} for _ in range(reader.integer(0, 6))]
    document = {"annotations": [{"image_id": reader.integer(0, 9), "file_name": "a.png",
                                 "segments_info": segments}], "categories": []}
    text = bytearray(json.dumps(document, indent=reader.choice([None, 1])).encode())
    for _ in range(reader.integer(0, 3)):
        at = reader.integer(0, len(text))
        edit, byte = reader.integer(0, 2), reader.choice(JSON_EDITS)
        if edit == 0 and at < len(text):
            del text[at]
        elif edit == 1:
            text.insert(at, byte)
        elif at < len(text):
            text[at] = byte
    check_coco_json(bytes(text))


TARGETS = {"confusion": confusion_target, "bad_input": bad_input_target, "boxes": boxes_target,
           "masks": masks_target, "accumulator": accumulator_target, "coco_json": coco_json_target}
