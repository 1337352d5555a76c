"""fastiou.boundary_fscore (the BF score of Csurka et al.): equal to a per-class SciPy
oracle (4-connected perimeters by binary erosion, matching by the Euclidean distance
transform) and to the NumPy reference, on random maps of every shape, dtype and layout."""

import json
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import fastiou
from fastiou import reference as ref
from fastiou.segmentation.bfscore import contour_counts
from cases import _layout
from test_boundary import (COMMON_BAD_INPUT, DTYPES, IGNORE_CASES, LAYOUTS, call_with_bad_input,
                           maps_of_dtype, maps_with_ignored_values, perturbed, random_maps)

ndimage = pytest.importorskip("scipy.ndimage")

THREADS = (1, 2, 3, 7)
CROSS = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], dtype=bool)


def scipy_contour(mask, image_border):
    """The mask minus its 4-connected erosion; outside the image is background when
    `image_border` (so the mask's pixels on the edge are contour), else foreground."""
    eroded = ndimage.binary_erosion(mask, structure=CROSS, border_value=0 if image_border else 1)
    return mask & ~eroded


def within(contour, theta):
    """The pixels at Euclidean distance < theta of a pixel of `contour` (exact: the squared
    distances of the transform are integers)."""
    if not contour.any():
        return np.zeros_like(contour)
    squared = np.rint(ndimage.distance_transform_edt(~contour) ** 2)
    return squared < theta * theta


def scipy_counts(truth, pred, num_classes, theta, ignore=(), image_border=True, miss=False):
    """Per-image (N, 4, C) counts, one class at a time. A contour pixel whose truth is
    ignored or out of range counts nowhere; one whose prediction is out of range counts
    only as a true contour pixel, and only with `miss` (as ``out_of_range="miss"``)."""
    truth = np.asarray(truth).astype(np.int64).reshape((-1,) + np.shape(truth)[-2:])
    pred = np.asarray(pred).astype(np.int64).reshape(truth.shape)
    out = np.zeros((truth.shape[0], 4, num_classes), dtype=np.int64)
    for image, (t, p) in enumerate(zip(truth, pred)):
        valid_truth = ~np.isin(t, list(ignore)) & (t >= 0) & (t < num_classes)
        valid_pred = (p >= 0) & (p < num_classes)
        true_kept = valid_truth & (valid_pred | miss)
        pred_kept = valid_truth & valid_pred
        for c in range(num_classes):
            gc, pc = scipy_contour(t == c, image_border), scipy_contour(p == c, image_border)
            out[image, :, c] = [(gc & true_kept).sum(), (gc & true_kept & within(pc, theta)).sum(),
                                (pc & pred_kept).sum(), (pc & pred_kept & within(gc, theta)).sum()]
    return out


def oracle_f(counts):
    """(F, P, R) of (..., 4, C) counts by the stated rules, written out case by case."""
    counts = np.asarray(counts, dtype=np.float64)
    tc, tm, pc, pm = (counts[..., k, :] for k in range(4))
    f = np.full(tc.shape, np.nan)
    p = np.full(tc.shape, np.nan)
    r = np.full(tc.shape, np.nan)
    for index in np.ndindex(tc.shape):
        if pc[index]:
            p[index] = pm[index] / pc[index]
        if tc[index]:
            r[index] = tm[index] / tc[index]
        if tc[index] and pc[index]:
            total = p[index] + r[index]
            f[index] = 2 * p[index] * r[index] / total if total else 0.0
        elif tc[index] or pc[index]:
            f[index] = 0.0
    return f, p, r


def image_mean(values):
    """Per class, the mean over axis 0 of the values that are not NaN (NaN if none)."""
    values = np.asarray(values)
    out = np.full(values.shape[1:], np.nan)
    for index in np.ndindex(out.shape):
        kept = [v for v in values[(slice(None),) + index] if not np.isnan(v)]
        if kept:
            out[index] = sum(kept) / len(kept)
    return out


SIZES = [(1, 1), (1, 7), (7, 1), (2, 2), (3, 5), (5, 3), (17, 31), (33, 17), (64, 65)]
TOLERANCES = (0.0, 1.0, 1.5, 2.0, 2.5, 5.0)


