"""Derived metrics (fastiou.metrics and the one-shot *_score functions) against the
class-by-class NumPy reference and scikit-learn."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import fastiou
from fastiou import metrics, reference

sk = pytest.importorskip("sklearn.metrics")

RATIO_METRICS = {"iou": metrics.iou, "dice": metrics.dice, "precision": metrics.precision,
                 "recall": metrics.recall}
SKLEARN = {"iou": "jaccard_score", "dice": "f1_score", "precision": "precision_score",
           "recall": "recall_score"}
ONE_SHOT = {"iou": fastiou.jaccard_score, "dice": fastiou.dice_score,
            "precision": fastiou.precision_score, "recall": fastiou.recall_score}


def _labels(seed, n=600, num_classes=6, absent=(3,)):
    rng = np.random.default_rng(seed)
    t = rng.integers(0, num_classes, n)
    p = np.where(rng.random(n) < 0.6, t, rng.integers(0, num_classes, n))
    for c in absent:
        t[t == c] = 0
        p[p == c] = 1
    return t, p


def _nan_mean(values):
    values = np.asarray(values)
    kept = values[~np.isnan(values)]
    return float(kept.mean()) if kept.size else float("nan")


@pytest.mark.parametrize("name", sorted(RATIO_METRICS))
def test_per_class_and_macro_match_reference(name):
    t, p = _labels(0)
    cm = reference.confusion_matrix(t, p, 6)
    expected = reference.class_ratios(cm, name)
    np.testing.assert_allclose(RATIO_METRICS[name](cm, average="none"), expected, rtol=1e-15)
    assert RATIO_METRICS[name](cm) == pytest.approx(_nan_mean(expected), rel=1e-15)


@pytest.mark.parametrize("name", sorted(RATIO_METRICS))
@pytest.mark.parametrize("average", ["macro", "micro", "weighted", "none"])
@pytest.mark.parametrize("labels", [None, [0, 2, 5], [4, 1]])
@pytest.mark.parametrize("zero_division", [0.0, 1.0])
def test_matches_sklearn(name, average, labels, zero_division):
    t, p = _labels(1)
    sk_labels = list(range(6)) if labels is None else labels
    expected = getattr(sk, SKLEARN[name])(t, p, labels=sk_labels, zero_division=zero_division,
                                          average=None if average == "none" else average)
    got = ONE_SHOT[name](t, p, 6, average=average, labels=labels, zero_division=zero_division)
    np.testing.assert_allclose(got, expected, rtol=1e-12)


@pytest.mark.parametrize("beta", [0.5, 1.0, 2.0])
@pytest.mark.parametrize("average", ["macro", "micro", "weighted"])
def test_fbeta_matches_sklearn_and_reference(beta, average):
    t, p = _labels(2)
    expected = sk.fbeta_score(t, p, beta=beta, labels=list(range(6)), average=average, zero_division=0)
    assert fastiou.fbeta_score(t, p, 6, beta=beta, average=average, zero_division=0.0) == \
        pytest.approx(expected, rel=1e-12)
    cm = reference.confusion_matrix(t, p, 6)
    np.testing.assert_allclose(metrics.fbeta(cm, beta, average="none"),
                               reference.class_ratios(cm, "fbeta", beta), rtol=1e-14)


def test_binary_average_and_kappa_accuracy_match_sklearn():
    t, p = _labels(3, num_classes=2, absent=())
    assert fastiou.jaccard_score(t, p, 2, average="binary") == pytest.approx(sk.jaccard_score(t, p))
    t, p = _labels(4)
    assert fastiou.cohen_kappa_score(t, p, 6) == pytest.approx(sk.cohen_kappa_score(t, p), rel=1e-12)
    assert fastiou.accuracy_score(t, p, 6) == sk.accuracy_score(t, p)
    cm = reference.confusion_matrix(t, p, 6)
    assert metrics.cohen_kappa(cm) == pytest.approx(reference.cohen_kappa(cm), rel=1e-12)
    assert metrics.frequency_weighted_iou(cm) == pytest.approx(reference.frequency_weighted_iou(cm))
    assert metrics.mean_class_accuracy(cm) == pytest.approx(_nan_mean(reference.class_ratios(cm, "recall")))
    np.testing.assert_array_equal(metrics.support(cm), np.bincount(t, minlength=6))
    assert metrics.support(cm).dtype == np.int64


def test_zero_division_nan_is_left_out_and_numbers_count():
    cm = np.array([[3, 1, 0], [1, 2, 0], [0, 0, 0]])
    per_class = metrics.iou(cm, average="none")
    assert np.isnan(per_class[2])
    assert metrics.iou(cm) == pytest.approx(per_class[:2].mean())
    assert metrics.iou(cm, zero_division=1.0) == pytest.approx((per_class[0] + per_class[1] + 1) / 3)
    assert np.isnan(metrics.iou(np.zeros((3, 3), np.int64)))
    with np.errstate(all="raise"):
        metrics.dice(np.zeros((2, 2)), average="weighted")


def test_classes_in_truth_only_drops_classes_only_predicted():
    # class 2 is predicted but never true: IoU 0, dropped by the detectron2 rule
    cm = np.array([[3, 0, 1], [0, 2, 0], [0, 0, 0]])
    assert metrics.iou(cm) == pytest.approx((0.75 + 1 + 0) / 3)
    assert metrics.iou(cm, classes_in_truth_only=True) == pytest.approx((0.75 + 1) / 2)
    assert metrics.iou(cm, average="micro", classes_in_truth_only=True) == pytest.approx(5 / 6)


def test_miss_counts_as_false_negative():
    t = np.array([0, 0, 1, 1, 2])
    p = np.array([0, 7, 1, 1, 9])
    counts_iou = fastiou.jaccard_score(t, p, 3, average="none", out_of_range="miss")
    np.testing.assert_allclose(counts_iou, [0.5, 1.0, 0.0])
    np.testing.assert_allclose(fastiou.per_class_iou(t, p, 3, out_of_range="miss"), counts_iou)
    assert fastiou.accuracy_score(t, p, 3, out_of_range="miss") == pytest.approx(3 / 5)
    assert fastiou.accuracy_score(t, p, 3, out_of_range="ignore") == pytest.approx(1.0)
    cm, miss = fastiou.confusion_matrix(t, p, 3, out_of_range="ignore"), np.array([1, 0, 1])
    np.testing.assert_array_equal(metrics.support(cm, miss=miss), [2, 2, 1])


def test_imagewise_averages_follow_smp_definitions():
    rng = np.random.default_rng(5)
    t = rng.integers(0, 4, (5, 8, 8))
    p = np.where(rng.random((5, 8, 8)) < 0.5, t, rng.integers(0, 4, (5, 8, 8)))
    t[0][t[0] == 3] = 0
    p[0][p[0] == 3] = 0
    per_image = np.stack([reference.class_ratios(reference.confusion_matrix(t[b], p[b], 4), "iou")
                          for b in range(5)])
    macro = fastiou.jaccard_score(t, p, 4, average="macro-imagewise")
    assert macro == pytest.approx(_nan_mean([_nan_mean(per_image[:, c]) for c in range(4)]))
    micro = fastiou.jaccard_score(t, p, 4, average="micro-imagewise")
    expected_micro = []
    for b in range(5):
        cm = reference.confusion_matrix(t[b], p[b], 4)
        tp = np.trace(cm)
        expected_micro.append(tp / (2 * cm.sum() - tp))
    assert micro == pytest.approx(np.mean(expected_micro))
    np.testing.assert_allclose(fastiou.jaccard_score(t, p, 4, average="none", per_image=True), per_image)
    np.testing.assert_allclose(fastiou.mean_iou(t, p, 4, per_image=True), [_nan_mean(r) for r in per_image])


def test_scores_input_in_one_shot():
    rng = np.random.default_rng(6)
    scores = rng.standard_normal((2, 4, 6, 6)).astype(np.float32)
    t = rng.integers(0, 4, (2, 6, 6))
    expected = sk.jaccard_score(t.ravel(), scores.argmax(1).ravel(), average="macro",
                                labels=range(4), zero_division=0)
    assert fastiou.jaccard_score(t, scores, None, axis=1, zero_division=0.0) == pytest.approx(expected)


def test_multilabel_metrics_match_sklearn():
    rng = np.random.default_rng(7)
    t = rng.integers(0, 2, (30, 4))
    prob = rng.random((30, 4))
    for average in ("macro", "micro", "weighted"):
        expected = sk.jaccard_score(t, prob > 0.5, average=average, zero_division=0)
        got = fastiou.jaccard_score(t, prob, None, multilabel=True, average=average, zero_division=0.0)
        assert got == pytest.approx(expected)
    assert fastiou.accuracy_score(t, prob, 4, multilabel=True) == pytest.approx(((prob > 0.5) == t).mean())
    np.testing.assert_allclose(fastiou.per_class_iou(t, prob, 4, multilabel=True),
                               sk.jaccard_score(t, prob > 0.5, average=None))


@given(hnp.arrays(np.int64, st.tuples(st.integers(1, 5), st.integers(1, 5)).map(lambda s: (s[0], s[0])),
                  elements=st.integers(0, 50)))
def test_property_values_in_unit_interval_and_micro_between_extremes(cm):
    for function in RATIO_METRICS.values():
        per_class = function(cm, average="none")
        finite = per_class[~np.isnan(per_class)]
        assert ((finite >= 0) & (finite <= 1)).all()
        for average in ("macro", "weighted", "micro"):
            value = function(cm, average=average)
            assert np.isnan(value) or (finite.min() - 1e-12 <= value <= finite.max() + 1e-12)
    kappa = metrics.cohen_kappa(cm)
    assert np.isnan(kappa) or -1 - 1e-12 <= kappa <= 1 + 1e-12


@pytest.mark.parametrize("call, match", [
    (lambda: metrics.iou([[1, 2]]), r"`cm` must have shape \(C, C\)"),
    (lambda: metrics.iou([[1, -2], [0, 1]]), "`cm` must hold finite, non-negative"),
    (lambda: metrics.iou(np.eye(2), miss=[1, 2, 3]), r"`miss` has shape \(3,\)"),
    (lambda: metrics.iou(np.eye(2), average="samples"), "`average` must be one of"),
    (lambda: metrics.iou(np.eye(2), average="micro-imagewise"), "needs per-image counts"),
    (lambda: metrics.iou(np.eye(3), average="binary"), "`average`='binary'"),
    (lambda: metrics.iou(np.eye(3), labels=[0, 3]), r"`labels` must lie in \[0, 3\)"),
    (lambda: metrics.iou(np.eye(3), labels=[1, 1]), "must not repeat"),
    (lambda: metrics.iou(np.eye(3), labels=[]), "at least one class"),
    (lambda: metrics.fbeta(np.eye(3), beta=0.0), "`beta` must be a positive"),
    (lambda: metrics.iou(np.eye(2), multilabel=True), r"\(L, 2, 2\)"),
])
def test_bad_values_raise_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize("call, match", [
    (lambda: metrics.iou(np.eye(2), zero_division="warn"), "`zero_division` must be a number"),
    (lambda: metrics.iou(np.array([["a"]])), "`cm` must hold real numbers"),
    (lambda: metrics.iou(np.eye(3), labels=[0.5]), "`labels` must be a 1-D sequence of int"),
    (lambda: metrics.fbeta(np.eye(3), beta="2"), "`beta` must be a positive number"),
    (lambda: fastiou.jaccard_score([0], [0], 2, ignore=3), "unexpected keyword"),
])
def test_bad_types_raise_type_error(call, match):
    with pytest.raises(TypeError, match=match):
        call()
