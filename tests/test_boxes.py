"""Axis-aligned box IoU: NumPy reference, peers' golden values, properties, bad input."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastiou import box_area, box_convert, box_iou
from fastiou import reference as ref
from fastiou.detection.boxes import MIN_BOX_PAIRS_PER_THREAD
from fastiou.detection import _boxes

FORMATS = ("xyxy", "xywh", "cxcywh")
MODES = ("iou", "iof", "giou", "diou", "ciou")
THREADS = (1, 2, 3, 7, None, -1)
TOLERANCE = {np.float32: dict(rtol=2e-5, atol=2e-6), np.float64: dict(rtol=1e-12, atol=1e-13)}


def random_boxes(rng, n, fmt="xyxy", scale=100.0, dtype=np.float64):
    """Boxes in `fmt` mixing ordinary, degenerate, inverted, identical and far-away ones."""
    x1 = rng.uniform(-scale, scale, n)
    y1 = rng.uniform(-scale, scale, n)
    w = rng.uniform(0, scale / 2, n)
    h = rng.uniform(0, scale / 2, n)
    kind = rng.integers(0, 8, n)
    w[kind == 0] = 0                        # zero width
    h[kind == 1] = 0                        # zero height
    w[kind == 2] = -w[kind == 2]            # inverted
    x1[kind == 3] = x1[0]                   # shares a corner with box 0
    x1[kind == 4] += 1e4                    # far away
    # round half of them to a grid so that touching and identical boxes occur
    grid = kind >= 5
    x1[grid], y1[grid], w[grid], h[grid] = (np.round(v[grid] / 10) * 10 for v in (x1, y1, w, h))
    xyxy = np.stack([x1, y1, x1 + w, y1 + h], axis=1)
    return ref.box_convert(xyxy, "xyxy", fmt).astype(dtype)


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("mode", MODES)
def test_matches_reference(rng, dtype, fmt, mode):
    a = random_boxes(rng, 37, fmt, dtype=dtype)
    b = np.concatenate([a[:5], random_boxes(rng, 28, fmt, dtype=dtype)])
    got = box_iou(a, b, fmt=fmt, mode=mode)
    assert got.dtype == dtype and got.shape == (37, 33)
    np.testing.assert_allclose(got, ref.box_iou(a, b, fmt, mode), **TOLERANCE[dtype])
    aligned = box_iou(a[:33], b, fmt=fmt, mode=mode, aligned=True)
    np.testing.assert_allclose(aligned, ref.box_iou(a[:33], b, fmt, mode, aligned=True),
                               **TOLERANCE[dtype])
    np.testing.assert_array_equal(aligned, np.diagonal(got[:33]))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("offset", [0, 1, 0.5])
def test_offset_and_eps_match_reference(rng, mode, offset):
    a, b = random_boxes(rng, 20), random_boxes(rng, 25)
    for eps in (0.0, 1e-7, 0.5):
        np.testing.assert_allclose(box_iou(a, b, mode=mode, offset=offset, eps=eps),
                                   ref.box_iou(a, b, mode=mode, offset=offset, eps=eps),
                                   **TOLERANCE[np.float64])


@pytest.mark.parametrize("mode", MODES)
def test_thread_count_does_not_change_results(rng, mode):
    a, b = random_boxes(rng, 301), random_boxes(rng, 257)
    first = box_iou(a, b, mode=mode, n_threads=1)
    for n_threads in THREADS:
        np.testing.assert_array_equal(box_iou(a, b, mode=mode, n_threads=n_threads), first)
        np.testing.assert_array_equal(
            box_iou(a, b[:301 - 44].repeat(2, axis=0)[:301], mode=mode, aligned=True,
                    n_threads=n_threads),
            box_iou(a, b[:301 - 44].repeat(2, axis=0)[:301], mode=mode, aligned=True, n_threads=1))


def test_large_input_uses_threads_and_matches(rng):
    a, b = random_boxes(rng, 700, dtype=np.float32), random_boxes(rng, 300, dtype=np.float32)
    np.testing.assert_array_equal(box_iou(a, b, n_threads=2), box_iou(a, b, n_threads=1))
    # above 2**20 pairs the rows go out in dynamic blocks instead of one share per thread
    a = random_boxes(rng, 2 * 745, dtype=np.float32).reshape(2, 745, 4)
    b = random_boxes(rng, 2 * 709, dtype=np.float32).reshape(2, 709, 4)
    first = box_iou(a, b, n_threads=1)
    for n_threads in (2, 3):
        np.testing.assert_array_equal(box_iou(a, b, n_threads=n_threads), first)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("offset", [0, 1])
def test_iou_row_kernel_paths(rng, dtype, offset):
    """The C IoU rows (blocks of 16 columns, the overlapping last block, rows shorter than
    16, a thread's share crossing batches) give exactly the reference values and those of
    the generic row (a crowd-flag row with no crowd box)."""
    for m in (1, 15, 16, 17, 31, 32, 33, 200):
        n = 3 * MIN_BOX_PAIRS_PER_THREAD // (3 * m) + 1  # enough pairs for 3 threads
        a = random_boxes(rng, 3 * n, dtype=dtype).reshape(3, n, 4)
        b = random_boxes(rng, 3 * m, dtype=dtype).reshape(3, m, 4)
        no_crowd = np.zeros(m, dtype=bool)
        generic = box_iou(a, b, offset=offset, iscrowd=no_crowd, n_threads=1)
        for k in range(3):
            np.testing.assert_array_equal(generic[k], ref.box_iou(a[k], b[k], offset=offset))
        for n_threads in (1, 2, 3):
            np.testing.assert_array_equal(box_iou(a, b, offset=offset, n_threads=n_threads),
                                          generic)


def test_dtypes(rng):
    a = random_boxes(rng, 6)
    assert box_iou(a.astype(np.float32), a.astype(np.float32)).dtype == np.float32
    assert box_iou(a.astype(np.float16), a.astype(np.float16)).dtype == np.float32
    assert box_iou(a.astype(np.float32), a).dtype == np.float64
    ints = np.round(a).astype(np.int32)
    got = box_iou(ints, ints.astype(np.int64))
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, ref.box_iou(ints.astype(float), ints.astype(float)), rtol=1e-12)


def test_layouts_and_array_likes(rng):
    a = random_boxes(rng, 10)
    expected = box_iou(a, a)
    fortran = np.asfortranarray(a)
    strided = np.repeat(a, 2, axis=0)[::2]
    swapped = a.astype(a.dtype.newbyteorder(">"))
    readonly = a.copy()
    readonly.flags.writeable = False
    for variant in (fortran, strided, swapped, readonly, a.tolist()):
        np.testing.assert_array_equal(box_iou(variant, variant), expected)


def test_input_is_not_modified(rng):
    a, b = random_boxes(rng, 8), random_boxes(rng, 9)
    a[0, 0] = np.nan
    a_copy, b_copy = a.copy(), b.copy()
    for mode in MODES:
        box_iou(a, b, mode=mode, fmt="cxcywh")
    np.testing.assert_array_equal(a, a_copy)
    np.testing.assert_array_equal(b, b_copy)


def test_batch_dimensions_broadcast(rng):
    a = random_boxes(rng, 2 * 3 * 5).reshape(2, 3, 5, 4)
    b = random_boxes(rng, 3 * 4).reshape(3, 4, 4)
    got = box_iou(a, b, mode="giou")
    assert got.shape == (2, 3, 5, 4)
    for i in range(2):
        for j in range(3):
            np.testing.assert_array_equal(got[i, j], box_iou(a[i, j], b[j], mode="giou"))
    crowd = np.array([True, False, False, True])
    got = box_iou(a, b, iscrowd=crowd)
    np.testing.assert_array_equal(got[1, 2], box_iou(a[1, 2], b[2], iscrowd=crowd))
    aligned = box_iou(a[:, :, :4], b, aligned=True)
    assert aligned.shape == (2, 3, 4)
    np.testing.assert_array_equal(aligned[1, 1], box_iou(a[1, 1, :4], b[1], aligned=True))


def test_empty_inputs():
    empty = np.zeros((0, 4))
    assert box_iou(empty, np.ones((3, 4))).shape == (0, 3)
    assert box_iou(np.ones((3, 4)), empty).shape == (3, 0)
    assert box_iou(empty, empty, aligned=True).shape == (0,)
    assert box_iou(np.zeros((2, 0, 4)), np.zeros((2, 5, 4))).shape == (2, 0, 5)


def test_special_cases():
    boxes = np.array([
        [0, 0, 10, 10],      # base
        [0, 0, 10, 10],      # identical
        [10, 0, 20, 10],     # touching on an edge
        [2, 2, 4, 4],        # nested
        [5, 5, 5, 8],        # zero width
        [50, 50, 60, 60],    # disjoint
        [1e12, 1e12, 1e12 + 4, 1e12 + 4],   # huge coordinates
        [-30, -30, -20, -20],  # negative coordinates
    ], dtype=np.float64)
    iou = box_iou(boxes, boxes)
    assert iou[0, 1] == 1.0
    assert iou[0, 2] == 0.0
    assert iou[0, 3] == pytest.approx(4 / 100)
    assert iou[4, 4] == 0.0 and iou[0, 4] == 0.0
    assert iou[0, 5] == 0.0
    assert iou[6, 6] == 1.0 and iou[6, 0] == 0.0
    assert iou[7, 7] == 1.0
    assert box_iou(boxes, boxes, mode="iof")[3, 0] == 1.0
    giou = box_iou(boxes, boxes, mode="giou")
    assert giou[4, 4] == 0.0
    assert giou[0, 2] == 0.0
    np.testing.assert_allclose(np.diag(box_iou(boxes, boxes, mode="ciou"))[[0, 6, 7]], 1.0)
    assert np.isfinite(box_iou(boxes, boxes, mode="ciou", eps=0)).all()


def test_non_finite_coordinates_give_nan():
    boxes = np.array([[0, 0, 1, 1], [0, np.nan, 1, 1], [0, 0, np.inf, 1], [-np.inf, 0, 1, 1]])
    for mode in MODES:
        got = box_iou(boxes, boxes, mode=mode)
        assert got[0, 0] == 1.0
        assert np.isnan(got[1:, :]).all() and np.isnan(got[:, 1:]).all()
        aligned = box_iou(boxes, boxes[::-1], mode=mode, aligned=True)
        assert np.isnan(aligned).all()
    float32 = box_iou(boxes.astype(np.float32), boxes[:1].astype(np.float32))
    assert float32.dtype == np.float32 and np.isnan(float32[1:]).all()


def test_iscrowd_matches_reference(rng):
    a, b = random_boxes(rng, 12, "xywh"), random_boxes(rng, 9, "xywh")
    crowd = rng.random(9) < 0.5
    np.testing.assert_allclose(box_iou(a, b, fmt="xywh", iscrowd=crowd),
                               ref.box_iou(a, b, "xywh", iscrowd=crowd), rtol=1e-12)
    np.testing.assert_allclose(box_iou(a[:9], b, fmt="xywh", iscrowd=crowd, aligned=True),
                               ref.box_iou(a[:9], b, "xywh", iscrowd=crowd, aligned=True), rtol=1e-12)
    np.testing.assert_array_equal(box_iou(a, b, fmt="xywh", iscrowd=np.zeros(9, bool)),
                                  box_iou(a, b, fmt="xywh"))
    np.testing.assert_array_equal(box_iou(a, b, fmt="xywh", iscrowd=np.ones(9, int)),
                                  box_iou(a, b, fmt="xywh", mode="iof"))


def test_pycocotools_golden_values(rng):
    mask_utils = pytest.importorskip("pycocotools.mask")
    dt = np.abs(random_boxes(rng, 40, "xywh"))
    gt = np.concatenate([dt[:6], np.abs(random_boxes(rng, 30, "xywh"))])
    crowd = (rng.random(len(gt)) < 0.3).astype(np.uint8)
    expected = mask_utils.iou(dt, gt, crowd.tolist())
    np.testing.assert_allclose(box_iou(dt, gt, fmt="xywh", iscrowd=crowd), expected, rtol=1e-15, atol=0)
    np.testing.assert_allclose(box_iou(dt, gt, fmt="xywh"), mask_utils.iou(dt, gt, [0] * len(gt)),
                               rtol=1e-15, atol=0)


def test_cython_bbox_golden_values(rng):
    cython_bbox = pytest.importorskip("cython_bbox")
    a = np.round(np.abs(random_boxes(rng, 50)))
    b = np.concatenate([a[:7], np.round(np.abs(random_boxes(rng, 40)))])
    # cython_bbox takes valid boxes only: x2 >= x1 - 1 (its +1 pixel convention)
    a = a[(a[:, 2] >= a[:, 0]) & (a[:, 3] >= a[:, 1])]
    b = b[(b[:, 2] >= b[:, 0]) & (b[:, 3] >= b[:, 1])]
    expected = cython_bbox.bbox_overlaps(a, b)
    np.testing.assert_allclose(box_iou(a, b, offset=1), expected, rtol=1e-15, atol=0)
    # a zero-width box against itself: 1.0 under the +1 convention
    point = np.array([[3.0, 3.0, 3.0, 3.0]])
    assert box_iou(point, point, offset=1)[0, 0] == cython_bbox.bbox_overlaps(point, point)[0, 0] == 1.0


def torch_formulas(torch, boxes1, boxes2, mode, eps=1e-7):
    """torchvision's box_iou / generalized / distance / complete box IoU, written in torch."""
    area1 = (boxes1[:, 2] - boxes1[:, 0]) * (boxes1[:, 3] - boxes1[:, 1])
    area2 = (boxes2[:, 2] - boxes2[:, 0]) * (boxes2[:, 3] - boxes2[:, 1])
    lt = torch.max(boxes1[:, None, :2], boxes2[:, :2])
    rb = torch.min(boxes1[:, None, 2:], boxes2[:, 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    union = area1[:, None] + area2 - inter
    iou = inter / union
    if mode == "iou":
        return iou
    lti = torch.min(boxes1[:, None, :2], boxes2[:, :2])
    rbi = torch.max(boxes1[:, None, 2:], boxes2[:, 2:])
    whi = (rbi - lti).clamp(min=0)
    if mode == "giou":
        areai = whi[..., 0] * whi[..., 1]
        return iou - (areai - union) / areai
    diagonal = whi[..., 0] ** 2 + whi[..., 1] ** 2 + eps
    cx1, cy1 = (boxes1[:, 0] + boxes1[:, 2]) / 2, (boxes1[:, 1] + boxes1[:, 3]) / 2
    cx2, cy2 = (boxes2[:, 0] + boxes2[:, 2]) / 2, (boxes2[:, 1] + boxes2[:, 3]) / 2
    diou = iou - ((cx1[:, None] - cx2) ** 2 + (cy1[:, None] - cy2) ** 2) / diagonal
    if mode == "diou":
        return diou
    w1, h1 = boxes1[:, 2] - boxes1[:, 0], boxes1[:, 3] - boxes1[:, 1]
    w2, h2 = boxes2[:, 2] - boxes2[:, 0], boxes2[:, 3] - boxes2[:, 1]
    v = (4 / (torch.pi ** 2)) * torch.pow(torch.atan(w1 / h1)[:, None] - torch.atan(w2 / h2), 2)
    alpha = v / (1 - iou + v + eps)
    return diou - alpha * v


@pytest.mark.parametrize("mode", ("iou", "giou", "diou", "ciou"))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_torch_formulas_on_valid_boxes(rng, mode, dtype):
    torch = pytest.importorskip("torch")
    xy = rng.uniform(0, 100, (60, 2))
    boxes = np.hstack([xy, xy + rng.uniform(1, 50, (60, 2))]).astype(dtype)
    a, b = boxes[:35], boxes[25:]
    expected = torch_formulas(torch, torch.from_numpy(a), torch.from_numpy(b), mode).numpy()
    got = box_iou(a, b, mode=mode)
    assert got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, **TOLERANCE[dtype])


def test_degenerate_rule_differs_from_torchvision_nan():
    torch = pytest.importorskip("torch")
    point = np.array([[1.0, 1.0, 1.0, 1.0]])
    assert torch.isnan(torch_formulas(torch, torch.from_numpy(point), torch.from_numpy(point), "iou")).all()
    assert box_iou(point, point)[0, 0] == 0.0


# sizes far below the coordinates' resolution (x + w == x) are not meaningful boxes
SIZES = st.one_of(st.just(0.0), st.floats(1e-3, 1e3))
XYWH = st.tuples(st.floats(-1e3, 1e3), st.floats(-1e3, 1e3), SIZES, SIZES)


@settings(max_examples=60, deadline=None)
@given(st.lists(XYWH, min_size=1, max_size=12), st.lists(XYWH, min_size=1, max_size=12))
def test_properties(first, second):
    a, b = np.array(first), np.array(second)
    iou = box_iou(a, b, fmt="xywh")
    assert ((iou >= 0) & (iou <= 1)).all()
    np.testing.assert_allclose(iou, box_iou(b, a, fmt="xywh").T, rtol=1e-12, atol=1e-15)
    giou = box_iou(a, b, fmt="xywh", mode="giou")
    # xywh areas come from the given sizes, the enclosing box from the corners: they can
    # disagree by the coordinates' resolution (eps * |x| / size, 1e-10 here)
    assert ((giou >= -1 - 1e-9) & (giou <= iou + 1e-9)).all()
    self_iou = box_iou(a, a, fmt="xywh", aligned=True)
    positive = (a[:, 2] * a[:, 3]) > 0
    # x + w - x differs from w by up to eps * |x|: relative 1e-10 for these coordinates
    np.testing.assert_allclose(self_iou[positive], 1.0, rtol=1e-9)
    assert (self_iou[~positive] == 0).all()
    np.testing.assert_allclose(iou, ref.box_iou(a, b, "xywh"), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("fmt", FORMATS)
def test_box_area_and_convert(rng, fmt):
    boxes = random_boxes(rng, 30, fmt)
    np.testing.assert_allclose(box_area(boxes, fmt=fmt), ref.box_area(boxes, fmt), rtol=1e-14)
    assert (box_area(boxes, fmt=fmt) >= 0).all()
    for out_fmt in FORMATS:
        converted = box_convert(boxes, fmt, out_fmt)
        np.testing.assert_allclose(converted, ref.box_convert(boxes, fmt, out_fmt), rtol=1e-14)
        np.testing.assert_allclose(box_convert(converted, out_fmt, fmt), boxes, rtol=1e-9, atol=1e-9)
    assert box_convert(boxes.astype(np.float32), fmt, "xyxy").dtype == np.float32
    assert box_convert(np.ones((2, 3, 4), dtype=np.int16), fmt, "xywh").shape == (2, 3, 4)
    assert box_area(np.ones((2, 3, 4), dtype=np.int16), fmt=fmt).dtype == np.float64


def test_torch_tensor_input():
    torch = pytest.importorskip("torch")
    boxes = torch.tensor([[0.0, 0.0, 2.0, 2.0], [1.0, 1.0, 3.0, 3.0]])
    got = box_iou(boxes, boxes)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, [[1, 1 / 7], [1 / 7, 1]], rtol=1e-6)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(boxes1=np.ones((3, 5))), ValueError, r"`boxes1` must have shape \(\.\.\., N, 4\)"),
    (dict(boxes2=np.ones(4)), ValueError, r"`boxes2` must have shape .*single box"),
    (dict(boxes1=np.ones((3, 4), dtype=complex)), TypeError, "`boxes1` must hold real numbers"),
    (dict(boxes1=np.ones((3, 4), dtype=bool)), TypeError, "`boxes1` must hold real numbers"),
    (dict(boxes2=[["a", "b", "c", "d"]]), TypeError, "`boxes2` must hold real numbers"),
    (dict(fmt="xyhw"), ValueError, "`fmt` must be one of 'xyxy', 'xywh', 'cxcywh', got 'xyhw'"),
    (dict(mode="dice"), ValueError, "`mode` must be one of"),
    (dict(mode=None), ValueError, "`mode` must be one of"),
    (dict(aligned=True, boxes2=np.ones((2, 4))), ValueError, "`aligned=True` .* got 3 and 2"),
    (dict(aligned=1), TypeError, "`aligned` must be True or False"),
    (dict(offset=np.nan), ValueError, "`offset` must be finite"),
    (dict(offset="1"), TypeError, "`offset` must be a real number"),
    (dict(eps=-1.0), ValueError, "`eps` must be >= 0"),
    (dict(iscrowd=[True, False]), ValueError, r"`iscrowd` must have one value per box of `boxes2`"),
    (dict(iscrowd=[0.5, 0.5, 0.5]), TypeError, "`iscrowd` must hold bools"),
    (dict(iscrowd=[1, 0, 0], mode="giou"), ValueError, "`iscrowd` follows pycocotools"),
    (dict(n_threads=0), ValueError, "`n_threads`"),
    (dict(n_threads=1.5), TypeError, "`n_threads`"),
    (dict(boxes1=np.ones((2, 3, 4)), boxes2=np.ones((4, 3, 4))), ValueError, "do not broadcast"),
])
def test_bad_input(kwargs, error, match):
    arguments = dict(boxes1=np.ones((3, 4)), boxes2=np.ones((3, 4)))
    arguments.update(kwargs)
    with pytest.raises(error, match=match):
        box_iou(arguments.pop("boxes1"), arguments.pop("boxes2"), **arguments)


