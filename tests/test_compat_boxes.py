"""Differential tests of the box compatibility profiles against the real peers.

- ``fastiou.compat.cython_bbox`` against the installed cython_bbox,
- ``fastiou.compat.pycocotools`` against the installed pycocotools,
- ``fastiou.compat.torchvision`` against torchvision 0.28.0's own ``ops/boxes.py`` and
  ``fastiou.compat.mmdet`` against mmdet 2.28.2's own ``iou2d_calculator.py``, both read
  from the published wheels and run unchanged on the installed torch (``peer_sources``:
  neither package installs beside this torch).

Every example compares the result type, dtype, shape and every value (NaN where the peer
has NaN), or the exception type where the peer raises. The boxes mix ordinary, empty,
inverted, tiny, huge, NaN and infinite coordinates, empty sets and integer dtypes. The
default run draws a few dozen examples per test; ``-m slow`` runs 10,000 per profile.

Signed zeros: torch's own ``maximum``/``minimum`` pick between -0.0 and +0.0 differently
in its vector and scalar loops (so a -0.0 coordinate can flip the sign of an infinity in
torchvision itself, depending on where the box sits in memory); the generated
coordinates use +0.0 only.
"""

import importlib.util
import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import peer_sources

NEEDS_TORCH = pytest.mark.skipif(importlib.util.find_spec("torch") is None,
                                 reason="the torchvision and mmdet references run on torch")
SLOW = settings(max_examples=10_000, deadline=None, suppress_health_check=list(HealthCheck))
FAST = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))

SPECIAL = [0.0, 0.5, 1.0, 2.0, 3.0, -1.0, -2.5, 1e-30, 1e-7, 1e-45, 5e-324, 1e20, 1e38, 3e38,
           1e300, math.nan, math.inf, -math.inf]
FLOATS = st.one_of(
    st.integers(-6, 12).map(float),
    st.sampled_from(SPECIAL),
    st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False).map(lambda v: v + 0.0),
)
INTEGERS = st.one_of(st.integers(-6, 12), st.sampled_from([0, 1, 255, 2 ** 15, 2 ** 20, -(2 ** 20)]))
TORCH_DTYPES = ["float32", "float32", "float32", "float64", "float64", "float16", "int64", "int32",
                "uint8", "int16"]


def _cast(values, dtype):
    dtype = np.dtype(dtype)
    array = np.asarray(values, dtype=np.float64)
    if dtype.kind == "f":
        with np.errstate(over="ignore", invalid="ignore"):
            array = array.astype(dtype)
        array[array == 0] = 0  # tiny negatives round to -0.0 (see the module docstring)
        return array
    low, high = max(np.iinfo(dtype).min, -2 ** 62), min(np.iinfo(dtype).max, 2 ** 62)
    return np.clip(np.nan_to_num(array, nan=0, posinf=high, neginf=low), low, high).astype(dtype)


@st.composite
def box_arrays(draw, n=None, dtype=None, batch=(), width=4, integers=False):
    """A ``batch + (n, width)`` array of coordinates of `dtype`."""
    n = draw(st.integers(0, 5)) if n is None else n
    dtype = draw(st.sampled_from(TORCH_DTYPES)) if dtype is None else dtype
    count = int(np.prod(batch + (n, width), dtype=np.int64))
    if np.dtype(dtype).kind in "iu" or integers:
        values = draw(st.lists(INTEGERS, min_size=count, max_size=count))
    else:
        values = draw(st.lists(FLOATS, min_size=count, max_size=count))
    return _cast(np.array(values, dtype=np.float64).reshape(batch + (n, width)), dtype)


def _same(expected, got):
    """Same kind of result (tensor, array or list), dtype, shape and values."""
    assert type(got) is type(expected), (type(expected), type(got))
    if isinstance(expected, list):
        assert got == expected
        return
    if hasattr(expected, "numpy"):
        assert got.dtype == expected.dtype
        expected, got = expected.numpy(), got.numpy()
    assert got.dtype == expected.dtype and got.shape == expected.shape, (expected, got)
    np.testing.assert_array_equal(got, expected)


