"""Scores, probabilities, one-hot truth, multilabel and per-image counting (``_scores``)
against np.argmax / thresholds + the NumPy reference."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import fastiou
from fastiou import reference

from cases import CASES, reference_counts

THREADS = [1, 2, 3, 7, None, -1]
SCORE_DTYPES = ["float16", "float32", "float64"]


def _scores(rng, shape, dtype):
    return rng.standard_normal(shape).astype(dtype)


def _expected_from_scores(truth, scores, axis, num_classes, ignore=()):
    return reference.confusion_counts(truth, np.argmax(scores, axis=axis), num_classes, ignore)


def _assert_counts(counts, expected):
    assert counts.matrix.dtype == np.int64
    np.testing.assert_array_equal(counts.matrix, expected[0])
    np.testing.assert_array_equal(counts.miss, expected[1])
    assert (counts.n_bad_true, counts.n_bad_pred) == expected[2:]


def _count(*args, **kwargs):
    from fastiou.segmentation._core import count_pairs
    return count_pairs(*args, **kwargs)


@pytest.mark.parametrize("dtype", SCORE_DTYPES)
@pytest.mark.parametrize("shape, axis", [((2, 4, 5, 7), 1), ((2, 5, 7, 4), -1), ((3, 9, 4), 2),
                                         ((4, 6), 0), ((1, 4, 1), 1), ((3, 4, 1100), 1),
                                         ((1500, 3), 1), ((0, 3, 4), 1)])
def test_argmax_matches_numpy(dtype, shape, axis):
    rng = np.random.default_rng(0)
    scores = _scores(rng, shape, dtype)
    num_classes = shape[axis]
    label_shape = tuple(np.delete(shape, axis))
    truth = rng.integers(-1, num_classes + 1, size=label_shape).astype(np.int16)
    expected = _expected_from_scores(truth, scores, axis, num_classes, [-1])
    counts = _count(truth, scores, num_classes, axis=axis, ignore_index=-1, out_of_range="miss")
    _assert_counts(counts, expected)


@pytest.mark.parametrize("dtype", SCORE_DTYPES)
def test_ties_nan_inf_and_signed_zero_follow_np_argmax(dtype):
    nan, inf = np.nan, np.inf
    rows = [[1, 1, 0], [0, 2, 2], [-0.0, 0.0, -1], [0.0, -0.0, -1], [nan, 5, nan], [3, nan, 9],
            [-inf, -inf, -inf], [inf, inf, 0], [-1, -2, -0.5], [-3, -3, -4], [nan, nan, nan],
            [-nan, 1, 2], [1e-8, 0, 1e-8]]
    scores = np.array(rows, dtype=dtype)
    truth = np.arange(len(rows)) % 3
    for layout in (scores, np.ascontiguousarray(scores.T)):
        axis = 1 if layout is scores else 0
        expected = _expected_from_scores(truth, layout, axis, 3)
        _assert_counts(_count(truth, layout, 3, axis=axis), expected)


@pytest.mark.parametrize("n_threads", THREADS)
@pytest.mark.parametrize("per_image", [False, True])
def test_thread_count_does_not_change_results(n_threads, per_image):
    rng = np.random.default_rng(1)
    scores = _scores(rng, (5, 4, 60, 70), np.float32)
    truth = rng.integers(0, 5, size=(5, 60, 70)).astype(np.uint8)
    one = fastiou.confusion_matrix(truth, scores, 4, axis=1, n_threads=1, per_image=per_image,
                                   out_of_range="ignore")
    many = fastiou.confusion_matrix(truth, scores, 4, axis=1, n_threads=n_threads,
                                    per_image=per_image, out_of_range="ignore")
    np.testing.assert_array_equal(one, many)


@pytest.mark.parametrize("axis", [1, -1])
@pytest.mark.parametrize("dtype", SCORE_DTYPES)
def test_per_image_scores_equal_one_matrix_per_image(axis, dtype):
    rng = np.random.default_rng(2)
    shape = (4, 3, 9, 11) if axis == 1 else (4, 9, 11, 3)
    scores = _scores(rng, shape, dtype)
    truth = rng.integers(0, 3, size=(4, 9, 11))
    stack = fastiou.confusion_matrix(truth, scores, 3, axis=axis, per_image=True)
    assert stack.shape == (4, 3, 3)
    for b in range(4):
        expected = reference.confusion_matrix(truth[b], np.argmax(scores[b], axis=0 if axis == 1 else -1), 3)
        np.testing.assert_array_equal(stack[b], expected)
    np.testing.assert_array_equal(stack.sum(0), fastiou.confusion_matrix(truth, scores, 3, axis=axis))


@pytest.mark.parametrize("case", [c for c in CASES if c.sample_weight is None
                                  and np.ndim(c.y_true) > 1], ids=lambda c: c.id)
def test_per_image_labels_against_reference_cases(case):
    counts = _count(case.y_true, case.y_pred, case.num_classes, ignore_index=case.ignore_index,
                    per_image=True, out_of_range="miss")
    truth, pred = np.asarray(case.y_true), np.asarray(case.y_pred)
    for b in range(truth.shape[0]):
        sub = type(case)(case.id, truth[b], pred[b], case.num_classes, case.ignore_index)
        matrix, miss, _, _ = reference_counts(sub)
        np.testing.assert_array_equal(counts.matrix[b], matrix)
        np.testing.assert_array_equal(counts.miss[b], miss)
    assert (counts.n_bad_true, counts.n_bad_pred) == reference_counts(case)[2:]
    assert case.inputs_unchanged()


@pytest.mark.parametrize("dtype", ["bool", "uint8", "int32", "int64", "float32", "float64",
                                   "int16", "float16"])
@pytest.mark.parametrize("axis", [1, -1])
def test_one_hot_truth(dtype, axis):
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 4, size=(3, 5, 6))
    one_hot = np.moveaxis(np.eye(4, dtype=dtype)[labels], -1, axis)
    scores = _scores(rng, one_hot.shape, np.float32)
    expected = reference.confusion_matrix(labels, np.argmax(scores, axis=axis), 4)
    np.testing.assert_array_equal(fastiou.confusion_matrix(one_hot, scores, 4, axis=axis), expected)
    pred_labels = rng.integers(0, 5, size=labels.shape)
    counts = _count(one_hot, pred_labels, 4, axis=axis, out_of_range="miss")
    _assert_counts(counts, reference.confusion_counts(labels, pred_labels, 4))


@pytest.mark.parametrize("bad_row", [[0, 0, 0], [1, 1, 0], [0, 2, 0], [0.5, 0.5, 0], [1, -1, 1]])
def test_rows_that_are_not_one_hot_raise(bad_row):
    truth = np.eye(3)[[0, 1, 2, 1]]
    truth[2] = bad_row
    scores = np.random.default_rng(4).random((4, 3))
    with pytest.raises(ValueError, match="1 row.* not one-hot"):
        fastiou.confusion_matrix(truth, scores, 3, axis=1)
    with pytest.raises(ValueError, match="not one-hot"):
        fastiou.confusion_matrix(truth, scores, 3, axis=1, sample_weight=np.ones(4))


@pytest.mark.parametrize("dtype", SCORE_DTYPES)
@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.75])
def test_binary_probabilities_threshold(dtype, threshold):
    rng = np.random.default_rng(5)
    probabilities = np.round(rng.random((6, 33)), 2).astype(dtype)
    truth = rng.integers(0, 2, size=(6, 33)).astype(bool)
    expected = reference.confusion_matrix(truth, probabilities > np.asarray(threshold, dtype), 2)
    got = fastiou.confusion_matrix(truth, probabilities, 2, threshold=threshold)
    np.testing.assert_array_equal(got, expected)
    per_image = fastiou.confusion_matrix(truth, probabilities, None, threshold=threshold, per_image=True)
    np.testing.assert_array_equal(per_image.sum(0), expected)


@pytest.mark.parametrize("pred_kind", ["probabilities", "labels"])
@pytest.mark.parametrize("axis", [1, -1])
@pytest.mark.parametrize("per_image", [False, True])
def test_multilabel_counts(pred_kind, axis, per_image):
    rng = np.random.default_rng(6)
    shape = (4, 3, 7, 5) if axis == 1 else (4, 7, 5, 3)
    truth = rng.integers(0, 2, size=shape).astype(np.uint8)
    truth.flat[::11] = 255
    if pred_kind == "probabilities":
        pred = rng.random(shape).astype(np.float32)
        hard = pred > 0.5
    else:
        pred = rng.integers(0, 3, size=shape)
        hard = pred
    counts = _count(truth, pred, 3, multilabel=True, axis=axis, per_image=per_image,
                    ignore_index=255, out_of_range="miss")
    expected_shape = ((4,) if per_image else ()) + (3, 2, 2)
    assert counts.matrix.shape == expected_shape
    for label in range(3):
        t = np.take(truth, label, axis=axis)
        p = np.take(hard, label, axis=axis)
        if per_image:
            for b in range(4):
                matrix, miss, _, _ = reference.confusion_counts(t[b], p[b], 2, [255])
                np.testing.assert_array_equal(counts.matrix[b, label], matrix)
                np.testing.assert_array_equal(counts.miss[b, label], miss)
        else:
            matrix, miss, _, _ = reference.confusion_counts(t, p, 2, [255])
            np.testing.assert_array_equal(counts.matrix[label], matrix)
            np.testing.assert_array_equal(counts.miss[label], miss)


def test_weighted_scores_match_weighted_labels():
    rng = np.random.default_rng(7)
    scores = _scores(rng, (3, 4, 8, 9), np.float64)
    truth = rng.integers(0, 4, size=(3, 8, 9))
    weights = rng.integers(0, 9, size=(3, 8, 9)) / 4
    expected = reference.confusion_matrix(truth, scores.argmax(1), 4, sample_weight=weights)
    np.testing.assert_array_equal(
        fastiou.confusion_matrix(truth, scores, 4, axis=1, sample_weight=weights), expected)


def test_out_of_range_truth_with_scores_raises_and_reports():
    scores = np.zeros((2, 3, 4), np.float32)
    truth = np.array([[0, 1, 7, 2], [0, 0, -3, 1]])
    with pytest.raises(ValueError, match=r"`y_true` has 2 label\(s\) outside \[0, 3\)"):
        fastiou.confusion_matrix(truth, scores, 3, axis=1)
    counts = _count(truth, scores, 3, axis=1, out_of_range="ignore")
    assert counts.n_bad_true == 2 and counts.matrix.sum() == 6


def test_out_of_range_per_image_prediction_raises_with_example():
    with pytest.raises(ValueError, match=r"`y_pred` has 1 label.*e\.g\. 9"):
        fastiou.confusion_matrix([[0, 1], [1, 1]], [[0, 9], [1, 1]], 2, per_image=True)


def test_torch_layout_tensors_work():
    torch = pytest.importorskip("torch")
    scores = torch.randn(2, 3, 4, 5)
    truth = torch.randint(0, 3, (2, 4, 5))
    expected = reference.confusion_matrix(truth.numpy(), scores.numpy().argmax(1), 3)
    np.testing.assert_array_equal(fastiou.confusion_matrix(truth, scores, 3, axis=1), expected)
    channels_last = scores.to(memory_format=torch.channels_last)
    np.testing.assert_array_equal(fastiou.confusion_matrix(truth, channels_last, 3, axis=1), expected)


def test_inputs_are_not_modified():
    rng = np.random.default_rng(8)
    scores = _scores(rng, (2, 3, 5), np.float16).astype(">f4")
    truth = rng.integers(0, 3, size=(2, 5)).astype(">i8")
    copies = scores.copy(), truth.copy()
    fastiou.confusion_matrix(truth, scores, 3, axis=1, per_image=True)
    np.testing.assert_array_equal(scores, copies[0])
    np.testing.assert_array_equal(truth, copies[1])
    assert scores.dtype == copies[0].dtype and truth.dtype == copies[1].dtype


@given(hnp.arrays(np.float32, hnp.array_shapes(min_dims=2, max_dims=4, max_side=6),
                  elements=st.floats(-4, 4, width=32) | st.just(np.float32(np.nan))),
       st.integers(0, 2**32 - 1))
def test_property_argmax_any_axis(scores, seed):
    rng = np.random.default_rng(seed)
    axis = int(rng.integers(-scores.ndim, scores.ndim))
    num_classes = scores.shape[axis]
    if num_classes < 2:
        return
    truth = rng.integers(0, num_classes, size=np.delete(scores.shape, axis))
    matrix = fastiou.confusion_matrix(truth, scores, None, axis=axis)
    np.testing.assert_array_equal(matrix, reference.confusion_matrix(truth, np.argmax(scores, axis), num_classes))
    assert matrix.sum() == truth.size


_S = np.zeros((2, 3, 4), np.float32)   # scores (N, C, W)
_T = np.zeros((2, 4), np.int64)       # labels (N, W)


@pytest.mark.parametrize("kwargs, match", [
    (dict(y_true=_T, y_pred=_T, num_classes=3, threshold=0.5), "`threshold` was given but `y_pred` holds labels"),
    (dict(y_true=_T, y_pred=_S, num_classes=3, axis=1, threshold=0.5), "`threshold` applies to binary or multilabel"),
    (dict(y_true=_T, y_pred=_S, num_classes=3, axis=3), r"`axis`=3 is out of range for `y_pred` with 3"),
    (dict(y_true=_T, y_pred=_S, num_classes=3), "pass the class `axis`"),
    (dict(y_true=_T, y_pred=_S, num_classes=4, axis=1), "`num_classes`=4 but `y_pred` has 3 entries"),
    (dict(y_true=_T[:, :3], y_pred=_S, num_classes=3, axis=1), r"`y_true` has shape \(2, 3\)"),
    (dict(y_true=_T, y_pred=_S[:, :1], num_classes=None, axis=1), "class scores need at least 2"),
    (dict(y_true=_T, y_pred=_T.astype(float), num_classes=3, threshold=0.5), "binary probabilities .2 classes."),
    (dict(y_true=_T, y_pred=_T[:, :3].astype(float), num_classes=2, threshold=0.5), "binary probabilities need"),
    (dict(y_true=_T, y_pred=_T, num_classes=3, axis=1), "`axis` was given but `y_pred` holds labels"),
    (dict(y_true=_T, y_pred=_T, num_classes=3, per_image=True, sample_weight=np.ones((2, 4))),
     "`sample_weight` is not supported with `per_image=True`"),
    (dict(y_true=_S, y_pred=_S, num_classes=3, multilabel=True, sample_weight=np.ones((2, 3, 4))),
     "`sample_weight` is not supported with `multilabel=True`"),
    (dict(y_true=_S.astype(int), y_pred=_S, num_classes=3, axis=1, ignore_index=0), "`ignore_index` needs integer"),
    (dict(y_true=_T[0, :3], y_pred=_S[:, :, 0], num_classes=2, axis=0, per_image=True), "cannot be 0"),
    (dict(y_true=_T[0], y_pred=_T[0], num_classes=3, per_image=True), "needs a batch axis"),
    (dict(y_true=_S.astype(int), y_pred=_S[:, :2], num_classes=3, multilabel=True), "must be equal"),
    (dict(y_true=_S.astype(int), y_pred=_S.astype(int), num_classes=3, multilabel=True, threshold=0.2),
     "`threshold` was given"),
    (dict(y_true=_T, y_pred=_T.astype(float), num_classes=2, threshold=float("nan")), "`threshold` must be finite"),
    (dict(y_true=_T, y_pred=_T, num_classes=3, out_of_range="drop"), "`out_of_range` must be one of"),
])
def test_option_combinations_that_make_no_sense_raise_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        fastiou.confusion_matrix(**kwargs)


@pytest.mark.parametrize("kwargs, match", [
    (dict(y_true=_T, y_pred=_S, num_classes=3, axis=1.0), "`axis` must be an int"),
    (dict(y_true=_T, y_pred=_S, num_classes=3, axis=1, per_image="yes"), "`per_image` must be a bool"),
    (dict(y_true=_T, y_pred=_T, num_classes=3, multilabel=1), "`multilabel` must be a bool"),
    (dict(y_true=_T, y_pred=_T, num_classes=None), "`num_classes` is required"),
    (dict(y_true=_T, y_pred=_T.astype(float), num_classes=2, threshold="0.5"), "`threshold` must be a real"),
    (dict(y_true=np.array([["a", "b"]] * 2), y_pred=np.ones((2, 2)), num_classes=2, axis=1),
     "one-hot `y_true` must hold numbers"),
    (dict(y_true=_T.astype(float), y_pred=_T, num_classes=3), "`y_true` must hold integer"),
    (dict(y_true=_T, y_pred=_T.astype(float), num_classes=2), "pass `threshold=`"),
])
def test_bad_option_types_raise_type_error(kwargs, match):
    with pytest.raises(TypeError, match=match):
        fastiou.confusion_matrix(**kwargs)


@pytest.mark.parametrize("n_threads", THREADS)
def test_thread_count_does_not_change_one_hot_multilabel_threshold(n_threads):
    rng = np.random.default_rng(9)
    labels = rng.integers(0, 4, (3, 90, 80))
    one_hot = np.moveaxis(np.eye(4, dtype=np.uint8)[labels], -1, 1)
    scores = _scores(rng, one_hot.shape, np.float32)
    probabilities = rng.random(one_hot.shape)
    calls = [
        lambda n: fastiou.confusion_matrix(one_hot, scores, 4, axis=1, n_threads=n),
        lambda n: fastiou.confusion_matrix(one_hot, probabilities, 4, multilabel=True, n_threads=n),
        lambda n: fastiou.confusion_matrix(labels > 1, probabilities[:, 0], 2, threshold=0.4, n_threads=n,
                                           per_image=True),
    ]
    for call in calls:
        np.testing.assert_array_equal(call(n_threads), call(1))


def test_per_image_tables_that_do_not_fit_in_memory_raise(monkeypatch):
    from fastiou._shared import _validation
    monkeypatch.setattr(_validation, "available_memory_bytes", lambda: 1 << 20)
    labels = np.zeros((1000, 2), np.int64)
    with pytest.raises(ValueError, match=r"`per_image=True` needs 1000 tables of 40200 counts"):
        fastiou.confusion_matrix(labels, labels, 200, per_image=True)


def test_weighted_scores_with_empty_spatial_axes():
    """Found by the fuzzer's sibling: weighted score decoding of an empty image crashed."""
    matrix = fastiou.confusion_matrix(np.zeros((2, 0), int), np.zeros((2, 3, 0), np.float32), 3,
                                      axis=1, sample_weight=np.ones((2, 0)))
    assert matrix.shape == (3, 3) and matrix.sum() == 0