def test_bad_input_area_and_convert():
    with pytest.raises(ValueError, match="`fmt` must be one of"):
        box_area(np.ones((2, 4)), fmt="xy")
    with pytest.raises(ValueError, match="`boxes` must have shape"):
        box_area(np.ones((2, 3)))
    with pytest.raises(ValueError, match="`out_fmt` must be one of"):
        box_convert(np.ones((2, 4)), "xyxy", "yxyx")
    with pytest.raises(ValueError, match="`in_fmt` must be one of"):
        box_convert(np.ones((2, 4)), "XYXY", "xyxy")


def test_docstring_examples():
    import doctest

    import fastiou.detection.boxes
    import fastiou.detection.masks

    for module in (fastiou.detection.boxes, fastiou.detection.masks):
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.attempted > 0 and result.failed == 0, module.__name__


def test_iscrowd_with_no_boxes():
    """Found by the fuzzer: an empty `boxes2` with `iscrowd` crashed in a reshape."""
    result = box_iou(np.ones((3, 4)), np.zeros((0, 4)), iscrowd=np.zeros(0, bool))
    assert result.shape == (3, 0)
    assert box_iou(np.zeros((0, 4)), np.zeros((0, 4)), iscrowd=[], aligned=True).shape == (0,)


def blocks_of_columns(row_box, pattern, m):
    """`m` float64 column boxes against `row_box`: column j overlaps it when `pattern(j)`,
    else lies just beside it (touching, far away or empty), in turn."""
    x1, y1, x2, y2 = row_box
    apart = [[x2, y1, x2 + 5, y2], [x1 - 50, y1, x1 - 40, y2], [x1 + 1, y1 + 1, x1 + 1, y2]]
    boxes = [[x1 + 1, y1 - 1, x2 + j % 3, y2 - 2] if pattern(j) else apart[j % 3]
             for j in range(m)]
    return np.array(boxes, dtype=np.float64).reshape(m, 4)