def _compare(peer, compat):
    """Run both; demand equal results, or the same exception type (or a subclass, where
    the peer raises the bare Exception). compat may warn only where the peer warns (as
    NumPy 1.x does for both when they cast -1 to uint8)."""
    with warnings.catch_warnings(record=True) as peer_warnings:
        warnings.simplefilter("always")
        try:
            expected = peer()
        except Exception as exc:  # noqa: BLE001 - any exception the peer raises is the reference
            with pytest.raises(type(exc)), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                compat()
            return
    with warnings.catch_warnings(record=True) as compat_warnings:
        warnings.simplefilter("always")
        got = compat()
    peer_kinds = {w.category for w in peer_warnings}
    assert {w.category for w in compat_warnings} <= peer_kinds, [str(w.message) for w in compat_warnings]
    _same(expected, got)


# ---------------------------------------------------------------- cython_bbox

def _cython_bbox():
    return pytest.importorskip("cython_bbox").bbox_overlaps


@st.composite
def cython_bbox_cases(draw):
    boxes = draw(box_arrays(dtype="float64"))
    query = draw(box_arrays(dtype="float64"))
    variant = draw(st.sampled_from(["plain"] * 6 + ["score", "strided", "fortran", "three", "query3",
                                                    "float32", "list", "1d", "readonly"]))
    if variant == "score":
        boxes = np.concatenate([boxes, np.ones((boxes.shape[0], 1))], axis=1)
    elif variant == "strided":
        boxes = np.repeat(boxes, 2, axis=1)[:, ::2]
    elif variant == "fortran":
        query = np.asfortranarray(query)
    elif variant == "three":
        boxes = np.ascontiguousarray(boxes[:, :3])
    elif variant == "query3":
        query = np.ascontiguousarray(query[:, :3])
    elif variant == "float32":
        boxes = _cast(boxes, "float32")
    elif variant == "list":
        boxes = boxes.tolist()
    elif variant == "1d":
        query = query.reshape(-1)
    elif variant == "readonly":
        boxes.setflags(write=False)
    return boxes, query


def _check_cython_bbox(case):
    from fastiou.compat import cython_bbox as compat
    peer = _cython_bbox()
    boxes, query = case
    _compare(lambda: peer(boxes, query), lambda: compat.bbox_overlaps(boxes, query))


@FAST
@given(cython_bbox_cases())
def test_cython_bbox_matches(case):
    _check_cython_bbox(case)


@pytest.mark.slow
@SLOW
@given(cython_bbox_cases())
def test_cython_bbox_matches_slow(case):
    _check_cython_bbox(case)


def test_cython_bbox_quirks():
    from fastiou.compat.cython_bbox import bbox_overlaps
    zero = np.array([[3.0, 3.0, 3.0, 3.0]])
    assert bbox_overlaps(zero, zero)[0, 0] == 1.0          # +1: a zero-width box is one pixel
    nan_x2 = np.array([[0.0, 0.0, np.nan, 4.0]])
    box = np.array([[0.0, 0.0, 4.0, 4.0]])
    assert bbox_overlaps(nan_x2, box)[0, 0] == 0.0         # Cython's min keeps the NaN of `boxes`
    assert np.isnan(bbox_overlaps(box, nan_x2)[0, 0])      # ... and drops the one of `query_boxes`
    with pytest.raises(TypeError):
        bbox_overlaps(None, box)                           # cython_bbox crashes the interpreter here


# ---------------------------------------------------------------- pycocotools

def _coco():
    return pytest.importorskip("pycocotools.mask")


CROWD = st.one_of(st.integers(0, 3), st.booleans(), st.sampled_from([0.5, 1.0, 2.7, -1, 256, "1"]))