@pytest.mark.parametrize("height,width", SIZES)
@pytest.mark.parametrize("kind", ["blocks", "noise", "stripes", "constant"])
@pytest.mark.parametrize("image_border", [True, False])
def test_equals_scipy_per_class(height, width, kind, image_border):
    rng = np.random.default_rng(height * 1000 + width + len(kind))
    num_classes = 4
    truth = random_maps(rng, 2, height, width, num_classes, kind)
    pred = perturbed(rng, truth, num_classes)
    for tolerance in TOLERANCES:
        expected = scipy_counts(truth, pred, num_classes, tolerance, image_border=image_border)
        got = contour_counts(truth, pred, num_classes, tolerance=tolerance,
                             image_border=image_border).per_image
        np.testing.assert_array_equal(got, expected)
        f, p, r = oracle_f(expected)
        f_img, p_img, r_img = fastiou.boundary_fscore(
            truth, pred, num_classes, tolerance=tolerance, image_border=image_border,
            return_precision_recall=True)
        np.testing.assert_allclose(f_img, image_mean(f), rtol=1e-15, atol=1e-15)
        np.testing.assert_allclose(p_img, image_mean(p), rtol=1e-15, atol=1e-15)
        np.testing.assert_allclose(r_img, image_mean(r), rtol=1e-15, atol=1e-15)
        f_all = fastiou.boundary_fscore(truth, pred, num_classes, tolerance=tolerance,
                                        image_border=image_border, average="dataset")
        np.testing.assert_array_equal(f_all, oracle_f(expected.sum(axis=0))[0])


def test_default_tolerance_is_csurkas_share_of_the_diagonal():
    rng = np.random.default_rng(5)
    truth = random_maps(rng, 2, 150, 230, 5, "blocks")
    pred = perturbed(rng, truth, 5, rate=0.02)
    theta = 0.0075 * np.hypot(150, 230)
    assert fastiou.bf_tolerance(150, 230) == pytest.approx(theta, rel=1e-15)
    assert fastiou.bf_tolerance(0, 0) == 0.0
    expected = scipy_counts(truth, pred, 5, theta)
    np.testing.assert_array_equal(contour_counts(truth, pred, 5).per_image, expected)
    ratio = 0.02
    np.testing.assert_array_equal(contour_counts(truth, pred, 5, tolerance_ratio=ratio).per_image,
                                  scipy_counts(truth, pred, 5, ratio * np.hypot(150, 230)))
    # an explicit tolerance in pixels overrides the ratio
    np.testing.assert_array_equal(
        contour_counts(truth, pred, 5, tolerance=3, tolerance_ratio=0.5).per_image,
        scipy_counts(truth, pred, 5, 3.0))


def test_many_classes_and_the_reference():
    rng = np.random.default_rng(7)
    num_classes = 300
    truth = random_maps(rng, 2, 61, 47, num_classes, "blocks").astype(np.uint16)
    pred = perturbed(rng, truth, num_classes).astype(np.uint16)
    expected = scipy_counts(truth, pred, num_classes, 2.5)
    got = contour_counts(truth, pred, num_classes, tolerance=2.5, n_threads=3).per_image
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(ref.bf_counts(truth, pred, num_classes, 2.5), expected)


def test_classes_touching_the_border():
    truth = np.zeros((6, 7), np.uint8)
    truth[:, :3] = 1  # class 1 touches three edges of the image
    got = contour_counts(truth, truth, 2, tolerance=1, image_border=True).per_image[0]
    # with the border: class 1's contour is its column 2 and its edge pixels; class 0 likewise
    assert got[0, 1] == 6 + 2 + 2 + 4 and got[0, 0] == 6 + 3 + 3 + 4
    np.testing.assert_array_equal(got[0], got[1])  # identical maps: every pixel matched
    framed = contour_counts(truth, truth, 2, tolerance=1, image_border=False).per_image[0]
    np.testing.assert_array_equal(framed[0], [6, 6])  # only the columns either side of the edge
    # a class filling the image has no contour without the border: NaN, not 1
    full = np.ones((4, 4), np.uint8)
    assert np.isnan(fastiou.boundary_fscore(full, full, 2, image_border=False)).all()
    np.testing.assert_array_equal(fastiou.boundary_fscore(full, full, 2), [np.nan, 1.0])


