"""fastiou.compat.sklearn against scikit-learn itself: randomized differential tests.

Every case runs the same call through scikit-learn and through the compat profile and
demands the same outcome: equal values (integers exactly, floats to 1e-12 relative), the
same dtype and shape, the same warnings (category name and message), or an exception that
is an instance of every built-in type scikit-learn's is. A fast subset runs by default; the
``slow`` tests run 10,000 cases per function.
"""

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastiou.compat import sklearn as compat

sk = pytest.importorskip("sklearn.metrics")

FAST = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
SLOW = settings(max_examples=10_000, deadline=None, suppress_health_check=list(HealthCheck))
BUILTIN_ERRORS = (ValueError, TypeError, ZeroDivisionError, IndexError, KeyError, RuntimeError)


# --------------------------------------------------------------------------- running both sides

def _outcome(function, *args, **kwargs):
    """("ok", value, warnings) or ("raise", built-in error types, warnings)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = function(*args, **kwargs)
            kind = "ok"
        except BUILTIN_ERRORS as exc:
            value = tuple(error for error in BUILTIN_ERRORS if isinstance(exc, error))
            kind = "raise"
    # NumPy's RuntimeWarnings from inside scikit-learn (a NaN cast) are noise, not behaviour
    seen = [(w.category.__name__, str(w.message)) for w in caught if not issubclass(w.category, RuntimeWarning)]
    return kind, value, seen


def _scale(args, kwargs):
    """Magnitude of the summed weights: the absolute tolerance of cancelling sums."""
    weights = kwargs.get("sample_weight")
    return 1.0 if weights is None else max(1.0, float(np.abs(np.asarray(weights, dtype=float)).sum()))


def _check_same(function_name, args, kwargs):
    expected = _outcome(getattr(sk, function_name), *args, **kwargs)
    got = _outcome(getattr(compat, function_name), *args, **kwargs)
    context = f"{function_name}{args!r} {kwargs!r}: sklearn {expected!r}, compat {got!r}"
    assert got[0] == expected[0], context
    if expected[0] == "raise":  # compat's error is caught by whatever catches scikit-learn's
        assert set(expected[1]) <= set(got[1]), context
    else:
        _same_value(expected[1], got[1], _scale(args, kwargs), context)
    assert [name for name, _ in got[2]] == [name for name, _ in expected[2]], context
    assert [message for _, message in got[2]] == [message for _, message in expected[2]], context


def _same_value(expected, got, scale, context):
    assert type(got) is type(expected), context
    if isinstance(expected, np.ndarray):
        assert got.dtype == expected.dtype and got.shape == expected.shape, context
        if expected.dtype.kind in "iub":
            np.testing.assert_array_equal(got, expected, err_msg=context)
            return
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12 * scale, equal_nan=True, err_msg=context)


# --------------------------------------------------------------------------- inputs

INT_DTYPES = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint64"]
SPECIAL_INTS = [0, 1, 2, -1, -5, 31330, 57335, 2**40, -(2**62), 2**62 + 1, 255, 256]
STRINGS = ["a", "b", "cat", "dog", "", "Z", "ant"]


@st.composite
def _value_pools(draw):
    """(pool of label values, how arrays are built from it)."""
    kind = draw(st.sampled_from(["small", "small", "values", "str", "bool", "float", "mixed"]))
    if kind == "small":
        pool = list(range(draw(st.integers(1, 6))))
    elif kind == "values":
        pool = draw(st.lists(st.one_of(st.sampled_from(SPECIAL_INTS), st.integers(-(2**63), 2**63 - 1)),
                             min_size=1, max_size=5, unique=True))
    elif kind == "str":
        pool = draw(st.lists(st.sampled_from(STRINGS), min_size=1, max_size=5, unique=True))
    elif kind == "bool":
        pool = [False, True]
    elif kind == "float":
        pool = draw(st.lists(st.sampled_from([0.0, 1.0, 2.0, -3.0, 7.0, 1e6]), min_size=1, max_size=4, unique=True))
    else:
        pool = draw(st.lists(st.sampled_from([0, 1, 2, -3]), min_size=1, max_size=4, unique=True))
    return kind, pool


def _build(draw, kind, values, pool):
    """An ndarray (of a random dtype fitting the whole pool, so that both arrays of a case
    share the signedness: scikit-learn compares int64 with uint64 labels through float64,
    which loses values above 2**53), a list, or a column vector."""
    if kind in ("small", "values"):
        fitting = [d for d in INT_DTYPES
                   if np.iinfo(d).min <= min(pool) and max(pool) <= np.iinfo(d).max]
        if max(abs(v) for v in pool) >= 2**53:
            fitting = [d for d in fitting if d == fitting[0]]
        array = np.array(values, dtype=draw(st.sampled_from(fitting)) if fitting else object)
        if array.dtype == object:
            array = np.array(values, dtype=np.float64) if all(abs(v) < 2**53 for v in values) else \
                np.array(values, dtype=np.int64 if min(values) < 0 else np.uint64)
    elif kind == "float":
        array = np.array(values, dtype=draw(st.sampled_from(["float32", "float64"])))
    else:
        array = np.array(values)
    form = draw(st.sampled_from(["array", "array", "list", "column"]))
    if form == "list":
        return array.tolist()
    if form == "column":
        return array.reshape(-1, 1)
    return array


@st.composite
def _multiclass(draw):
    kind, pool = draw(_value_pools())
    n = draw(st.integers(1, 25))
    extra = pool if kind == "mixed" else pool + draw(st.lists(st.sampled_from(pool), max_size=1))
    truth = draw(st.lists(st.sampled_from(pool), min_size=n, max_size=n))
    pred = draw(st.lists(st.sampled_from(extra), min_size=n, max_size=n))
    if kind == "mixed":  # int truth, integral float prediction
        return kind, pool, np.array(truth, np.int64), np.array(pred, np.float64)
    return kind, pool, _build(draw, kind, truth, pool), _build(draw, kind, pred, pool)


@st.composite
def _multilabel(draw):
    n = draw(st.integers(1, 12))
    width = draw(st.integers(2, 5))
    positive = draw(st.sampled_from([1, 1, 1, 3, -1, 16]))
    dtype = draw(st.sampled_from(["bool", "int64", "uint8", "int8", "float64"]))
    if dtype == "bool":
        positive = 1
    if dtype == "uint8" and positive < 0:
        positive = 255

    def matrix():
        bits = draw(st.lists(st.booleans(), min_size=n * width, max_size=n * width))
        return (np.array(bits).reshape(n, width) * positive).astype(dtype)

    truth, pred = matrix(), matrix()
    if draw(st.integers(0, 9)) == 0:  # a third value: multiclass-multioutput
        pred[0, 0] = 2 if positive != 2 else 3
    if draw(st.booleans()):
        return "multilabel", list(range(width)), truth.tolist(), pred
    return "multilabel", list(range(width)), truth, pred


@st.composite
def _bad_targets(draw):
    """Inputs scikit-learn refuses: continuous values, string/number mixes, lengths, empty."""
    case = draw(st.sampled_from(["continuous", "mix", "length", "empty", "nan", "3d", "object"]))
    if case == "continuous":
        return "bad", [0, 1], np.array([0.5, 1.0]), np.array([0.0, 1.0])
    if case == "mix":
        return "bad", [0, 1], np.array(["a", "b"]), np.array([0, 1])
    if case == "length":
        return "bad", [0, 1], np.array([0, 1, 1]), np.array([0, 1])
    if case == "empty":
        return "bad", [0, 1], np.array([], np.int64), np.array([], np.int64)
    if case == "nan":
        return "bad", [0, 1], np.array([0.0, np.nan]), np.array([0.0, 1.0])
    if case == "3d":
        return "bad", [0, 1], np.zeros((2, 1, 1), np.int64), np.zeros((2, 1, 1), np.int64)
    return "bad", [0, 1], np.array([1, None], dtype=object), np.array([1, 0])


_targets = st.one_of(_multiclass(), _multiclass(), _multiclass(), _multilabel(), _bad_targets())


@st.composite
def _weights(draw, n):
    kind = draw(st.sampled_from(["none", "none", "float", "dyadic", "int", "zeros", "bool", "bad", "nonfinite"]))
    if kind == "none":
        return None
    if kind == "float":
        return np.array(draw(st.lists(st.floats(0.01, 10), min_size=n, max_size=n)))
    if kind == "dyadic":  # negative and zero weights whose sums are exact in any order
        return np.array(draw(st.lists(st.integers(-8, 8), min_size=n, max_size=n))) / 4.0
    if kind == "int":
        return draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    if kind == "zeros":
        return np.zeros(n)
    if kind == "bool":
        return np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    if kind == "nonfinite" and n:
        weights = np.array(draw(st.lists(st.sampled_from([0.0, 1.0, -1.0]), min_size=n, max_size=n)))
        weights[draw(st.integers(0, n - 1))] = draw(st.sampled_from([np.inf, -np.inf, np.nan]))
        return weights
    return np.ones(n + 1)


def _n_samples(array):
    return len(array)


@st.composite
def _labels(draw, kind, pool):
    if draw(st.integers(0, 2)) == 0:
        return None
    if kind == "multilabel":
        choices = pool + [-1, len(pool)]
    elif kind == "str":
        choices = pool + ["absent"]
    elif kind == "bool":
        choices = [False, True]
    else:
        choices = pool + [123456]
    labels = draw(st.lists(st.sampled_from(choices), min_size=0, max_size=len(pool) + 2))
    return labels


@st.composite
def _cases(draw):
    kind, pool, truth, pred = draw(_targets)
    return kind, pool, truth, pred, draw(_weights(_n_samples(truth))), draw(_labels(kind, pool))


# --------------------------------------------------------------------------- tests

def _confusion_matrix_case(case, normalize):
    kind, pool, truth, pred, weights, labels = case
    _check_same("confusion_matrix", (truth, pred), dict(labels=labels, sample_weight=weights, normalize=normalize))


def _multilabel_case(case, samplewise):
    kind, pool, truth, pred, weights, labels = case
    _check_same("multilabel_confusion_matrix", (truth, pred),
                dict(labels=labels, sample_weight=weights, samplewise=samplewise))


def _jaccard_case(case, average, zero_division, pos_label):
    kind, pool, truth, pred, weights, labels = case
    pos_label = pool[pos_label % len(pool)] if pos_label >= 0 else 1
    _check_same("jaccard_score", (truth, pred), dict(labels=labels, sample_weight=weights, average=average,
                                                     zero_division=zero_division, pos_label=pos_label))


_normalize = st.sampled_from([None, "true", "pred", "all"])
_average = st.sampled_from([None, "binary", "micro", "macro", "weighted", "samples"])
_zero_division = st.sampled_from(["warn", 0, 1, 0.0, 1.0, True, np.float64(1.0)])
_pos_label = st.integers(-1, 5)


def _differential(body, *strategies):
    """The default-suite variant (a few dozen cases) and the slow 10,000-case variant."""
    return FAST(given(*strategies)(body)), pytest.mark.slow(SLOW(given(*strategies)(body)))


test_confusion_matrix_matches_sklearn, test_confusion_matrix_matches_sklearn_10k = _differential(
    _confusion_matrix_case, _cases(), _normalize)
test_multilabel_confusion_matrix_matches_sklearn, test_multilabel_confusion_matrix_matches_sklearn_10k = \
    _differential(_multilabel_case, _cases(), st.booleans())
test_jaccard_score_matches_sklearn, test_jaccard_score_matches_sklearn_10k = _differential(
    _jaccard_case, _cases(), _average, _zero_division, _pos_label)


# --------------------------------------------------------------------------- parameters and inputs

@pytest.mark.parametrize("function_name, kwargs", [
    ("confusion_matrix", dict(normalize="rows")),
    ("confusion_matrix", dict(normalize=1)),
    ("confusion_matrix", dict(labels=3)),
    ("confusion_matrix", dict(labels=[])),
    ("confusion_matrix", dict(labels=[7, 8])),
    ("confusion_matrix", dict(sample_weight=2.0)),
    ("confusion_matrix", dict(sample_weight=np.ones((3, 1)))),
    ("multilabel_confusion_matrix", dict(samplewise="yes")),
    ("multilabel_confusion_matrix", dict(samplewise=True)),
    ("jaccard_score", dict(average="mean")),
    ("jaccard_score", dict(average="macro", zero_division=np.nan)),
    ("jaccard_score", dict(average="macro", zero_division=0.5)),
    ("jaccard_score", dict(average="macro", zero_division="nan")),
    ("jaccard_score", dict(average="macro", zero_division=np.int64(1), labels=[0, 1, 2, 9])),
    ("jaccard_score", dict(average="macro", zero_division=np.float32(1), labels=[9])),
    ("jaccard_score", dict(pos_label=[1])),
    ("jaccard_score", dict(pos_label=5)),
    ("jaccard_score", dict(average="samples")),
    ("jaccard_score", dict(average="weighted", sample_weight=[1.0, -1.0, 0.0])),
])
def test_parameters_match_sklearn(function_name, kwargs):
    _check_same(function_name, (np.array([0, 1, 1]), np.array([0, 1, 0])), kwargs)


@pytest.mark.parametrize("function_name", ["confusion_matrix", "multilabel_confusion_matrix", "jaccard_score"])
def test_scalar_and_string_targets_match_sklearn(function_name):
    _check_same(function_name, (3, 3), {})
    _check_same(function_name, ("ab", "ab"), {})
    _check_same(function_name, ({0, 1}, {0, 1}), {})


def test_invalid_parameter_error_is_value_and_type_error():
    with pytest.raises(ValueError, match="'normalize' parameter of confusion_matrix") as caught:
        compat.confusion_matrix([0, 1], [0, 1], normalize="rows")
    assert isinstance(caught.value, TypeError) and isinstance(caught.value, compat.InvalidParameterError)


def test_undefined_metric_warning_class():
    """scikit-learn's own class once sklearn.exceptions is imported (it is, here)."""
    from sklearn.exceptions import UndefinedMetricWarning
    with pytest.warns(UndefinedMetricWarning, match="Jaccard is ill-defined"):
        compat.jaccard_score([0, 0], [0, 0], labels=[1], average="macro")
    assert issubclass(compat.UndefinedMetricWarning, UserWarning)


def test_torch_tensors_and_sparse_input():
    torch = pytest.importorskip("torch")
    truth, pred = np.array([3, -1, 3, 7]), np.array([3, 3, -1, 7])
    np.testing.assert_array_equal(compat.confusion_matrix(torch.from_numpy(truth), torch.from_numpy(pred)),
                                  sk.confusion_matrix(truth, pred))
    sparse = pytest.importorskip("scipy.sparse")
    with pytest.raises(TypeError, match="sparse matrices are not supported"):
        compat.jaccard_score(sparse.csr_array(np.eye(2)), np.eye(2), average="macro")


def test_inputs_not_modified():
    truth, pred, weights = np.array([5, -2, 5, 9]), np.array([5, 5, -2, 9]), np.array([1.0, -1.0, 0.5, 2.0])
    copies = truth.copy(), pred.copy(), weights.copy()
    compat.confusion_matrix(truth, pred, sample_weight=weights, normalize="all")
    compat.jaccard_score(truth, pred, sample_weight=weights, average=None)
    for before, after in zip(copies, (truth, pred, weights)):
        np.testing.assert_array_equal(before, after)