SPARSE_PATTERNS = {
    "none": lambda j: False,
    "all": lambda j: True,
    "one per block of 8": lambda j: j % 8 == 3,
    "first of each block": lambda j: j % 8 == 0,
    "last of each block": lambda j: j % 8 == 7,
    "last of each block of 16": lambda j: j % 16 == 15,
    "first and last of each 64 columns": lambda j: j % 64 in (0, 63),
    "one in 13": lambda j: j % 13 == 5,
}


def with_sparse_rows(allowed, compute):
    """`compute()` with the sparse IoU rows allowed or not (the dense C rows)."""
    old = _boxes._set_sparse_division(allowed)
    try:
        return compute()
    finally:
        _boxes._set_sparse_division(old)


def same_bits(actual, expected):
    np.testing.assert_array_equal(actual.view(f"i{actual.itemsize}"),
                                  expected.view(f"i{expected.itemsize}"))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("pattern", SPARSE_PATTERNS)
@pytest.mark.parametrize("offset", [0, 1, 0.5])
def test_sparse_rows_match_dense_rows(dtype, pattern, offset):
    """Blocks of 8 (float64) or 16 (float32) columns with no pair, one pair or every pair
    overlapping, overlaps in the last columns of a block and of a 64-column group, tails of
    1 to 63 columns: the sparse rows (AVX-512 CPUs) give the dense rows' values bit for
    bit, and both the reference's."""
    rows = np.array([[0, 0, 10, 10], [3, -2, 13, 8], [0.5, 0.25, 7.75, 9.5]], dtype=dtype)
    for m in (1, 3, 7, 8, 9, 15, 16, 17, 63, 64, 65, 127, 129, 200, 1023, 1025, 4095, 4097, 8200):
        cols = blocks_of_columns(rows[0], SPARSE_PATTERNS[pattern], m).astype(dtype)
        expected = ref.box_iou(rows, cols, offset=offset)
        for n_threads in (1, 2, 3):
            dense = with_sparse_rows(False, lambda: box_iou(rows, cols, offset=offset,
                                                            n_threads=n_threads))
            np.testing.assert_allclose(dense, expected, rtol=1e-6 if dtype == np.float32 else 0)
            sparse = with_sparse_rows(True, lambda: box_iou(rows, cols, offset=offset,
                                                            n_threads=n_threads))
            same_bits(sparse, dense)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("offset", [0, 1])