def test_one_pixel_images():
    for truth, pred in (([[0]], [[0]]), ([[1]], [[0]]), ([[[1]], [[1]]], [[[1]], [[0]]])):
        for image_border in (True, False):
            expected = scipy_counts(truth, pred, 2, 1.0, image_border=image_border)
            got = contour_counts(truth, pred, 2, tolerance=1.0, image_border=image_border)
            np.testing.assert_array_equal(got.per_image, expected)
    np.testing.assert_array_equal(fastiou.boundary_fscore([[1]], [[0]], 2), [0.0, 0.0])


@pytest.mark.parametrize("n_threads", THREADS)
def test_thread_count_never_changes_the_counts(n_threads):
    rng = np.random.default_rng(3)
    truth = random_maps(rng, 3, 257, 130, 19, "blocks")
    pred = perturbed(rng, truth, 19)
    one = contour_counts(truth, pred, 19, tolerance=4, n_threads=1).per_image
    np.testing.assert_array_equal(
        contour_counts(truth, pred, 19, tolerance=4, n_threads=n_threads).per_image, one)
    np.testing.assert_array_equal(  # one image shared among the threads by rows
        contour_counts(truth[0], pred[0], 19, tolerance=4, n_threads=n_threads).per_image, one[:1])


def test_chunks_of_images_give_the_same_counts(monkeypatch):
    rng = np.random.default_rng(4)
    truth = random_maps(rng, 5, 20, 30, 6, "blocks")
    pred = perturbed(rng, truth, 6)
    whole = contour_counts(truth, pred, 6, tolerance=2).per_image
    monkeypatch.setattr(fastiou._shared._threads, "CHUNK_WORK", 600)  # one image a call
    np.testing.assert_array_equal(contour_counts(truth, pred, 6, tolerance=2).per_image, whole)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_dtypes_and_layouts(dtype, layout):
    truth, pred, num_classes = maps_of_dtype(dtype)
    t_in, p_in = _layout(truth, layout), _layout(pred, layout)
    t_arr, p_arr = np.asarray(t_in), np.asarray(p_in)
    before = (t_arr.copy(), p_arr.copy())
    expected = scipy_counts(t_arr, p_arr, num_classes, 2.0)
    got = fastiou.boundary_fscore(t_in, p_in, num_classes, tolerance=2.0, average="dataset")
    np.testing.assert_array_equal(got, oracle_f(expected.sum(axis=0))[0])
    assert got.dtype == np.float64 and got.shape == (num_classes,)
    np.testing.assert_array_equal(np.asarray(t_in), before[0])
    np.testing.assert_array_equal(np.asarray(p_in), before[1])


@pytest.mark.parametrize("ignore", IGNORE_CASES)
def test_ignored_contour_pixels_count_in_neither_direction(ignore):
    truth, pred, values, policy = maps_with_ignored_values(ignore)
    expected = scipy_counts(truth, pred, 4, 2.0, ignore=values)
    got = contour_counts(truth, pred, 4, tolerance=2.0, ignore_index=ignore, out_of_range=policy)
    np.testing.assert_array_equal(got.per_image, expected)
    # the reference, with every value outside [0, 4) ignored (they only mark other regions)
    np.testing.assert_array_equal(
        ref.bf_counts(np.where(truth < 0, 255, truth), pred, 4, 2.0,
                      ignore_index=[v for v in values if 0 <= v < 4] + [255]), expected)


def test_out_of_range_policies():
    truth = np.zeros((8, 8), np.int64)
    truth[:, 4:] = 1
    pred = truth.copy()
    pred[0, 0] = 7  # a bad prediction on a true contour pixel of class 0
    truth[7, 7] = 9  # a bad truth
    with pytest.raises(ValueError, match=r"`y_true` has 1 label\(s\) outside \[0, 2\).*e\.g\. 9"):
        fastiou.boundary_fscore(truth, pred, 2)
    with pytest.raises(ValueError, match=r"`y_pred` has 1 label\(s\) outside \[0, 2\).*e\.g\. 7"):
        fastiou.boundary_fscore(np.where(truth == 9, 1, truth), pred, 2)
    ignored = contour_counts(truth, pred, 2, tolerance=2, out_of_range="ignore")
    missed = contour_counts(truth, pred, 2, tolerance=2, out_of_range="miss")
    assert (ignored.n_bad_true, ignored.n_bad_pred) == (1, 1) == (missed.n_bad_true, missed.n_bad_pred)
    np.testing.assert_array_equal(ignored.per_image, scipy_counts(truth, pred, 2, 2.0))
    np.testing.assert_array_equal(missed.per_image, scipy_counts(truth, pred, 2, 2.0, miss=True))
    diff = missed.per_image - ignored.per_image
    np.testing.assert_array_equal(diff[0], [[1, 0], [1, 0], [0, 0], [0, 0]])