@st.composite
def coco_box_cases(draw):
    dt = draw(box_arrays(dtype="float64"))
    gt = draw(box_arrays(dtype="float64"))
    flags = draw(st.lists(st.integers(0, 2), min_size=gt.shape[0], max_size=gt.shape[0]))
    variant = draw(st.sampled_from(["plain"] * 8 + ["lists", "int", "float32", "crowd", "crowd_len",
                                                    "1d", "tuple", "width5", "mixed", "tuples"]))
    crowd = flags
    if variant == "lists":
        dt, gt = dt.tolist(), gt.tolist()
    elif variant == "int":
        dt = _cast(dt, "int64")
    elif variant == "float32":
        gt = _cast(gt, "float32")
    elif variant == "crowd":
        crowd = draw(st.lists(CROWD, min_size=gt.shape[0], max_size=gt.shape[0]))
    elif variant == "crowd_len":
        crowd = flags + [0]
    elif variant == "1d":
        dt = _cast(dt.reshape(-1)[:4], draw(st.sampled_from(["float64", "int64"])))
    elif variant == "tuple":
        dt = tuple(dt.tolist())
    elif variant == "width5":
        dt = np.zeros((dt.shape[0], 5))
    elif variant == "mixed":
        gt = gt.tolist()
    elif variant == "tuples":
        dt = [tuple(row) for row in dt.tolist()]
    return dt, gt, crowd


def _check_coco(case):
    from fastiou.compat import pycocotools as compat
    peer = _coco()
    dt, gt, crowd = case
    _compare(lambda: peer.iou(dt, gt, crowd), lambda: compat.iou(dt, gt, crowd))


def test_pycocotools_negative_crowd_flag_as_the_peer_casts_it():
    """pycocotools casts the flags to uint8 itself: -1 is an OverflowError under NumPy 2 and
    a DeprecationWarning (then 255) under NumPy 1.x, for the peer and compat alike."""
    boxes = np.array([[0.0, 0.0, 2.0, 2.0]] * 3)
    _check_coco((boxes, boxes, [0, 0, -1]))


@FAST
@given(coco_box_cases())
def test_pycocotools_boxes_match(case):
    _check_coco(case)


@st.composite
def rle_sets(draw, sizes):
    """Lists of compressed RLE dicts made by pycocotools itself from random run lengths
    (zero-length runs included) of masks of the drawn sizes."""
    mask = _coco()
    rles = []
    for _ in range(draw(st.integers(0, 4))):
        height, width = draw(st.sampled_from(sizes))
        total = height * width
        counts = []
        left = total
        while left > 0:
            run = draw(st.integers(0, left))
            counts.append(run)
            left -= run
            if len(counts) > 12:
                counts.append(left)
                left = 0
        if not counts:
            counts = [0]
        rles.append(mask.frPyObjects({"size": [height, width], "counts": counts}, height, width))
    return rles


@st.composite
def coco_rle_cases(draw):
    sizes = draw(st.sampled_from([[(4, 5)], [(4, 5)], [(3, 3), (4, 5)], [(1, 7), (7, 1), (2, 2)]]))
    dt = draw(rle_sets(sizes))
    gt = draw(rle_sets(sizes))
    crowd = draw(st.lists(st.integers(0, 1), min_size=len(gt), max_size=len(gt)))
    return dt, gt, crowd


@FAST
@given(coco_rle_cases())
def test_pycocotools_rles_match(case):
    _check_coco(case)


@pytest.mark.slow
@SLOW
@given(st.one_of(coco_box_cases(), coco_box_cases(), coco_rle_cases()))
def test_pycocotools_matches_slow(case):
    _check_coco(case)


@pytest.mark.parametrize("size", [[2.5, 2], [True, 4], [np.float64(2.0), 2], [np.int64(2), 2]])
def test_pycocotools_rle_sizes_convert_as_pycocotools(size):
    from fastiou.compat.pycocotools import iou
    rles = ([{"size": size, "counts": b"04"}], [{"size": [2, 2], "counts": b"04"}], [0])
    _same(_coco().iou(*rles), iou(*rles))


