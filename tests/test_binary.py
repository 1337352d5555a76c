"""binary_iou, thresholded_iou and soft_iou against the NumPy snippets they replace."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import fastiou
from fastiou import reference

THREADS = [1, 2, 3, 7, None, -1]


def _masks(seed, shape, density=0.4):
    rng = np.random.default_rng(seed)
    return rng.random(shape) < density, rng.random(shape) < density


@pytest.mark.parametrize("shape", [(5, 1, 13, 17), (4, 9, 8), (3, 1), (2, 8 * 255 + 9), (1, 2041),
                                   (64, 1, 32, 32), (0, 4, 4)])
@pytest.mark.parametrize("dtype", ["bool", "uint8", "int8", "int32", "int64", "uint16"])
def test_binary_iou_matches_snippet(shape, dtype):
    pred, true = _masks(0, shape)
    if len(shape) == 4:
        true = true[:, 0]
    pred, true = pred.astype(dtype), true.astype(dtype)
    for smooth in (0.0, 1e-6):
        expected = reference.binary_iou(true, pred, smooth)
        np.testing.assert_allclose(fastiou.binary_iou(true, pred, smooth=smooth), expected, rtol=1e-15)


@pytest.mark.parametrize("n_threads", THREADS)
def test_binary_iou_thread_count_does_not_matter(n_threads):
    pred, true = _masks(1, (9, 300, 301))
    np.testing.assert_array_equal(fastiou.binary_iou(true, pred, n_threads=n_threads),
                                  fastiou.binary_iou(true, pred, n_threads=1))


def test_binary_iou_layouts_and_empty_images():
    pred, true = _masks(2, (3, 6, 7))
    pred[1] = False
    true[1] = False
    expected = reference.binary_iou(true, pred)
    for layout in (np.asfortranarray, lambda a: a[:, ::-1], lambda a: np.repeat(a, 2, axis=2)[:, :, ::2]):
        got = fastiou.binary_iou(layout(true), layout(pred), zero_division=-1.0)
        np.testing.assert_array_equal(got[[0, 2]], expected[[0, 2]])
        assert got[1] == -1.0
    copy = pred.copy()
    fastiou.binary_iou(true, pred)
    np.testing.assert_array_equal(pred, copy)


def test_ground_truth_comes_first_and_keywords_still_work():
    """`y_true, y_pred` as everywhere in fastiou (0.1.0 took the prediction first)."""
    true = np.zeros((1, 4), bool)
    true[0, :2] = True
    pred = np.zeros((1, 1, 4), bool)  # a channel axis on the prediction only
    pred[0, 0, 1:3] = True
    assert fastiou.binary_iou(true, pred).tolist() == [1 / 3]
    np.testing.assert_array_equal(fastiou.binary_iou(y_pred=pred, y_true=true), [1 / 3])
    np.testing.assert_array_equal(fastiou.thresholded_iou(y_pred=pred, y_true=true),
                                  fastiou.thresholded_iou(true, pred))
    for function in (fastiou.binary_iou, fastiou.thresholded_iou):
        with pytest.raises(TypeError, match="`y_pred` must hold bool or 0/1 integers, got dtype float64"):
            function(true, pred.astype(float))
        with pytest.raises(TypeError, match="`y_true` must hold bool or 0/1 integers, got dtype float64"):
            function(true.astype(float), pred)


def test_thresholded_iou_is_exact_at_thresholds_and_snippet_option_reproduces():
    # IoU of exactly 0.5, 0.6, 0.75, 0.95, 1.0, 0.949, 0 and an empty pair
    union = 1000
    inters = [500, 600, 750, 950, 1000, 949, 0]
    pred = np.zeros((8, union), bool)
    true = np.zeros((8, union), bool)
    for b, inter in enumerate(inters):
        true[b] = True
        pred[b, :inter] = True
    iou = np.array(inters) / union
    exact = fastiou.thresholded_iou(true, pred)
    np.testing.assert_allclose(exact[:7], reference.thresholded_score(iou))
    np.testing.assert_allclose(exact[:7], [0.0, 0.2, 0.5, 0.9, 1.0, 0.9, 0.0])
    assert exact[7] == 1.0
    assert fastiou.thresholded_iou(true, pred, empty_score=0.0)[7] == 0.0
    snippet = fastiou.thresholded_iou(true, pred, rounding="snippet")
    smooth = 1e-6
    inter = (pred & true).sum(1)
    uni = (pred | true).sum(1)
    np.testing.assert_array_equal(snippet, np.ceil(np.clip(20 * ((inter + smooth) / (uni + smooth) - 0.5), 0, 10)) / 10)
    assert snippet[1] == pytest.approx(0.3)  # one step too high at IoU = 0.6


@given(hnp.arrays(np.bool_, st.tuples(st.integers(1, 4), st.integers(1, 40)), elements=st.booleans()),
       st.integers(0, 2**32 - 1))
def test_property_thresholded_matches_per_threshold_count(pred, seed):
    true = np.random.default_rng(seed).random(pred.shape) < 0.5
    inter = (pred & true).sum(1)
    union = (pred | true).sum(1)
    score = fastiou.thresholded_iou(true, pred)
    for b in range(len(pred)):
        if union[b] == 0:
            assert score[b] == 1.0
        else:
            hits = sum(20 * inter[b] > (10 + k) * union[b] for k in range(10))
            assert score[b] == hits / 10
            assert 0 <= score[b] <= 1


def _one_hot(labels, classes, axis):
    return np.moveaxis(np.eye(classes)[labels], -1, axis)


@pytest.mark.parametrize("axis", [-1, 1])
def test_soft_iou_matches_per_image_reference(axis):
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 4, (3, 5, 6))
    true = _one_hot(labels, 4, axis)
    logits = rng.standard_normal(true.shape)
    prob = np.exp(logits) / np.exp(logits).sum(axis=axis, keepdims=True)
    per_image = fastiou.soft_iou(true, prob, axis=axis, per_image=True)
    np.testing.assert_allclose(per_image, reference.soft_iou_per_image(true, prob, axis), rtol=1e-12)
    pooled = fastiou.soft_iou(true, prob, axis=axis)
    inter = (np.moveaxis(true * prob, axis, -1)).reshape(-1, 4).sum(0)
    union = np.moveaxis(true + prob, axis, -1).reshape(-1, 4).sum(0) - inter
    np.testing.assert_allclose(pooled, inter / union)
    hard = fastiou.soft_iou(true, prob, axis=axis, mode="standard", per_image=True)
    hard_prob = _one_hot(np.argmax(prob, axis=axis), 4, axis)
    np.testing.assert_allclose(hard, reference.soft_iou_per_image(true, hard_prob, axis))


def test_soft_iou_reductions_drop_last_and_naive():
    true = _one_hot(np.array([[0, 0, 1], [2, 2, 2]]), 3, -1)  # class 0 absent from image 1
    prob = true * 0.5 + 0.5 / 3
    per_image = reference.soft_iou_per_image(true, _one_hot(np.argmax(prob, -1), 3, -1))
    standard = fastiou.soft_iou(true, prob, mode="standard", mean_per_class=True)
    present = (true.sum(1) > 0)
    np.testing.assert_allclose(standard, [per_image[present[:, c], c].mean() for c in range(3)])
    naive = fastiou.soft_iou(true, prob, mode="naive", mean_per_class=True)
    np.testing.assert_allclose(naive, np.nan_to_num(per_image).mean(0))
    assert fastiou.soft_iou(true, prob, drop_last=True).shape == (2,)
    smoothed = fastiou.soft_iou(true, prob, mode="standard", smooth=0.001, per_image=True)
    assert smoothed[1, 0] == 1.0  # absent class: smooth / smooth


def test_soft_iou_single_channel_uses_threshold():
    true = np.array([[[1.0], [0.0], [1.0]]])
    prob = np.array([[[0.7], [0.6], [0.2]]])
    np.testing.assert_allclose(fastiou.soft_iou(true, prob, mode="standard"), [1 / 3])
    np.testing.assert_allclose(fastiou.soft_iou(true, prob, mode="standard", threshold=0.65), [0.5])


@pytest.mark.parametrize("call, error, match", [
    (lambda: fastiou.binary_iou(np.ones((2, 3), bool), np.ones((2, 3))), TypeError,
     "`y_pred` must hold bool or 0/1"),
    (lambda: fastiou.binary_iou(np.ones((2, 3)), np.ones((2, 3), bool)), TypeError,
     "`y_true` must hold bool or 0/1"),
    (lambda: fastiou.binary_iou(np.full((2, 3), 2), np.ones((2, 3), int)), ValueError, "only 0 and 1"),
    (lambda: fastiou.binary_iou(np.full((2, 3), -1, np.int8), np.ones((2, 3), bool)), ValueError,
     "image 0 of `y_pred` or `y_true` holds another value"),
    (lambda: fastiou.binary_iou(np.ones((2, 3), bool), np.ones((2, 4), bool)), ValueError,
     r"`y_pred` has shape \(2, 4\) but `y_true` has shape \(2, 3\); they must be equal up to"),
    (lambda: fastiou.binary_iou(np.ones(3, bool), np.ones(3, bool)), ValueError, "batch axis"),
    (lambda: fastiou.binary_iou(np.ones((2, 3), bool), np.ones((2, 3), bool), smooth=-1), ValueError, "`smooth`"),
    (lambda: fastiou.binary_iou(np.ones((2, 3), bool), np.ones((2, 3), bool), smooth=10 ** 400), ValueError,
     "`smooth` must be a non-negative finite number"),
    (lambda: fastiou.binary_iou(np.ones((2, 3), bool), np.ones((2, 3), bool), smooth="1"), TypeError, "`smooth`"),
    (lambda: fastiou.thresholded_iou(np.ones((2, 3), bool), np.ones((2, 3), bool), rounding="ceil"), ValueError,
     "`rounding`"),
    (lambda: fastiou.soft_iou(np.ones((2, 3)), np.ones((2, 3)), mode="hard"), ValueError, "`mode` must be one of"),
    (lambda: fastiou.soft_iou(np.ones((2, 3)), np.ones((2, 3), int)), TypeError, "`y_prob` must hold float"),
    (lambda: fastiou.soft_iou(np.ones((2, 3)), np.ones((2, 4))), ValueError, r"`y_prob` has shape \(2, 4\)"),
    (lambda: fastiou.soft_iou(np.ones((2, 3)), np.ones((2, 3)), axis=0), ValueError, "cannot be 0"),
    (lambda: fastiou.soft_iou(np.ones((2, 3)), np.ones((2, 3)), axis=2), ValueError, "`axis`=2 is out of range"),
    (lambda: fastiou.soft_iou(np.ones((2, 3)), np.ones((2, 3)), per_image=1), TypeError, "`per_image` must be a bool"),
    (lambda: fastiou.soft_iou(np.ones(3), np.ones(3)), ValueError, "batch axis 0 and a class axis"),
])
def test_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