def test_empty_contours_nan_and_zero():
    truth = np.zeros((6, 6), np.uint8)
    pred = truth.copy()
    pred[2:4, 2:4] = 1  # class 1 predicted, not true: F 0; class 2 nowhere: NaN
    f, p, r = fastiou.boundary_fscore(truth, pred, 3, return_precision_recall=True)
    assert f[1] == 0.0 and p[1] == 0.0 and np.isnan(r[1])
    assert np.isnan(f[2]) and np.isnan(p[2]) and np.isnan(r[2])
    f, p, r = fastiou.boundary_fscore(pred, truth, 3, return_precision_recall=True)
    assert f[1] == 0.0 and np.isnan(p[1]) and r[1] == 0.0
    # contours far apart: P = R = 0, F = 0 (no warning)
    far_t, far_p = np.zeros((3, 40), np.uint8), np.zeros((3, 40), np.uint8)
    far_t[:, :2] = 1
    far_p[:, -2:] = 1
    assert fastiou.boundary_fscore(far_t, far_p, 2, tolerance=3)[1] == 0.0
    # tolerance 0 matches nothing (d < 0 never holds)
    np.testing.assert_array_equal(fastiou.boundary_fscore(truth, truth, 3, tolerance=0),
                                  [0.0, np.nan, np.nan])
    # no image at all, or empty images
    for shape in ((0, 4, 4), (3, 0), (0, 5)):
        empty = np.zeros(shape, np.uint8)
        assert np.isnan(fastiou.boundary_fscore(empty, empty, 2)).all()
        assert np.isnan(fastiou.boundary_fscore(empty, empty, 2, average="dataset")).all()


def test_image_and_dataset_averages():
    a_t = np.zeros((10, 10), np.uint8)
    a_t[:, 5:] = 1
    a_p = np.zeros_like(a_t)
    a_p[:, 7:] = 1  # class 1 shifted by two columns
    b_t = np.zeros((10, 10), np.uint8)
    b_p = b_t.copy()  # class 1 absent from the second image
    both_t, both_p = np.stack([a_t, b_t]), np.stack([a_p, b_p])
    first_f, first_p, first_r = fastiou.boundary_fscore(a_t, a_p, 2, tolerance=1.5,
                                                        return_precision_recall=True)
    second = fastiou.boundary_fscore(b_t, b_p, 2, tolerance=1.5)
    assert np.isnan(second[1]) and second[0] == 1.0
    f = fastiou.boundary_fscore(both_t, both_p, 2, tolerance=1.5)
    assert f[0] == pytest.approx((first_f[0] + 1.0) / 2, rel=1e-15)
    assert f[1] == first_f[1]  # the image without class 1 is left out of its mean
    counts = contour_counts(both_t, both_p, 2, tolerance=1.5).per_image
    np.testing.assert_array_equal(fastiou.boundary_fscore(both_t, both_p, 2, tolerance=1.5,
                                                          average="dataset"),
                                  oracle_f(counts.sum(axis=0))[0])
    acc = fastiou.BoundaryIoU(2, tolerance=1.5)
    acc.update(both_t, both_p)
    result = acc.compute()
    assert result.image_mean_fscore == pytest.approx(
        (np.mean([first_f[0], first_f[1]]) + 1.0) / 2, rel=1e-15)
    np.testing.assert_array_equal(result.fscore, f)
    np.testing.assert_array_equal(result.precision[1], first_p[1])
    np.testing.assert_array_equal(result.recall[1], first_r[1])
    np.testing.assert_array_equal(result.contour_counts, counts.sum(axis=0))