def test_pycocotools_quirks():
    from fastiou.compat.pycocotools import iou
    assert iou(np.zeros((0, 4)), np.ones((1, 4)), [0]) == []
    box = np.array([[0.0, 0.0, 4.0, 4.0]])
    assert iou(np.array([[np.nan, 0.0, 4.0, 4.0]]), box, [0])[0, 0] == 1.0   # fmax ignores NaN
    assert np.isnan(iou(np.array([[0.0, 0.0, np.nan, 4.0]]), box, [0])[0, 0])
    assert iou(box, np.array([[2.0, 0.0, 4.0, 4.0]]), [0.5])[0, 0] == 1 / 3   # 0.5 -> not crowd
    with pytest.raises(TypeError):
        iou([{"size": [2, 2], "counts": [4]}], [{"size": [2, 2], "counts": [4]}], [0])


# ---------------------------------------------------------------- torchvision

@st.composite
def torchvision_cases(draw):
    torch = pytest.importorskip("torch")
    dtype1 = draw(st.sampled_from(TORCH_DTYPES))
    dtype2 = dtype1 if draw(st.integers(0, 3)) else draw(st.sampled_from(TORCH_DTYPES))
    shape_kind = draw(st.sampled_from(["2d"] * 8 + ["batch", "broadcast", "1d", "bad_width", "bad_batch"]))
    batch1 = batch2 = ()
    if shape_kind == "batch":
        batch1 = batch2 = (2,)
    elif shape_kind == "broadcast":
        batch1, batch2 = (2, 1), (3,)
    elif shape_kind == "bad_batch":
        batch1, batch2 = (2,), (3,)
    boxes1 = draw(box_arrays(dtype=dtype1, batch=batch1))
    boxes2 = draw(box_arrays(dtype=dtype2, batch=batch2))
    if shape_kind == "1d":
        boxes1 = boxes1.reshape(-1)[:4] if boxes1.size >= 4 else boxes1.reshape(-1)
    elif shape_kind == "bad_width":
        width = draw(st.sampled_from([0, 3, 5]))
        boxes2 = draw(box_arrays(dtype=dtype2, width=width))
    eps = draw(st.sampled_from([1e-7, 1e-7, 0.0, 1e-3, -1e-7, 1.0, 1e-50, 1e39, math.nan]))
    fmt = draw(st.sampled_from(["xyxy", "xyxy", "xywh", "cxcywh"]))
    return torch.from_numpy(boxes1), torch.from_numpy(boxes2), eps, fmt


def _check_torchvision(case):
    from fastiou.compat import torchvision as compat
    peer = peer_sources.torchvision_boxes()
    boxes1, boxes2, eps, fmt = case
    _compare(lambda: peer.box_iou(boxes1, boxes2, fmt=fmt), lambda: compat.box_iou(boxes1, boxes2, fmt=fmt))
    _compare(lambda: peer.generalized_box_iou(boxes1, boxes2),
             lambda: compat.generalized_box_iou(boxes1, boxes2))
    _compare(lambda: peer.distance_box_iou(boxes1, boxes2, eps=eps),
             lambda: compat.distance_box_iou(boxes1, boxes2, eps=eps))
    _compare(lambda: peer.complete_box_iou(boxes1, boxes2, eps=eps),
             lambda: compat.complete_box_iou(boxes1, boxes2, eps=eps))
    _compare(lambda: peer.box_area(boxes1, fmt=fmt), lambda: compat.box_area(boxes1, fmt=fmt))
    _compare(lambda: peer.box_area(boxes2, fmt=fmt), lambda: compat.box_area(boxes2, fmt=fmt))
    for out_fmt in ("xyxy", "xywh", "cxcywh"):
        _compare(lambda: peer.box_convert(boxes2, fmt, out_fmt),
                 lambda: compat.box_convert(boxes2, fmt, out_fmt))


@NEEDS_TORCH
@FAST
@given(torchvision_cases())
def test_torchvision_matches(case):
    _check_torchvision(case)


