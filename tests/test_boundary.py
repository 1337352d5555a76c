"""Boundary IoU, boundary F-score, the BoundaryIoU accumulator and mask_iou(boundary=True):
against a per-class OpenCV transcription of boundary-iou-api's ``mask_to_boundary``, the
NumPy reference, properties, and every error path."""

import json
import pickle
import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import fastiou
from fastiou import reference as ref
from cases import _layout

cv2 = pytest.importorskip("cv2")

THREADS = (1, 2, 3, 7)


def mask_to_boundary(mask, dilation_ratio=0.02):
    """boundary-iou-api's ``mask_to_boundary`` (boundary_iou/utils/boundary_utils.py),
    transcribed: pad with one zero pixel, erode d times with a 3x3 square, subtract."""
    h, w = mask.shape
    img_diag = np.sqrt(h ** 2 + w ** 2)
    dilation = int(round(dilation_ratio * img_diag))
    if dilation < 1:
        dilation = 1
    new_mask = cv2.copyMakeBorder(mask, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    kernel = np.ones((3, 3), dtype=np.uint8)
    new_mask_erode = cv2.erode(new_mask, kernel, iterations=dilation)
    mask_erode = new_mask_erode[1: h + 1, 1: w + 1]
    return mask - mask_erode


def opencv_counts(truth, pred, num_classes, dilation_ratio=0.02, ignore=()):
    """Per-class |Gb ∩ Pb|, |Gb|, |Pb| with one OpenCV erosion per class and image; pixels
    whose truth is ignored or outside [0, C) are left out (as ``out_of_range="ignore"``)."""
    truth = np.asarray(truth).reshape((-1,) + np.shape(truth)[-2:]).astype(np.int64)
    pred = np.asarray(pred).reshape(truth.shape).astype(np.int64)
    counts = np.zeros((3, num_classes), dtype=np.int64)
    for t, p in zip(truth, pred):
        kept = ~np.isin(t, list(ignore)) & (t >= 0) & (t < num_classes)
        for c in range(num_classes):
            gb = mask_to_boundary((t == c).astype(np.uint8), dilation_ratio).astype(bool) & kept
            pb = mask_to_boundary((p == c).astype(np.uint8), dilation_ratio).astype(bool) & kept
            counts[:, c] += [(gb & pb).sum(), gb.sum(), pb.sum()]
    return counts


def oracle_iou(counts):
    inter, gb, pb = counts.astype(np.float64)
    union = gb + pb - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, inter / np.where(union > 0, union, 1), np.nan)