def test_sparse_rows_special_values_bit_for_bit(rng, dtype, offset):
    """Non-finite and overflowing coordinates (an infinite width times a zero height is a
    NaN intersection: a pair to divide, not a zero), zero-area, inverted and tiny boxes
    (an intersection that underflows to +0), -0: sparse and dense rows agree bit for bit."""
    big, tiny = np.finfo(dtype).max / 2, np.finfo(dtype).tiny
    special = np.array([
        [0, 0, 10, 10], [np.nan, 0, 1, 1], [0, 0, np.inf, 1], [-np.inf, -np.inf, 5, 5],
        [-big, 0, big, 1], [-big, 0, big, 0], [-big, -big, big, big],
        [5, 5, 5, 8], [4, 4, 2, 2], [0, 0, tiny, tiny], [-0.0, -0.0, 0.0, 0.0],
        [tiny / 8, 0, tiny / 2, tiny / 8], [2, 2, 4, 4], [10, 0, 20, 10],
    ]).astype(dtype)
    boxes = np.concatenate([special, random_boxes(rng, 80).astype(dtype)])
    for m in (5, 8, 13, 31, 64, 70, len(boxes)):
        cols = boxes[rng.permutation(len(boxes))[:m]]
        dense = with_sparse_rows(False, lambda: box_iou(boxes, cols, offset=offset))
        sparse = with_sparse_rows(True, lambda: box_iou(boxes, cols, offset=offset))
        same_bits(sparse, dense)
        # the crowd-flag row (no crowd box) is the generic Cython path: same values
        generic = box_iou(boxes, cols, offset=offset, iscrowd=np.zeros(m, dtype=bool))
        np.testing.assert_array_equal(sparse, generic)