@NEEDS_TORCH
@pytest.mark.slow
@SLOW
@given(torchvision_cases())
def test_torchvision_matches_slow(case):
    _check_torchvision(case)


def test_torchvision_quirks_and_refusals():
    torch = pytest.importorskip("torch")
    from fastiou.compat import torchvision as compat
    empty = torch.tensor([[1.0, 1.0, 1.0, 1.0]])
    assert torch.isnan(compat.box_iou(empty, empty)).all()             # 0 / 0, as torchvision
    inverted = torch.tensor([[2.0, 2.0, 0.0, 0.0]])                    # area (-2) * (-2) = 4
    assert compat.box_area(inverted).item() == 4.0
    numpy_result = compat.box_iou(np.array([[0, 0, 2, 2]], np.float32), np.array([[1, 1, 3, 3]], np.float32))
    assert isinstance(numpy_result, np.ndarray) and numpy_result.dtype == np.float32
    with pytest.raises(NotImplementedError):
        compat.box_iou(torch.zeros((1, 5)), torch.zeros((1, 5)), fmt="cxcywhr")
    with pytest.raises(NotImplementedError):
        compat.box_convert(torch.zeros((1, 5)), "xywhr", "cxcywhr")
    with pytest.raises(TypeError, match="bfloat16"):
        compat.box_iou(empty.bfloat16(), empty)
    with pytest.raises(ValueError):
        compat.box_area(empty, fmt="xyxyxyxy")


def test_torchvision_keeps_device_and_drops_grad():
    torch = pytest.importorskip("torch")
    from fastiou.compat import torchvision as compat
    boxes = torch.tensor([[0.0, 0.0, 2.0, 2.0]], requires_grad=True)
    result = compat.generalized_box_iou(boxes, boxes)
    assert result.device == boxes.device and not result.requires_grad and result.item() == 1.0


# ---------------------------------------------------------------- mmdet

@st.composite
def mmdet_cases(draw):
    torch = pytest.importorskip("torch")
    dtype1 = draw(st.sampled_from(TORCH_DTYPES))
    dtype2 = dtype1 if draw(st.integers(0, 3)) else draw(st.sampled_from(TORCH_DTYPES))
    aligned = draw(st.booleans())
    shape_kind = draw(st.sampled_from(["2d"] * 8 + ["batch", "bad_batch", "width5", "empty5", "1d"]))
    batch1 = batch2 = ()
    if shape_kind == "batch":
        batch1 = batch2 = (2,)
    elif shape_kind == "bad_batch":
        batch1, batch2 = (2,), (1,)
    n = draw(st.integers(0, 5))
    m = n if aligned and draw(st.integers(0, 4)) else draw(st.integers(0, 5))
    boxes1 = draw(box_arrays(n=n, dtype=dtype1, batch=batch1))
    boxes2 = draw(box_arrays(n=m, dtype=dtype2, batch=batch2))
    if shape_kind == "width5":
        boxes1 = draw(box_arrays(n=n, dtype=dtype1, width=5))
    elif shape_kind == "empty5":
        boxes1 = np.zeros((0, 5), dtype=dtype1)
    elif shape_kind == "1d":
        boxes2 = boxes2.reshape(-1)[:4]
    mode = draw(st.sampled_from(["iou", "iof", "giou", "giou", "iou", "bad"]))
    eps = draw(st.sampled_from([1e-6, 1e-6, 0.0, 1e-3, 1.7, -2.0, 300.0, 1e39, math.nan]))
    return torch.from_numpy(boxes1), torch.from_numpy(boxes2), mode, aligned, eps


