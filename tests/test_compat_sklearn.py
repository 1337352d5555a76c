"""fastiou.compat.sklearn against scikit-learn itself (a test dependency)."""

import warnings

import numpy as np
import pytest

from fastiou.compat import sklearn as compat

sk = pytest.importorskip("sklearn.metrics")


def _call(function, *args, **kwargs):
    """The result, or the exception type (so that both sides must fail alike)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return function(*args, **kwargs)
        except (ValueError, TypeError) as exc:
            return type(exc)


def _same(expected, got):
    if isinstance(expected, type) or isinstance(got, type):
        assert expected is got
        return
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
    assert np.shape(got) == np.shape(expected)


def _random_cases(seed, n_cases):
    rng = np.random.default_rng(seed)
    for case in range(n_cases):
        n = int(rng.integers(1, 40))
        k = int(rng.integers(1, 6))
        offset = int(rng.choice([0, -3, 70000]))
        t = rng.integers(0, k, n) + offset
        p = rng.integers(0, k, n) + offset
        weights = rng.random(n) if case % 3 == 0 else None
        labels = None if case % 2 else [int(v) for v in rng.choice(np.arange(offset, offset + k + 2),
                                                                   size=int(rng.integers(1, k + 2)), replace=False)]
        yield t, p, weights, labels, offset + 1


@pytest.mark.parametrize("seed", range(2))
def test_confusion_matrix_matches_sklearn(seed):
    for t, p, weights, labels, _ in _random_cases(seed, 30):
        for normalize in (None, "true", "pred", "all"):
            expected = _call(sk.confusion_matrix, t, p, labels=labels, sample_weight=weights, normalize=normalize)
            got = _call(compat.confusion_matrix, t, p, labels=labels, sample_weight=weights, normalize=normalize)
            _same(expected, got)
            if not isinstance(got, type):
                assert got.dtype == expected.dtype


@pytest.mark.parametrize("seed", range(2))
def test_jaccard_score_matches_sklearn(seed):
    for t, p, weights, labels, pos_label in _random_cases(seed + 10, 20):
        for average in (None, "binary", "micro", "macro", "weighted"):
            for zero_division in ("warn", 0.0, 1.0):
                options = dict(labels=labels, average=average, sample_weight=weights,
                               zero_division=zero_division, pos_label=pos_label)
                _same(_call(sk.jaccard_score, t, p, **options), _call(compat.jaccard_score, t, p, **options))


def test_tricky_cases():
    # a class absent from truth and prediction, listed explicitly: sklearn's 0.389 case
    t = np.array([0, 0, 1, 1])
    p = np.array([0, 1, 1, 1])
    for zero_division in (0.0, 1.0):
        _same(_call(sk.jaccard_score, t, p, labels=[0, 1, 2], average="macro", zero_division=zero_division),
              compat.jaccard_score(t, p, labels=[0, 1, 2], average="macro", zero_division=zero_division))
    # a label subset: pairs with other labels still count as errors
    t = np.array([0, 1, 2, 2, 1])
    p = np.array([2, 1, 0, 2, 0])
    _same(sk.jaccard_score(t, p, labels=[1, 2], average=None), compat.jaccard_score(t, p, labels=[1, 2], average=None))
    _same(sk.confusion_matrix(t, p, labels=[2, 0]), compat.confusion_matrix(t, p, labels=[2, 0]))
    # bool labels, integer weights keep int64 counts
    tb = np.array([True, False, True])
    pb = np.array([True, True, False])
    _same(sk.jaccard_score(tb, pb), compat.jaccard_score(tb, pb))
    cm = compat.confusion_matrix(tb, pb, sample_weight=np.array([1, 2, 3]))
    assert cm.dtype == np.int64
    _same(sk.confusion_matrix(tb, pb, sample_weight=np.array([1, 2, 3])), cm)


def test_nan_zero_division_is_a_fastiou_extension():
    got = compat.jaccard_score([0, 0, 1], [0, 1, 1], labels=[0, 1, 2], average="macro", zero_division=np.nan)
    assert got == pytest.approx(0.5)


@pytest.mark.parametrize("call, error, match", [
    (lambda: compat.jaccard_score([0, 1], [0, 1], average="samples"), ValueError, "multilabel indicator"),
    (lambda: compat.jaccard_score([0, 1], [0, 1], average="mean"), ValueError, "`average` must be one of"),
    (lambda: compat.jaccard_score([0, 1], [0, 1], zero_division=0.5), ValueError, "`zero_division` must be"),
    (lambda: compat.jaccard_score([0, 1], [0, 1], zero_division="nan"), ValueError, "`zero_division` must be"),
    (lambda: compat.jaccard_score([0, 1, 2], [0, 1, 2]), ValueError, "multiclass but `average`='binary'"),
    (lambda: compat.jaccard_score([0, 2], [0, 2], pos_label=1), ValueError, "`pos_label`=1 is not a valid"),
    (lambda: compat.confusion_matrix([0, 1], [0, 1], normalize="rows"), ValueError, "`normalize` must be"),
    (lambda: compat.confusion_matrix([0, 1], [0, 1], labels=[5]), ValueError, "At least one label"),
    (lambda: compat.confusion_matrix([0, 1], [0, 1], labels=[0, 0]), ValueError, "must not repeat"),
    (lambda: compat.confusion_matrix([0, 1], [0, 1], labels=[[0]]), ValueError, "1-D sequence"),
    (lambda: compat.confusion_matrix([], []), ValueError, "empty"),
    (lambda: compat.confusion_matrix([0, 1], [0, 1, 1]), ValueError, "`y_true` has 2 labels but `y_pred` has 3"),
    (lambda: compat.confusion_matrix([0, 1], [0, 1], sample_weight=[1.0]), ValueError, "`sample_weight` has shape"),
    (lambda: compat.confusion_matrix(["a", "b"], ["a", "b"]), TypeError, "integer labels"),
])
def test_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