def test_sparse_rows_switch_reports_availability():
    assert isinstance(_boxes._sparse_division_available(), bool)
    old = _boxes._set_sparse_division(False)
    assert _boxes._set_sparse_division(old) is False


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(0, 0), (0, 3), (1, 1), (7, 200), (200, 200), (600, 300)])
def test_plain_calls_equal_the_fully_checked_path(dtype, shape):
    """C-contiguous (N, 4)/(M, 4) arrays of one native float dtype with default arguments skip
    the checks: the result must be what the checked path gives (forced here by strided views,
    a non-default `n_threads`, and a byte-swapped copy), bit for bit."""
    rng = np.random.default_rng(sum(shape))
    xy = rng.uniform(0, 100, (sum(shape), 2))
    boxes = np.hstack([xy, xy + rng.uniform(0, 30, xy.shape)]).astype(dtype)
    boxes[::5, 2] = np.nan
    first, second = boxes[:shape[0]], boxes[shape[0]:]
    plain = box_iou(first, second)
    assert plain.dtype == dtype and plain.shape == shape
    strided = np.repeat(first, 2, axis=0)[::2], np.repeat(second, 2, axis=0)[::2]
    checked = box_iou(*strided, n_threads=1)
    assert checked.dtype == dtype
    np.testing.assert_array_equal(plain, checked)
    swapped = box_iou(first.astype(first.dtype.newbyteorder(">")), second)
    np.testing.assert_array_equal(plain, swapped)
    assert swapped.dtype == dtype
    np.testing.assert_array_equal(box_iou(first, second, offset=1),
                                  box_iou(*strided, offset=1.0, n_threads=1))