def _check_mmdet(case):
    from fastiou.compat import mmdet as compat
    peer = peer_sources.mmdet_iou_calculator()
    boxes1, boxes2, mode, aligned, eps = case
    _compare(lambda: peer.bbox_overlaps(boxes1, boxes2, mode, aligned, eps),
             lambda: compat.bbox_overlaps(boxes1, boxes2, mode, aligned, eps))
    for scale, dtype in ((1.0, None), (2.0, "fp16")):
        _compare(lambda: peer.BboxOverlaps2D(scale, dtype)(boxes1, boxes2, mode, aligned),
                 lambda: compat.BboxOverlaps2D(scale, dtype)(boxes1, boxes2, mode, aligned))


@NEEDS_TORCH
@FAST
@given(mmdet_cases())
def test_mmdet_matches(case):
    _check_mmdet(case)


@NEEDS_TORCH
@pytest.mark.slow
@SLOW
@given(mmdet_cases())
def test_mmdet_matches_slow(case):
    _check_mmdet(case)


def test_mmdet_quirks():
    torch = pytest.importorskip("torch")
    from fastiou.compat.mmdet import BboxOverlaps2D, bbox_overlaps
    empty = torch.tensor([[1.0, 1.0, 1.0, 1.0]])
    assert bbox_overlaps(empty, empty).item() == 0.0                     # union raised to eps
    assert math.isnan(bbox_overlaps(empty.long(), empty.long()).item())  # integer eps is 0
    tiny = torch.tensor([[0.0, 0.0, 1e-4, 1e-4]])
    assert bbox_overlaps(tiny, tiny).item() == pytest.approx(1e-8 / 1e-6, rel=1e-3)  # divided by eps
    with pytest.raises(AssertionError):
        bbox_overlaps(empty, empty, mode="diou")
    assert repr(BboxOverlaps2D(2.0, "fp16")) == "BboxOverlaps2D(scale=2.0, dtype=fp16)"


# ---------------------------------------------------------------- every error path, named

def _error_cases():
    """(name, peer call, compat call) for each way the peers refuse input; the compat call
    must raise the peer's exception type (a subclass where the peer raises Exception)."""
    f64 = np.array([[0.0, 0.0, 4.0, 4.0]])
    cases = []
    cb = ("cython_bbox", lambda: _cython_bbox(), "fastiou.compat.cython_bbox", "bbox_overlaps")
    for name, args in [
        ("float32", (f64.astype(np.float32), f64)), ("int64", (f64, f64.astype(np.int64))),
        ("list", (f64.tolist(), f64)), ("1-d", (f64[0], f64)), ("3-d", (f64, f64[None])),
        ("query 3 columns", (f64, f64[:, :3].copy())), ("boxes 2 columns", (f64[:, :2].copy(), f64)),
        ("boxes 3 columns overlapping", (f64[:, :3].copy(), f64)),
        ("big-endian", (f64.astype(">f8"), f64)), ("tuple", (tuple(f64), f64)),
    ]:
        cases.append((f"cython_bbox {name}", cb, args, {}))
    coco = ("pycocotools", lambda: _coco(), "fastiou.compat.pycocotools", "iou")
    rle = {"size": [2, 2], "counts": b"04"}
    for name, args in [
        *([("crowd -1", (f64, f64, [-1]))] if np.__version__ >= "2" else []),  # NumPy 1 wraps -1 to 255
        ("crowd None", (f64, f64, None)), ("crowd scalar", (f64, f64, 0)),
        ("crowd length", (f64, f64, [0, 0])), ("crowd nested", (f64, f64, [[0]])),
        ("crowd nan", (f64, f64, [np.nan])), ("1-d float array", (f64[0], f64, [0])),
        ("5 columns", (np.zeros((1, 5)), f64, [0])), ("tuple", ((f64,), f64, [0])),
        ("list of tuples", ([(0, 0, 4, 4)], f64, [0])), ("strings", (np.array([["a"] * 4]), f64, [0])),
        ("boxes and RLE", (f64, [rle], [0])), ("uncompressed RLE", ([{"size": [2, 2], "counts": [4]}], [rle], [0])),
        ("RLE without counts", ([{"size": [2, 2]}], [rle], [0])), ("gt of numbers", (f64, [0, 0, 4, 4], [0])),
        ("RLE size negative", ([{"size": [-1, 2], "counts": b"04"}], [rle], [0])),
        ("RLE size string", ([{"size": ["2", 2], "counts": b"04"}], [rle], [0])),
    ]:
        cases.append((f"pycocotools {name}", coco, args, {}))
    return cases