# --------------------------------------------------------------------------- accumulator
def test_accumulator_equals_the_function_and_merges_exactly():
    rng = np.random.default_rng(19)
    batches = []
    for _ in range(4):
        t = random_maps(rng, 3, 30, 40, 5, "blocks")
        batches.append((t, perturbed(rng, t, 5)))
    whole = fastiou.BoundaryIoU(5, ignore_index=4, tolerance_ratio=0.05)
    parts = [fastiou.BoundaryIoU(5, ignore_index=4, tolerance_ratio=0.05) for _ in range(3)]
    for k, (t, p) in enumerate(batches):
        whole.update(t, p)
        for image in range(3):  # image by image, in another grouping
            parts[(k + image) % 3].update(t[image], p[image])
    truth = np.concatenate([t for t, _ in batches])
    pred = np.concatenate([p for _, p in batches])
    kwargs = {"ignore_index": 4, "tolerance_ratio": 0.05, "return_precision_recall": True}
    f, p, r = fastiou.boundary_fscore(truth, pred, 5, **kwargs)
    result = whole.compute()
    np.testing.assert_array_equal(result.fscore, f)
    np.testing.assert_array_equal(result.precision, p)
    np.testing.assert_array_equal(result.recall, r)
    f_all, p_all, r_all = fastiou.boundary_fscore(truth, pred, 5, average="dataset", **kwargs)
    np.testing.assert_array_equal(result.dataset_fscore, f_all)
    np.testing.assert_array_equal(result.dataset_precision, p_all)
    np.testing.assert_array_equal(result.dataset_recall, r_all)
    assert result.mean_fscore == pytest.approx(np.nanmean(f), rel=1e-15)
    # the per-image sums are exact: any grouping and merge order gives the same state
    assert sum(parts) == whole
    assert parts[2].copy().merge(parts[0], parts[1]) == whole
    assert pickle.loads(pickle.dumps(whole)) == whole
    restored = fastiou.BoundaryIoU.from_dict(json.loads(json.dumps(whole.to_dict())))
    assert restored == whole
    np.testing.assert_array_equal(restored.compute().fscore, f)
    assert "tolerance_ratio=0.05" in repr(whole)
    clone = whole.copy()
    clone.reset()
    assert np.isnan(clone.compute().fscore).all() and not np.isnan(whole.compute().fscore).all()


def test_accumulator_bf_errors():
    acc = fastiou.BoundaryIoU(2)
    with pytest.raises(ValueError, match="cannot merge accumulator 0: its `tolerance`"):
        acc.merge(fastiou.BoundaryIoU(2, tolerance=3))
    with pytest.raises(ValueError, match="cannot merge accumulator 0: its `image_border`"):
        acc.merge(fastiou.BoundaryIoU(2, image_border=False))
    with pytest.raises(TypeError, match="`image_border` must be a bool, got str"):
        fastiou.BoundaryIoU(2, image_border="yes")
    with pytest.raises(ValueError, match="`tolerance` must be a finite number >= 0"):
        fastiou.BoundaryIoU(2, tolerance=-1)
    state = acc.to_dict()
    with pytest.raises(ValueError, match=r"`state` lacks \['bf'\]"):
        fastiou.BoundaryIoU.from_dict({k: v for k, v in state.items() if k != "bf"})
    with pytest.raises(ValueError, match=r"`state\['bf'\]` must be a dict with the keys"):
        fastiou.BoundaryIoU.from_dict({**state, "bf": [1, 2]})
    bad_counts = {**state["bf"], "counts": [[0, 0]] * 3}
    with pytest.raises(ValueError, match=r"`state\['bf'\]\['counts'\]` must be 4 lists of 2"):
        fastiou.BoundaryIoU.from_dict({**state, "bf": bad_counts})
    negative = {**state["bf"], "image_n": [[0, -1]] * 3}
    with pytest.raises(ValueError, match=r"`state\['bf'\]\['image_n'\]` must be 3 lists of 2"):
        fastiou.BoundaryIoU.from_dict({**state, "bf": negative})
    floats = {**state["bf"], "image_sums": [[0.5, 0]] * 3}
    with pytest.raises(ValueError, match=r"`state\['bf'\]\['image_sums'\]` must be 3 lists"):
        fastiou.BoundaryIoU.from_dict({**state, "bf": floats})
    with pytest.raises(ValueError, match=r"`state\['bf'\]\['image_mean_n'\]` must be a non-negative"):
        fastiou.BoundaryIoU.from_dict({**state, "bf": {**state["bf"], "image_mean_n": True}})