def random_maps(rng, n, height, width, num_classes, kind):
    """Label maps: blocky regions (upscaled noise), pure noise, stripes, one class."""
    if kind == "blocks":
        cell = int(rng.integers(1, 9))
        small = rng.integers(0, num_classes, (n, height // cell + 1, width // cell + 1))
        maps = np.repeat(np.repeat(small, cell, axis=1), cell, axis=2)[:, :height, :width]
    elif kind == "noise":
        maps = rng.integers(0, num_classes, (n, height, width))
    elif kind == "stripes":
        maps = np.broadcast_to((np.arange(width) // max(1, width // num_classes)) % num_classes,
                               (n, height, width)).copy()
    else:
        maps = np.full((n, height, width), int(rng.integers(0, num_classes)))
    return maps


def perturbed(rng, maps, num_classes, rate=0.05):
    out = maps.copy()
    flip = rng.random(out.shape) < rate
    out[flip] = rng.integers(0, num_classes, int(flip.sum()))
    # shift a few rows so that region borders move
    return np.where(rng.random(out.shape[:1])[:, None, None] < 0.5, np.roll(out, 1, axis=2), out)


SIZES = [(1, 1), (1, 7), (7, 1), (2, 2), (3, 5), (5, 3), (17, 31), (33, 17), (64, 65), (150, 151)]


@pytest.mark.parametrize("height,width", SIZES)
@pytest.mark.parametrize("kind", ["blocks", "noise", "stripes", "constant"])
def test_equals_opencv_mask_to_boundary_per_class(height, width, kind):
    rng = np.random.default_rng(height * 1000 + width + len(kind))
    num_classes = 4
    truth = random_maps(rng, 2, height, width, num_classes, kind)
    pred = perturbed(rng, truth, num_classes)
    for ratio in (0.0, 0.02, 0.05, 0.2):
        expected = opencv_counts(truth, pred, num_classes, ratio)
        counts = fastiou.segmentation.boundary.boundary_counts(truth, pred, num_classes,
                                                               dilation_ratio=ratio)
        np.testing.assert_array_equal(np.stack(counts[:3]), expected)
        np.testing.assert_array_equal(
            fastiou.boundary_iou(truth, pred, num_classes, dilation_ratio=ratio), oracle_iou(expected))


def test_equals_opencv_with_many_classes_and_the_reference():
    rng = np.random.default_rng(7)
    num_classes = 300
    truth = random_maps(rng, 2, 61, 47, num_classes, "blocks").astype(np.uint16)
    pred = perturbed(rng, truth, num_classes).astype(np.uint16)
    expected = opencv_counts(truth, pred, num_classes, 0.05)
    counts = fastiou.segmentation.boundary.boundary_counts(truth, pred, num_classes, dilation_ratio=0.05)
    np.testing.assert_array_equal(np.stack(counts[:3]), expected)
    depth = fastiou.boundary_depth(61, 47, 0.05)
    np.testing.assert_array_equal(np.stack(ref.boundary_counts(truth, pred, num_classes, depth)), expected)


def test_classes_touching_the_border_are_boundary_there():
    truth = np.zeros((9, 9), np.uint8)
    truth[:, :4] = 1  # class 1 touches three borders
    depth = 1
    counts = fastiou.segmentation.boundary.boundary_counts(truth, truth, 2, dilation_ratio=0.0)
    expected = opencv_counts(truth, truth, 2, 0.0)
    np.testing.assert_array_equal(np.stack(counts[:3]), expected)
    band = ref.inner_band(truth == 1, depth)
    assert band[:, 0].all() and band[0, :4].all() and band[:, 3].all() and not band[1:-1, 1:3].any()


@pytest.mark.parametrize("n_threads", THREADS)
def test_thread_count_never_changes_the_counts(n_threads):
    rng = np.random.default_rng(3)
    truth = random_maps(rng, 3, 257, 130, 19, "blocks")
    pred = perturbed(rng, truth, 19)
    expected = fastiou.segmentation.boundary.boundary_counts(truth, pred, 19, n_threads=1)
    for batch in (truth, truth[:1]):  # several images, and one image shared out in row blocks
        one = fastiou.segmentation.boundary.boundary_counts(batch, pred[:len(batch)], 19, n_threads=1)
        got = fastiou.segmentation.boundary.boundary_counts(batch, pred[:len(batch)], 19,
                                                            n_threads=n_threads)
        np.testing.assert_array_equal(np.stack(got[:3]), np.stack(one[:3]))
    np.testing.assert_array_equal(np.stack(expected[:3]), opencv_counts(truth, pred, 19))


def test_row_blocks_of_any_height_give_the_same_counts():
    from fastiou.segmentation import _boundary
    rng = np.random.default_rng(5)
    truth = random_maps(rng, 2, 40, 23, 3, "blocks").astype(np.int32)
    pred = perturbed(rng, truth, 3).astype(np.int32)
    ignore = np.array([], np.int32)
    for depth in (1, 2, 5, 11, 19, 25):
        whole = _boundary.band_counts(truth, pred, 3, ignore, depth, 40, False, 1)
        for rows in (1, 2, 3, 7, 13, 39):
            for threads in (1, 3):
                got = _boundary.band_counts(truth, pred, 3, ignore, depth, rows, False, threads)
                for a, b in zip(got, whole):
                    np.testing.assert_array_equal(a, b)


DTYPES = ["bool", "uint8", "int8", "uint16", "int16", "uint32", "int32", "uint64", "int64"]
LAYOUTS = ["C", "F", "strided", "transposed", "readonly", "byteswapped", "list", "reversed"]


def maps_of_dtype(dtype):
    """``(truth, pred, num_classes)``: two blocky (2, 21, 18) maps of `dtype`."""
    rng = np.random.default_rng(11)
    num_classes = 2 if dtype == "bool" else 5
    truth = random_maps(rng, 2, 21, 18, num_classes, "blocks").astype(dtype)
    return truth, perturbed(rng, truth.astype(np.int64), num_classes).astype(dtype), num_classes


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_dtypes_and_layouts(dtype, layout):
    truth, pred, num_classes = maps_of_dtype(dtype)
    expected = opencv_counts(truth, pred, num_classes, 0.1)
    t_in, p_in = _layout(truth, layout), _layout(pred, layout)
    before = (np.array(t_in, copy=True), np.array(p_in, copy=True))
    got = fastiou.boundary_iou(t_in, p_in, num_classes, dilation_ratio=0.1)
    np.testing.assert_array_equal(got, oracle_iou(expected))
    assert got.dtype == np.float64 and got.shape == (num_classes,)
    np.testing.assert_array_equal(np.asarray(t_in), before[0])
    np.testing.assert_array_equal(np.asarray(p_in), before[1])


@pytest.mark.parametrize("function", [fastiou.boundary_iou, fastiou.boundary_fscore])
def test_mixed_dtypes_and_torch_tensors(function):
    rng = np.random.default_rng(2)
    truth = random_maps(rng, 1, 20, 20, 3, "blocks")
    pred = perturbed(rng, truth, 3)
    expected = function(truth, pred, 3)
    np.testing.assert_array_equal(function(truth.astype(np.uint8), pred.astype(np.int64), 3), expected)
    torch = pytest.importorskip("torch")
    np.testing.assert_array_equal(function(torch.from_numpy(truth), torch.from_numpy(pred), 3), expected)


IGNORE_CASES = [255, 1, [1, 255], -1]


def maps_with_ignored_values(ignore):
    """4-class int16 maps whose truth holds a 255 block and a first row of an ignore value
    (or -1); returns ``(truth, pred, ignore values, out_of_range policy that passes)``."""
    rng = np.random.default_rng(13)
    truth = random_maps(rng, 2, 30, 27, 4, "blocks").astype(np.int16)
    pred = perturbed(rng, truth, 4).astype(np.int16)
    truth[:, 10:14, 5:20] = 255
    truth[:, 0, :] = -1
    values = [ignore] if isinstance(ignore, int) else ignore
    if -1 not in values:
        truth[:, 0, :] = 255 if 255 in values else values[0]
    return truth, pred, values, "ignore" if 255 not in values else "raise"


@pytest.mark.parametrize("ignore", IGNORE_CASES)
def test_ignore_leaves_pixels_out_of_both_counts_with_bands_on_the_maps_as_they_are(ignore):
    truth, pred, values, policy = maps_with_ignored_values(ignore)
    expected = opencv_counts(truth, pred, 4, 0.05, ignore=values)
    counts = fastiou.segmentation.boundary.boundary_counts(
        truth, pred, 4, dilation_ratio=0.05, ignore_index=ignore, out_of_range=policy)
    np.testing.assert_array_equal(np.stack(counts[:3]), expected)


def test_out_of_range_policies():
    truth = np.zeros((8, 8), np.int64)
    truth[:, 4:] = 1
    pred = truth.copy()
    pred[0, 0] = 7  # a bad prediction on a truth-band pixel of class 0
    truth[7, 7] = 9  # a bad truth
    with pytest.raises(ValueError, match=r"`y_true` has 1 label\(s\) outside \[0, 2\).*e\.g\. 9"):
        fastiou.boundary_iou(truth, pred, 2)
    with pytest.raises(ValueError, match=r"`y_pred` has 1 label\(s\) outside \[0, 2\).*e\.g\. 7"):
        fastiou.boundary_iou(np.where(truth == 9, 1, truth), pred, 2)
    ignored = fastiou.segmentation.boundary.boundary_counts(truth, pred, 2, out_of_range="ignore")
    missed = fastiou.segmentation.boundary.boundary_counts(truth, pred, 2, out_of_range="miss")
    assert (ignored.n_bad_true, ignored.n_bad_pred) == (1, 1) == (missed.n_bad_true, missed.n_bad_pred)
    np.testing.assert_array_equal(missed.true_band - ignored.true_band, [1, 0])
    np.testing.assert_array_equal(missed.pred_band, ignored.pred_band)
    np.testing.assert_array_equal(missed.intersection, ignored.intersection)
    # what is counted equals the oracle on the pixels kept
    keep = (truth < 2) & (pred < 2)
    expected = opencv_counts(truth, pred, 2, ignore=())
    kept_counts = np.zeros_like(expected)
    for c in range(2):
        gb = mask_to_boundary((truth == c).astype(np.uint8)).astype(bool) & keep
        pb = mask_to_boundary((pred == c).astype(np.uint8)).astype(bool) & keep
        kept_counts[:, c] = [(gb & pb).sum(), gb.sum(), pb.sum()]
    np.testing.assert_array_equal(np.stack(ignored[:3]), kept_counts)
    assert expected.shape == kept_counts.shape


def test_empty_union_is_nan_without_warning():
    truth = np.zeros((5, 5), np.uint8)
    iou = fastiou.boundary_iou(truth, truth, 3)
    assert iou[0] == 1.0 and np.isnan(iou[1:]).all()
    empty = fastiou.boundary_iou(np.zeros((0, 4, 4), np.uint8), np.zeros((0, 4, 4), np.uint8), 2)
    assert np.isnan(empty).all()
    assert np.isnan(fastiou.boundary_iou(np.zeros((3, 0), np.uint8), np.zeros((3, 0), np.uint8), 2)).all()
    acc = fastiou.BoundaryIoU(2)
    assert np.isnan(acc.compute().mean_iou)


def test_one_pixel_images():
    for truth, pred in (([[0]], [[0]]), ([[1]], [[0]]), ([[[1]], [[1]]], [[[1]], [[0]]])):
        expected = opencv_counts(truth, pred, 2)
        counts = fastiou.segmentation.boundary.boundary_counts(truth, pred, 2)
        np.testing.assert_array_equal(np.stack(counts[:3]), expected)


def test_boundary_depth_matches_the_peers_formula():
    for h, w in [(1, 1), (1024, 2048), (512, 512), (25, 25), (100, 3), (17, 1000)]:
        for ratio in (0.0, 0.005, 0.02, 0.1, 1.0):
            assert fastiou.boundary_depth(h, w, ratio) == max(1, int(round(ratio * np.sqrt(h ** 2 + w ** 2))))
    # Python's round (halves to even), as boundary-iou-api: 0.5 * 5 = 2.5 -> 2
    assert fastiou.boundary_depth(3, 4, 0.5) == 2
    assert fastiou.boundary_depth(3, 4, 0.7) == 4


# --------------------------------------------------------------------------- properties
maps = st.tuples(st.integers(1, 3), st.integers(1, 24), st.integers(1, 24)).flatmap(
    lambda shape: st.tuples(hnp.arrays(np.uint8, shape, elements=st.integers(0, 3)),
                            hnp.arrays(np.uint8, shape, elements=st.integers(0, 3))))


@settings(max_examples=60, deadline=None)
@given(maps, st.sampled_from([0.0, 0.05, 0.1, 0.3]))
def test_property_equals_reference_and_opencv(pair, ratio):
    truth, pred = pair
    depth = fastiou.boundary_depth(truth.shape[1], truth.shape[2], ratio)
    counts = np.stack(fastiou.segmentation.boundary.boundary_counts(truth, pred, 4, dilation_ratio=ratio,
                                                                    n_threads=2)[:3])
    np.testing.assert_array_equal(counts, np.stack(ref.boundary_counts(truth, pred, 4, depth)))
    np.testing.assert_array_equal(counts, opencv_counts(truth, pred, 4, ratio))


@settings(max_examples=60, deadline=None)
@given(maps)
def test_property_counts_are_consistent(pair):
    truth, pred = pair
    inter, gb, pb, _, _ = fastiou.segmentation.boundary.boundary_counts(truth, pred, 4)
    assert (inter <= np.minimum(gb, pb)).all()
    # every pixel of a class is in its band or its interior: the band is at most the class's pixels
    assert (gb <= np.bincount(truth.ravel(), minlength=4)).all()
    # swapping truth and prediction swaps the bands
    swapped = fastiou.segmentation.boundary.boundary_counts(pred, truth, 4)
    np.testing.assert_array_equal(swapped.true_band, pb)
    np.testing.assert_array_equal(swapped.intersection, inter)
    # a batch is the sum of its images
    single = [fastiou.segmentation.boundary.boundary_counts(t, p, 4) for t, p in zip(truth, pred)]
    np.testing.assert_array_equal(sum(s.intersection for s in single), inter)
    iou = fastiou.boundary_iou(truth, pred, 4)
    assert np.all((iou[~np.isnan(iou)] >= 0) & (iou[~np.isnan(iou)] <= 1))
    same = fastiou.boundary_iou(truth, truth, 4)
    assert np.all(np.isnan(same) | (same == 1.0))


# --------------------------------------------------------------------------- accumulator
def test_accumulator_streams_merges_and_serialises():
    rng = np.random.default_rng(19)
    batches = [(random_maps(rng, 2, 30, 40, 5, "blocks"),) for _ in range(4)]
    batches = [(t, perturbed(rng, t, 5)) for (t,) in batches]
    whole = fastiou.BoundaryIoU(5, ignore_index=4)
    parts = [fastiou.BoundaryIoU(5, ignore_index=4) for _ in range(2)]
    expected = np.zeros((3, 5), np.int64)
    for k, (t, p) in enumerate(batches):
        whole.update(t, p)
        parts[k % 2].update(t, p)
        expected += opencv_counts(t, p, 5, ignore=[4])
    np.testing.assert_array_equal(whole.counts, expected)
    assert parts[0] + parts[1] == whole
    assert sum(parts) == whole
    assert parts[0].copy().merge(parts[1]) == whole
    assert pickle.loads(pickle.dumps(whole)) == whole
    assert fastiou.BoundaryIoU.from_dict(json.loads(json.dumps(whole.to_dict()))) == whole
    assert "BoundaryIoU(num_classes=5" in repr(whole)
    assert whole.n_out_of_range == (0, 0)
    clone = whole.copy()
    clone.reset()
    assert clone.counts.sum() == 0 and whole.counts.sum() > 0
    assert (whole == 3) is False


def test_accumulator_images_of_different_sizes_and_threads():
    acc = fastiou.BoundaryIoU(3, out_of_range="ignore")
    rng = np.random.default_rng(23)
    expected = np.zeros((3, 3), np.int64)
    images = [random_maps(rng, 1, h, w, 3, "blocks")[0] for h, w in [(30, 50), (64, 20), (9, 9)] * 3]
    threads = [threading.Thread(target=acc.update, args=(im, im[::-1].copy())) for im in images]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for im in images:
        expected += opencv_counts(im, im[::-1], 3)
    np.testing.assert_array_equal(acc.counts, expected)


def test_accumulator_errors():
    acc = fastiou.BoundaryIoU(2)
    with pytest.raises(ValueError, match="cannot merge accumulator 0: its `dilation_ratio`"):
        acc.merge(fastiou.BoundaryIoU(2, dilation_ratio=0.1))
    with pytest.raises(TypeError, match="`merge` takes BoundaryIoU objects; argument 0 is a ConfusionMatrix"):
        acc.merge(fastiou.ConfusionMatrix(2))
    with pytest.raises(ValueError, match="format 'fastiou.BoundaryIoU/2'"):
        fastiou.BoundaryIoU.from_dict({"format": "other"})
    state = acc.to_dict()
    with pytest.raises(ValueError, match=r"`state` lacks \['counts'\]"):
        fastiou.BoundaryIoU.from_dict({k: v for k, v in state.items() if k != "counts"})
    with pytest.raises(ValueError, match=r"`state\['counts'\]` must be integer counts of shape \(3, 2\)"):
        fastiou.BoundaryIoU.from_dict({**state, "counts": [[1, 2]]})
    with pytest.raises(ValueError, match=r"`state\['n_bad_true'\]` must be a non-negative int"):
        fastiou.BoundaryIoU.from_dict({**state, "n_bad_true": -1})
    with pytest.raises(ValueError, match="must be non-negative|negative"):
        fastiou.BoundaryIoU.from_dict({**state, "counts": [[-1, 0], [0, 0], [0, 0]]})
    with pytest.raises(ValueError, match="`out_of_range` must be one of"):
        fastiou.BoundaryIoU(2, out_of_range="clip")
    with pytest.raises(TypeError, match="`dilation_ratio` must be a non-negative number"):
        fastiou.BoundaryIoU(2, dilation_ratio="0.02")
    with pytest.raises(ValueError, match="outside"):
        acc.update([[0, 5]], [[0, 1]])
    assert acc.counts.sum() == 0
    assert acc.__add__(3) is NotImplemented and acc.__radd__(3) is NotImplemented


# --------------------------------------------------------------------------- bad input
# bad input every label-map boundary function (boundary_iou, boundary_fscore) refuses alike
COMMON_BAD_INPUT = [
    ({"y_pred": np.zeros((4, 6), np.uint8)}, ValueError, r"`y_pred` has shape \(4, 6\) but `y_true` has shape \(4, 5\)"),
    ({"y_true": np.zeros(5, np.uint8), "y_pred": np.zeros(5, np.uint8)}, ValueError, r"shape \(H, W\) or \(N, H, W\), got 1-d"),
    ({"y_true": np.zeros((1, 1, 2, 2), np.uint8), "y_pred": np.zeros((1, 1, 2, 2), np.uint8)}, ValueError, "got 4-d"),
    ({"y_true": np.zeros((4, 5)), "y_pred": np.zeros((4, 5))}, TypeError, "`y_true`"),
    ({"num_classes": 0}, ValueError, "`num_classes` must be a positive int, got 0"),
    ({"num_classes": 2.0}, TypeError, "`num_classes` must be a positive int"),
    ({"n_threads": 0}, ValueError, "`n_threads` must be None, a positive int"),
    ({"n_threads": 1.5}, TypeError, "`n_threads` must be None or an int"),
    ({"out_of_range": "clip"}, ValueError, "`out_of_range` must be one of 'raise', 'ignore', 'miss'"),
    ({"ignore_index": "255"}, TypeError, "`ignore_index` must be None, an int or a sequence of ints"),
]


def call_with_bad_input(function, kwargs, error, match):
    """Call `function` on small valid maps with `kwargs` replacing arguments; expect `error`."""
    args = {"y_true": np.zeros((4, 5), np.uint8), "y_pred": np.zeros((4, 5), np.uint8), "num_classes": 2}
    args.update(kwargs)
    with pytest.raises(error, match=match):
        function(args.pop("y_true"), args.pop("y_pred"), args.pop("num_classes"), **args)


@pytest.mark.parametrize("kwargs,error,match", COMMON_BAD_INPUT + [
    ({"dilation_ratio": True}, TypeError, "`dilation_ratio` must be a non-negative number, got bool"),
    ({"dilation_ratio": "x"}, TypeError, "`dilation_ratio` must be a non-negative number, got str"),
    ({"dilation_ratio": -0.1}, ValueError, r"`dilation_ratio` must be a finite number >= 0, got -0.1"),
    ({"dilation_ratio": float("nan")}, ValueError, "`dilation_ratio` must be a finite number >= 0"),
    ({"dilation_ratio": float("inf")}, ValueError, "`dilation_ratio` must be a finite number >= 0"),
])
def test_bad_input(kwargs, error, match):
    call_with_bad_input(fastiou.boundary_iou, kwargs, error, match)


@pytest.mark.parametrize("function,ratio", [(fastiou.boundary_depth, "dilation_ratio"),
                                            (fastiou.bf_tolerance, "tolerance_ratio")])
def test_size_functions_bad_input(function, ratio):
    with pytest.raises(ValueError, match="`height` must be a non-negative int, got -1"):
        function(-1, 3)
    with pytest.raises(ValueError, match="`width` must be a non-negative int, got 2.5"):
        function(3, 2.5)
    with pytest.raises(ValueError, match=f"`{ratio}` must be a finite number >= 0"):
        function(3, 3, **{ratio: -1})


def test_num_classes_whose_tables_do_not_fit(monkeypatch):
    from fastiou.segmentation import boundary
    monkeypatch.setattr(boundary, "available_memory_bytes", lambda: 1 << 20)
    with pytest.raises(ValueError, match=r"`num_classes`=100000000 needs .* bytes of counts, but only 1048576"):
        fastiou.boundary_iou([[0]], [[0]], 10 ** 8)
    monkeypatch.setattr(boundary, "available_memory_bytes", lambda: None)
    assert boundary._thread_tables_fit(10 ** 8, 4) == 4
    monkeypatch.setattr(boundary, "available_memory_bytes", lambda: 2 * 10 ** 10)
    assert boundary._thread_tables_fit(10 ** 8, 4) == 3


# --------------------------------------------------------------------------- instance masks
def test_mask_iou_boundary_equals_boundary_iou_api():
    rng = np.random.default_rng(29)
    yy, xx = np.mgrid[:45, :60]
    masks = np.stack([((yy - rng.uniform(0, 45)) ** 2 + (xx - rng.uniform(0, 60)) ** 2)
                      < rng.uniform(4, 30) ** 2 for _ in range(7)] + [np.zeros((45, 60), bool),
                                                                      np.ones((45, 60), bool)])
    others = np.roll(masks, 2, axis=2)
    for ratio in (0.02, 0.08):
        bands1 = np.stack([mask_to_boundary(m.astype(np.uint8), ratio) for m in masks]).astype(bool)
        bands2 = np.stack([mask_to_boundary(m.astype(np.uint8), ratio) for m in others]).astype(bool)
        expected = ref.mask_iou(bands1, bands2)
        for threads in THREADS:
            np.testing.assert_array_equal(
                fastiou.mask_iou(masks, others, boundary=True, dilation_ratio=ratio, n_threads=threads),
                expected)
        np.testing.assert_array_equal(
            fastiou.mask_iou(fastiou.rle_encode(masks), others.astype(np.uint8) * 7, boundary=True,
                             dilation_ratio=ratio), expected)
        np.testing.assert_array_equal(
            fastiou.mask_iou(fastiou.rle_encode(masks[0]), others, boundary=True,
                             dilation_ratio=ratio), expected[:1])
    assert fastiou.mask_iou([], others, boundary=True).shape == (0, 9)


def test_mask_iou_boundary_bad_input():
    masks = np.ones((1, 4, 4), bool)
    with pytest.raises(TypeError, match="`boundary` must be a bool, got str"):
        fastiou.mask_iou(masks, masks, boundary="yes")
    with pytest.raises(ValueError, match="`dilation_ratio` must be a finite number >= 0"):
        fastiou.mask_iou(masks, masks, boundary=True, dilation_ratio=-1)
    with pytest.raises(ValueError, match="`masks2` has masks of size"):
        fastiou.mask_iou(masks, np.ones((1, 5, 4), bool), boundary=True)


@settings(max_examples=60, deadline=None)
@given(st.tuples(st.integers(1, 3), st.integers(1, 20), st.integers(1, 20)).flatmap(
    lambda shape: hnp.arrays(np.bool_, shape)), st.sampled_from([0.0, 0.1, 0.3]))
def test_property_mask_bands_equal_the_reference(masks, ratio):
    from fastiou.detection import _mask_bands
    depth = fastiou.boundary_depth(masks.shape[1], masks.shape[2], ratio)
    bands = _mask_bands.mask_bands(masks.view(np.uint8), depth, 2)
    for mask, band in zip(masks, bands):
        np.testing.assert_array_equal(band.astype(bool), ref.inner_band(mask, depth))


@settings(max_examples=60, deadline=None)
@given(maps, st.sampled_from([None, 0, 3, [1, 2]]))
def test_property_ignore_equals_the_reference(pair, ignore):
    truth, pred = pair
    values = [] if ignore is None else [ignore] if isinstance(ignore, int) else ignore
    depth = fastiou.boundary_depth(truth.shape[1], truth.shape[2])
    counts = fastiou.segmentation.boundary.boundary_counts(truth, pred, 4, ignore_index=ignore, n_threads=3)
    np.testing.assert_array_equal(np.stack(counts[:3]),
                                  np.stack(ref.boundary_counts(truth, pred, 4, depth, values)))