@pytest.mark.parametrize("case", _error_cases(), ids=lambda case: case[0])
def test_error_paths_match(case):
    import importlib
    _, (_, load_peer, module, function), args, kwargs = case
    peer = load_peer()
    peer_function = getattr(peer, function) if not callable(peer) else peer
    compat_function = getattr(importlib.import_module(module), function)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as expected:
            peer_function(*args, **kwargs)
    with pytest.raises(type(expected.value)):
        compat_function(*args, **kwargs)


def _torch_error_cases():
    torch = pytest.importorskip("torch")
    box = torch.tensor([[0.0, 0.0, 4.0, 4.0]])
    tv = [
        ("box_iou 1-d boxes2", "box_iou", (box, box[0]), {}),
        ("box_iou 3 columns", "box_iou", (box, box[:, :3]), {}),
        ("box_iou 5 columns", "box_iou", (torch.zeros((1, 5)), box), {}),
        ("box_iou batch", "box_iou", (torch.zeros((2, 1, 4)), torch.zeros((3, 1, 4))), {}),
        ("box_iou 0-d", "box_iou", (torch.tensor(1.0), box), {}),
        ("box_iou fmt", "box_iou", (box, box), {"fmt": "yxyx"}),
        ("generalized 5 columns", "generalized_box_iou", (box, torch.zeros((1, 5))), {}),
        ("distance 1-d", "distance_box_iou", (box, box[0]), {}),
        ("complete 3 columns", "complete_box_iou", (box[:, :3], box), {}),
        ("box_area fmt", "box_area", (box,), {"fmt": "abcd"}),
        ("box_area 3 columns", "box_area", (box[:, :3],), {}),
        ("box_convert fmt", "box_convert", (box, "xyxy", "abcd"), {}),
        ("box_convert 3 columns", "box_convert", (box[:, :3], "xyxy", "xywh"), {}),
        ("box_convert 0-d", "box_convert", (torch.tensor(1.0), "xyxy", "xywh"), {}),
        ("box_iou bool", "box_iou", (box.bool(), box.bool()), {}),
    ]
    mm = [
        ("mode", "bbox_overlaps", (box, box, "diou"), {}),
        ("3 columns", "bbox_overlaps", (box[:, :3], box), {}),
        ("batch", "bbox_overlaps", (box[None], box), {}),
        ("aligned counts", "bbox_overlaps", (box, torch.zeros((2, 4)), "iou", True), {}),
        ("1-d", "bbox_overlaps", (box[0], box[0]), {}),
        ("0-d", "bbox_overlaps", (torch.tensor(1.0), box), {}),
    ]
    return tv, mm


def test_torch_error_paths_match():
    from fastiou.compat import mmdet as mm_compat
    from fastiou.compat import torchvision as tv_compat
    tv_cases, mm_cases = _torch_error_cases()
    for peer, compat, cases in ((peer_sources.torchvision_boxes(), tv_compat, tv_cases),
                                (peer_sources.mmdet_iou_calculator(), mm_compat, mm_cases)):
        for name, function, args, kwargs in cases:
            with pytest.raises(Exception) as expected:
                getattr(peer, function)(*args, **kwargs)
            with pytest.raises(type(expected.value)):
                getattr(compat, function)(*args, **kwargs)
    torch = pytest.importorskip("torch")
    calculator = peer_sources.mmdet_iou_calculator().BboxOverlaps2D()
    with pytest.raises(AssertionError):
        calculator(torch.zeros((1, 6)), torch.zeros((1, 4)))
    with pytest.raises(AssertionError):
        mm_compat.BboxOverlaps2D()(torch.zeros((1, 6)), torch.zeros((1, 4)))