def test_plain_call_conditions():
    """The kernel's checks-free entry takes only what box_iou's checks would pass unchanged
    and returns None for anything else (the caller then takes the checked path)."""
    boxes = np.array([[0.0, 0.0, 2.0, 2.0], [1.0, 1.0, 3.0, 3.0]])
    np.testing.assert_array_equal(_boxes.plain_iou(boxes, boxes, 0.0, 1), box_iou(boxes, boxes))
    assert _boxes.plain_iou(boxes.astype(np.float32), boxes.astype(np.float32), 0.0, 1).dtype == np.float32
    for first, second in ((boxes.astype(np.float32), boxes),                 # mixed dtypes
                          (boxes[:, :3].copy(), boxes),                      # 3 columns
                          (np.asfortranarray(boxes), boxes),                 # layout
                          (np.repeat(boxes, 2, axis=0)[::2], boxes),         # strided
                          (boxes.astype(int), boxes.astype(int)),            # integers
                          (boxes.astype(np.float16), boxes.astype(np.float16)),
                          (boxes.astype(">f8"), boxes.astype(">f8")),        # byte order
                          (boxes[None], boxes[None]),                        # batched
                          (boxes.ravel(), boxes.ravel())):                   # flat
        assert _boxes.plain_iou(first, second, 0.0, 1) is None
        assert _boxes.plain_iou(second, first, 0.0, 1) is None
    with pytest.raises(TypeError):
        _boxes.plain_iou([[0, 0, 1, 1]], boxes, 0.0, 1)
    # arguments away from their defaults take the checked path and its errors
    with pytest.raises(ValueError, match="`n_threads`"):
        box_iou(boxes, boxes, n_threads=0)
    with pytest.raises(ValueError, match="`eps`"):
        box_iou(boxes, boxes, eps=-1.0)
    assert box_iou(boxes, boxes, offset=1).tolist() != box_iou(boxes, boxes).tolist()