# --------------------------------------------------------------------------- properties
maps = st.tuples(st.integers(1, 3), st.integers(1, 20), st.integers(1, 20)).flatmap(
    lambda shape: st.tuples(hnp.arrays(np.uint8, shape, elements=st.integers(0, 3)),
                            hnp.arrays(np.uint8, shape, elements=st.integers(0, 3))))


@settings(max_examples=60, deadline=None)
@given(maps, st.sampled_from(TOLERANCES + (0.7, 3.3)), st.booleans())
def test_property_equals_reference_and_scipy(pair, tolerance, image_border):
    truth, pred = pair
    got = contour_counts(truth, pred, 4, tolerance=tolerance, image_border=image_border,
                         n_threads=2).per_image
    np.testing.assert_array_equal(got, ref.bf_counts(truth, pred, 4, tolerance,
                                                     image_border=image_border))
    np.testing.assert_array_equal(got, scipy_counts(truth, pred, 4, tolerance,
                                                    image_border=image_border))


@settings(max_examples=60, deadline=None)
@given(maps, st.sampled_from((0.5, 1.0, 2.0, 4.5)), st.sampled_from(["image", "dataset"]))
def test_property_scores(pair, tolerance, average):
    truth, pred = pair
    f, p, r = fastiou.boundary_fscore(truth, pred, 4, tolerance=tolerance, average=average,
                                      return_precision_recall=True)
    for values in (f, p, r):
        kept = values[~np.isnan(values)]
        assert np.all((kept >= 0) & (kept <= 1))
    # swapping truth and prediction swaps precision and recall
    f2, p2, r2 = fastiou.boundary_fscore(pred, truth, 4, tolerance=tolerance, average=average,
                                         return_precision_recall=True)
    np.testing.assert_array_equal(p2, r)
    np.testing.assert_array_equal(r2, p)
    np.testing.assert_allclose(f2, f, rtol=1e-15, atol=0)
    # identical maps: 1 for every class present, NaN for the others
    same = fastiou.boundary_fscore(truth, truth, 4, tolerance=tolerance, average=average)
    present = np.bincount(truth.ravel(), minlength=4) > 0
    np.testing.assert_array_equal(same, np.where(present, 1.0, np.nan))
    # a batch is the sum of its images
    counts = contour_counts(truth, pred, 4, tolerance=tolerance).per_image
    single = [contour_counts(t, q, 4, tolerance=tolerance).per_image[0] for t, q in zip(truth, pred)]
    np.testing.assert_array_equal(np.stack(single), counts)
    assert (counts[:, 1] <= counts[:, 0]).all() and (counts[:, 3] <= counts[:, 2]).all()


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("kwargs,error,match", COMMON_BAD_INPUT + [
    ({"tolerance": True}, TypeError, "`tolerance` must be a non-negative number, got bool"),
    ({"tolerance": "2"}, TypeError, "`tolerance` must be a non-negative number, got str"),
    ({"tolerance": -1}, ValueError, r"`tolerance` must be a finite number >= 0, got -1"),
    ({"tolerance": float("inf")}, ValueError, "`tolerance` must be a finite number >= 0"),
    ({"tolerance_ratio": None}, TypeError, "`tolerance_ratio` must be a non-negative number, got NoneType"),
    ({"tolerance_ratio": float("nan")}, ValueError, "`tolerance_ratio` must be a finite number >= 0"),
    ({"image_border": 1}, TypeError, "`image_border` must be a bool, got int 1"),
    ({"average": "macro"}, ValueError, "`average` must be one of 'image', 'dataset', got 'macro'"),
    ({"average": None}, ValueError, "`average` must be one of"),
    ({"dilation_ratio": 0.1}, TypeError, "unexpected keyword argument 'dilation_ratio'"),
])
def test_bad_input(kwargs, error, match):
    call_with_bad_input(fastiou.boundary_fscore, kwargs, error, match)
