"""``sklearn.metrics.confusion_matrix``, ``multilabel_confusion_matrix`` and ``jaccard_score``,
counted by fastiou.

Same signatures, same numbers, same dtypes, same warnings and the same exception types as
scikit-learn (checked against scikit-learn 1.9 by randomized differential tests). Labels are
*values*: any integers (negative, huge), bools, integral floats, strings; ``labels=None``
means the sorted union of the values present. 1-D input (or a column vector) is multiclass;
2-D input with at least two columns and at most two distinct values is a multilabel
indicator matrix (non-zero = positive). Small non-negative integer labels are counted
directly by the fastiou kernel; any other values are first encoded as indices into their
sorted unique values.

scikit-learn's own rules are kept, quirks included (docs/compat/sklearn.md lists them):
with duplicated ``labels``, ``confusion_matrix`` counts only the last occurrence;
``multilabel_confusion_matrix`` returns float64 when no sample is predicted right (1-D
input, no weights); ``zero_division`` given as a NumPy integer or float32 acts as NaN;
normalized matrices have NaN and infinities replaced by ``np.nan_to_num``.

Errors: parameter values scikit-learn's ``validate_params`` refuses raise
:class:`InvalidParameterError` (a ``ValueError`` and a ``TypeError``, as scikit-learn's);
the other errors are the ``ValueError`` / ``ZeroDivisionError`` scikit-learn raises.

Warnings: ``zero_division="warn"`` emits :class:`UndefinedMetricWarning` with
scikit-learn's message; if ``sklearn.exceptions`` is already imported, its own
``UndefinedMetricWarning`` class is used (so filters written for scikit-learn apply), else
this module's class of the same name (a ``UserWarning``). scikit-learn's ``UserWarning``\\ s
(a 1x1 confusion matrix; `pos_label` ignored) are emitted too. scikit-learn is never
imported.

Not supported: scipy sparse matrices (scikit-learn takes them for multilabel input) and
array-API namespaces other than NumPy (CPU torch tensors are accepted and converted).
"""

import numbers
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any, Literal, Optional, Union, cast

import numpy as np
import numpy.typing as npt

from fastiou._shared._typing import ArrayLike, CountArray, FloatArray
from fastiou.compat import to_numpy
from fastiou.segmentation._core import confusion_matrix as _count
from fastiou.segmentation._core import count_pairs

__all__ = ["InvalidParameterError", "UndefinedMetricWarning", "confusion_matrix", "jaccard_score",
           "multilabel_confusion_matrix"]

# labels in [0, GUESS) are counted in one pass without looking for their range first; labels
# in [0, DIRECT_LIMIT), or any range that narrow, are counted as they are (shifted); others are
# encoded as positions among their sorted unique values first
GUESS = 64
DIRECT_LIMIT = 256
SAMPLE = 1 << 16
# integral floats with a magnitude below this are exact in int64 and float64 alike
EXACT_FLOAT = 2.0 ** 53
AVERAGES = (None, "micro", "macro", "weighted", "samples")


class InvalidParameterError(ValueError, TypeError):
    """A parameter of a wrong type or value (scikit-learn's ``InvalidParameterError``:
    both a ``ValueError`` and a ``TypeError``)."""


class _NotASequenceError(ValueError, IndexError):
    """A set or another non-sequence as labels (scikit-learn's ``confusion_matrix`` fails on
    it with an ``IndexError``, its other functions with a ``ValueError``)."""


class UndefinedMetricWarning(UserWarning):
    """A score divided 0 by 0 (scikit-learn's ``UndefinedMetricWarning``; see the module
    docstring for when scikit-learn's own class is used instead)."""


def _undefined_metric_warning() -> type[Warning]:
    loaded = sys.modules.get("sklearn.exceptions")
    return getattr(loaded, "UndefinedMetricWarning", UndefinedMetricWarning)


# --------------------------------------------------------------------------- parameters

def _is_array_like(value: object) -> bool:
    return ((hasattr(value, "__len__") or hasattr(value, "shape") or hasattr(value, "__array__"))
            and not np.isscalar(value))


def _check_param(function: str, name: str, value: object, ok: bool, allowed: str) -> None:
    if not ok:
        raise InvalidParameterError(f"The '{name}' parameter of {function} must be {allowed}. "
                                    f"Got {value!r} instead.")


def _check_array_params(function: str, **values: object) -> None:
    for name, value in values.items():
        optional = name in ("labels", "sample_weight")
        ok = _is_array_like(value) or (optional and value is None)
        _check_param(function, name, value, ok, "an array-like" + (" or None" if optional else ""))


def _check_zero_division(zero_division: object) -> float:
    """scikit-learn's value for a 0/0 score: "warn" -> 0, Python 0/1 -> itself, anything
    else that passed validation (a NumPy integer, float32) -> NaN."""
    if isinstance(zero_division, str) and zero_division == "warn":
        return np.float64(0.0)
    if isinstance(zero_division, (int, float)) and zero_division in [0, 1]:
        return np.float64(zero_division)
    return np.nan


# --------------------------------------------------------------------------- targets

def _as_target(values: object, name: str) -> npt.NDArray[Any]:
    if hasattr(values, "nnz") and hasattr(values, "toarray"):
        raise TypeError(f"`{name}`: scipy sparse matrices are not supported by fastiou.compat.sklearn; "
                        "pass a dense array (`.toarray()`)")
    valid = (isinstance(values, Sequence) or hasattr(values, "__array__") or hasattr(values, "detach")) \
        and not isinstance(values, str)
    if not valid:
        raise _NotASequenceError(f"`{name}`: expected array-like (array or non-string sequence), got {values!r}")
    array = to_numpy(values, name)
    if array.dtype.kind == "O" and array.size and all(isinstance(v, str) for v in array.flat):
        array = array.astype(str)
    if array.dtype.kind in "SV":
        raise TypeError("Support for labels represented as bytes is not supported. Convert the labels "
                        "to a string or integer format.")
    if array.dtype.kind == "c":
        raise ValueError("Complex data not supported")
    return array


def _is_integral(array: npt.NDArray[Any]) -> bool:
    with np.errstate(invalid="ignore"):
        return bool(np.all(array.astype(np.int64).astype(array.dtype) == array))


def _target_type(array: npt.NDArray[Any], name: str) -> str:
    """scikit-learn's ``type_of_target``, with "labels" for 1-D input (binary or multiclass is
    decided later, from the counts)."""
    if array.ndim not in (1, 2):
        return "unknown"
    if array.ndim == 2 and array.shape[1] > 1:
        kind = array.dtype.kind
        if kind in "biu" or (kind == "f" and array.size):
            values = np.unique(array) if kind != "b" else None
            if values is None or (values.size < 3 and (kind in "iu" or _is_integral(values))):
                return "multilabel-indicator"
    if not min(array.shape):
        return "labels" if array.ndim == 1 else "unknown"
    if array.dtype.kind == "O":
        return "unknown"
    suffix = "-multioutput" if array.ndim == 2 and array.shape[1] > 1 else ""
    if array.dtype.kind == "f" and not _is_integral(array):
        if not np.isfinite(array).all():
            raise ValueError(f"Input {name} contains NaN or infinity.")
        return "continuous" + suffix
    return "multiclass-multioutput" if suffix else "labels"


def _check_weights(sample_weight: ArrayLike, n_samples: int) -> tuple[npt.NDArray[Any], float]:
    """scikit-learn's checks of `sample_weight`; returns the weights and their minimum."""
    weights = to_numpy(sample_weight, "sample_weight")
    if weights.dtype.kind not in "biuf":
        raise ValueError(f"`sample_weight` must hold real numbers, got dtype {weights.dtype}")
    if weights.ndim == 0:
        weights = np.full(n_samples, weights[()])
    if weights.ndim != 1:
        raise ValueError(f"Sample weights must be 1D array or scalar, got {weights.ndim}D array. Expected "
                         f"either a scalar value or a 1D array of length {n_samples}.")
    if weights.shape != (n_samples,):
        raise ValueError(f"sample_weight.shape == {weights.shape}, expected {(n_samples,)}!")
    # one pass in the common case: the minimum propagates NaN, and only a minimum of 0 needs
    # the maximum to tell all-zero weights; a +inf elsewhere is refused by the counting call
    low = float(weights.min()) if weights.size else 0.0
    high = float(weights.max()) if low == 0 or np.isinf(low) else low
    if not (np.isfinite(low) and np.isfinite(high)):
        raise ValueError("Input sample_weight contains NaN or infinity.")
    if low == high == 0:
        raise ValueError("Sample weights must contain at least one non-zero number.")
    return weights, low


def _check_sortable(*targets: object) -> None:
    """scikit-learn's ``attach_unique`` sorts object arrays first: unorderable values raise
    its ``TypeError``."""
    for values in targets:
        if isinstance(values, np.ndarray) and values.dtype.kind == "O":
            np.unique(values)


class _Targets:
    weights: Optional[npt.NDArray[Any]]
    _weights_min: Any
    _encoded: Any
    _counts: Any
    """What scikit-learn's ``_check_targets`` establishes: the task and the two arrays."""

    def __init__(self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: Optional[ArrayLike] = None) -> None:
        truth, pred = _as_target(y_true, "y_true"), _as_target(y_pred, "y_pred")
        lengths: set[Any] = {len(a) if a.ndim else None for a in (truth, pred)}
        if sample_weight is not None:
            w = to_numpy(sample_weight, "sample_weight")
            lengths.add(len(w) if w.ndim else None)
        if None in lengths:
            raise TypeError("Singleton array cannot be considered a valid collection.")
        if len(lengths) > 1:
            raise ValueError(f"Found input variables with inconsistent numbers of samples: {sorted(lengths)}")
        kinds = [_target_type(truth, "y_true"), _target_type(pred, "y_pred")]
        if truth.shape[0] < 1:
            raise ValueError("Found empty input array (e.g., `y_true` or `y_pred`) while a minimum of 1 "
                             "sample is required.")
        self.weights, self._weights_min = None, None
        if sample_weight is not None:
            self.weights, self._weights_min = _check_weights(sample_weight, truth.shape[0])
        if kinds[0] != kinds[1]:
            raise ValueError(f"Classification metrics can't handle a mix of {kinds[0]} and {kinds[1]} targets")
        if kinds[0] not in ("labels", "multilabel-indicator"):
            raise ValueError(f"{kinds[0]} is not supported")
        self.multilabel = kinds[0] == "multilabel-indicator"
        if self.multilabel:
            if truth.shape[1] != pred.shape[1]:
                raise ValueError("Multi-label binary indicator input with different numbers of labels")
            self.truth, self.pred = truth, pred
            return
        truth, pred = truth.reshape(-1), pred.reshape(-1)
        if (truth.dtype.kind == "U") != (pred.dtype.kind == "U"):
            raise ValueError("Mix of label input types (string and number)")
        self.truth, self.pred = truth, pred
        self._encoded = None
        self._counts = None

    # ----------------------------------------------------------------- 1-D labels
    def encoded(self) -> Any:
        """(values, truth index, pred index): sorted unique values present (or 0..max for
        small non-negative integers) and both arrays as indices into them."""
        if self._encoded is None:
            self._encoded = _encode(self.truth, self.pred)
        return self._encoded

    def counts(self) -> Any:
        """Matrix over ``values`` (rows truth; weighted if weights were given, float64) and
        the unweighted presence of each value in the truth and in the prediction."""
        if self._counts is None:
            w: Any = None if self.weights is None else self.weights.astype(np.float64, copy=False)
            positive = w is None or self._weights_min > 0
            first = None
            # labels below GUESS need no pass to find their range (one-byte labels find it
            # faster than a count over GUESS classes takes longer than one over theirs)
            if self._encoded is None and max(self.truth.dtype.itemsize, self.pred.dtype.itemsize) > 1:
                first = _count_small(self.truth, self.pred, w if positive else None)
                if first is not None:
                    self._encoded = (np.arange(GUESS),) + first[1:]
            values, truth, pred = self.encoded()
            if positive:
                matrix = first[0] if first is not None else _count(truth, pred, values.size, sample_weight=w)
                unweighted = matrix
            else:
                unweighted = first[0] if first is not None else _count(truth, pred, values.size)
                matrix = _count(truth, pred, values.size, sample_weight=np.maximum(w, 0.0))
                if self._weights_min < 0:
                    matrix -= _count(truth, pred, values.size, sample_weight=np.maximum(-w, 0.0))
            self._counts = matrix, unweighted.sum(axis=1) > 0, unweighted.sum(axis=0) > 0
        return self._counts

    def present(self) -> Any:
        """Whether each value occurs in the truth or the prediction (``unique_labels``)."""
        _, in_truth, in_pred = self.counts()
        return in_truth | in_pred

    def n_samples_correct(self) -> tuple[int, bool]:
        """(number of samples, whether any is predicted right), before weighting."""
        values, truth, pred = self.encoded()
        if self.weights is None:
            return truth.size, bool(np.trace(self.counts()[0]) > 0)
        return truth.size, bool(np.any(truth == pred))


def _as_int64(array: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Integral floats (below 2**53) and bools as int64; other arrays unchanged."""
    if array.dtype.kind == "b":
        return array.view(np.uint8)
    if array.dtype.kind == "f" and (array.size == 0 or np.abs(array).max() < EXACT_FLOAT):
        return array.astype(np.int64)
    return array


def _count_small(truth: npt.NDArray[Any], pred: npt.NDArray[Any], weights: Optional[npt.NDArray[Any]]) -> Optional[tuple[Any, npt.NDArray[Any], npt.NDArray[Any]]]:
    """One counting pass over GUESS classes, or None when a label lies outside [0, GUESS)."""
    truth, pred = _as_int64(truth), _as_int64(pred)
    if truth.dtype.kind not in "iu" or pred.dtype.kind not in "iu":
        return None
    if not (0 <= truth[0] < GUESS and 0 <= pred[0] < GUESS):  # far-off labels: skip the try
        return None
    counts = count_pairs(truth, pred, GUESS, sample_weight=weights, out_of_range="ignore")
    if counts.n_bad_true or counts.n_bad_pred:
        return None
    return counts.matrix, truth, pred


def _encode(truth: npt.NDArray[Any], pred: npt.NDArray[Any]) -> tuple[npt.NDArray[Any], npt.NDArray[Any], npt.NDArray[Any]]:
    truth, pred = _as_int64(truth), _as_int64(pred)
    if truth.dtype.kind in "iu" and pred.dtype.kind in "iu":
        unsigned = truth.dtype.kind == pred.dtype.kind == "u"  # no pass for a minimum of 0
        low = 0 if unsigned else int(min(truth.min(), pred.min()))
        high = int(max(truth.max(), pred.max()))
        if low >= 0 and high < DIRECT_LIMIT:
            return np.arange(high + 1), truth, pred
        if high - low < DIRECT_LIMIT:  # a narrow range anywhere: shift it to 0 (modulo 2**64)
            shift = np.int64((low + 2**63) % 2**64 - 2**63)
            return (np.array(range(low, high + 1)),
                    *(np.subtract(a, shift, dtype=np.int64, casting="unsafe", out=np.empty(a.shape, np.uint8))
                      for a in (truth, pred)))
        if np.result_type(truth, pred).kind == "f":  # uint64 with a signed type
            kind = np.int64 if high <= np.iinfo(np.int64).max else (np.uint64 if low >= 0 else object)
            truth, pred = truth.astype(kind), pred.astype(kind)
    # the values of a leading sample usually are all the values: a search checks it, in far
    # less time than sorting everything takes
    values = np.unique(np.concatenate([truth[:SAMPLE], pred[:SAMPLE]]))
    encoded: list[Any] = [_positions_if_all_found(values, a) for a in (truth, pred)]
    if encoded[0] is None or encoded[1] is None:
        values = np.unique(np.concatenate([np.unique(truth), np.unique(pred)]))
        encoded = [np.searchsorted(values, a) for a in (truth, pred)]
    return values, encoded[0], encoded[1]


def _positions_if_all_found(values: npt.NDArray[Any], array: npt.NDArray[Any]) -> Optional[npt.NDArray[Any]]:
    index = np.searchsorted(values, array)
    np.minimum(index, values.size - 1, out=index)
    return index if np.array_equal(values[index], array) else None


def _label_positions(values: npt.NDArray[Any], labels: npt.NDArray[Any]) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
    """Index of each label in `values` and whether it is there (by value)."""
    if labels.dtype.kind == "f" and values.dtype.kind in "iu" and values.size:
        integral = labels == np.round(labels)
    else:
        integral = np.ones(labels.shape, bool)
    try:
        index = np.searchsorted(values, labels)
        found = values[np.minimum(index, values.size - 1)] == labels
    except (TypeError, ValueError, np.exceptions.DTypePromotionError):
        index, found = np.zeros(labels.shape, np.intp), np.zeros(labels.shape, bool)
    found = np.asarray(found, bool) & integral & (index < values.size)
    return np.where(found, index, 0), found


def _as_labels(labels: ArrayLike, values: npt.NDArray[Any]) -> npt.NDArray[Any]:
    array = to_numpy(labels, "labels")
    if array.dtype.kind == "b" and values.dtype.kind in "iu":
        array = array.astype(np.int64)
    return array


def _present_values(targets: _Targets, present: npt.NDArray[Any]) -> Any:
    """scikit-learn's ``unique_labels``: the sorted present values, as an array."""
    values = targets.encoded()[0][present]
    kinds = {targets.truth.dtype.kind, targets.pred.dtype.kind}
    if "f" in kinds:
        return values.astype(np.float64)
    if kinds == {"b"}:
        return values.astype(bool)
    return values


# --------------------------------------------------------------------------- confusion_matrix

def confusion_matrix(y_true: ArrayLike, y_pred: ArrayLike, *, labels: Optional[ArrayLike] = None,
                     sample_weight: Optional[ArrayLike] = None,
                     normalize: Optional[Literal["true", "pred", "all"]] = None) -> CountArray:
    """``sklearn.metrics.confusion_matrix``: rows truth, columns prediction, over label values.

    Parameters
    ----------
    y_true, y_pred : array_like of shape (n_samples,)
        Labels: integers of any value, bools, integral floats or strings (a column vector
        ``(n, 1)`` is read as 1-D). Multilabel indicator input raises ``ValueError``.
    labels : array_like, optional
        Label values indexing the rows and columns, in this order; pairs whose truth or
        prediction is not listed are dropped. Default: the sorted values present. A
        duplicated value gets its counts in its last position only (scikit-learn does so).
    sample_weight : array_like of shape (n_samples,), optional
        Weights (negative allowed, not all zero); integer or bool weights give int64 counts.
    normalize : {"true", "pred", "all"}, optional
        Divide by the row sums, the column sums or the total; NaN and infinities are then
        replaced as ``np.nan_to_num`` does (0 for 0 / 0).

    Returns
    -------
    ndarray of shape (n_labels, n_labels)
        int64 counts, or float64 with float weights or `normalize`.

    Examples
    --------
    >>> from fastiou.compat.sklearn import confusion_matrix
    >>> confusion_matrix([2, 0, 2, 2, 0, 1], [0, 0, 2, 2, 0, 2])
    array([[2, 0, 0],
           [0, 0, 1],
           [1, 0, 2]])
    >>> confusion_matrix(["cat", "ant", "cat"], ["ant", "ant", "cat"], labels=["cat", "ant"])
    array([[1, 1],
           [0, 1]])
    """
    name = "confusion_matrix"
    _check_array_params(name, y_true=y_true, y_pred=y_pred, labels=labels, sample_weight=sample_weight)
    _check_param(name, "normalize", normalize,
                 normalize is None or (isinstance(normalize, str) and normalize in ("true", "pred", "all")),
                 "a str among {'all', 'pred', 'true'} or None")
    for key, value in (("y_true", y_true), ("y_pred", y_pred)):
        if np.ndim(value) > 2 and not isinstance(value, str):
            raise ValueError(f"Found array with dim {np.ndim(value)}. None expected <= 2.")
    targets = _Targets(y_true, y_pred, sample_weight)
    if targets.multilabel:
        raise ValueError("multilabel-indicator is not supported")
    matrix, in_truth, _ = targets.counts()
    values = targets.encoded()[0]
    if labels is None:
        keep = np.flatnonzero(targets.present())
        matrix = matrix[np.ix_(keep, keep)]
    else:
        selected = _as_labels(labels, values)
        if selected.size == 0:
            raise ValueError("'labels' should contain at least one label.")
        index, found = _label_positions(values, selected.reshape(-1))
        if not np.any(found & in_truth[index]):
            raise ValueError("At least one label specified must be in y_true")
        found &= _last_occurrence(selected.reshape(-1))
        full = np.zeros((index.size, index.size), matrix.dtype)
        rows = np.flatnonzero(found)
        full[np.ix_(rows, rows)] = matrix[np.ix_(index[rows], index[rows])]
        matrix = full
    if targets.weights is None or targets.weights.dtype.kind in "biu":
        matrix = matrix.astype(np.int64)
    if normalize is not None:
        with np.errstate(all="ignore"):
            total: Callable[[Any], Any] = {"true": lambda m: m.sum(axis=1, keepdims=True),
                     "pred": lambda m: m.sum(axis=0, keepdims=True), "all": lambda m: m.sum()}[normalize]
            matrix = np.nan_to_num(matrix / total(matrix))
    if matrix.shape == (1, 1):
        warnings.warn("A single label was found in 'y_true' and 'y_pred'. For the confusion matrix to have "
                      "the correct shape, use the 'labels' parameter to pass all known labels.",
                      UserWarning, stacklevel=2)
    return cast(CountArray, matrix)


def _last_occurrence(labels: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """True at the last position of each distinct value (a dict built from `labels` keeps
    the last index of a repeated key)."""
    try:
        _, inverse = np.unique(labels[::-1], return_inverse=True)
    except TypeError:
        return np.ones(labels.shape, bool)
    first_reversed = np.zeros(labels.size, bool)
    _, first = np.unique(inverse, return_index=True)
    first_reversed[first] = True
    return first_reversed[::-1]


# --------------------------------------------------------------------------- multilabel_confusion_matrix

def multilabel_confusion_matrix(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: Optional[ArrayLike] = None,
                                labels: Optional[ArrayLike] = None, samplewise: bool = False) -> CountArray:
    """``sklearn.metrics.multilabel_confusion_matrix``: one 2x2 matrix ``[[tn, fp], [fn, tp]]``
    per label (one-vs-rest for 1-D input) or, with `samplewise`, per sample.

    Parameters
    ----------
    y_true, y_pred : array_like of shape (n_samples,) or (n_samples, n_labels)
        1-D labels (any values, as :func:`confusion_matrix`) or multilabel indicator
        matrices (at most two distinct values; non-zero is positive).
    sample_weight : array_like of shape (n_samples,), optional
    labels : array_like, optional
        Label values (1-D input) or column indices (multilabel) to report, in this order;
        default: all, sorted.
    samplewise : bool
        One matrix per sample (multilabel input only).

    Returns
    -------
    ndarray of shape (n_outputs, 2, 2)
        int64 counts; float64 with weights, and for 1-D input without weights when no
        sample is predicted right (scikit-learn's dtypes).

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.compat.sklearn import multilabel_confusion_matrix
    >>> multilabel_confusion_matrix(np.array([[1, 0, 1], [0, 1, 0]]), np.array([[1, 0, 0], [0, 1, 1]]))[2]
    array([[0, 1],
           [1, 0]])
    >>> multilabel_confusion_matrix(["a", "b", "a"], ["a", "a", "a"], labels=["b"])
    array([[[2, 0],
            [1, 0]]])
    """
    name = "multilabel_confusion_matrix"
    _check_array_params(name, y_true=y_true, y_pred=y_pred, sample_weight=sample_weight, labels=labels)
    _check_param(name, "samplewise", samplewise, isinstance(samplewise, (bool, np.bool_)), "an instance of 'bool'")
    _check_sortable(y_true, y_pred)
    return _multilabel_counts(_Targets(y_true, y_pred, sample_weight), labels, samplewise)


def _multilabel_counts(targets: _Targets, labels: Optional[ArrayLike], samplewise: bool) -> CountArray:
    if targets.multilabel:
        return _indicator_counts(targets, labels, samplewise)
    if samplewise:
        raise ValueError("Samplewise metrics are not available outside of multilabel classification.")
    matrix = targets.counts()[0]
    values = targets.encoded()[0]
    if labels is None:
        rows = np.flatnonzero(targets.present())
    else:
        selected = _as_labels(labels, values).reshape(-1)
        rows, found = _label_positions(values, selected)
        rows = np.where(found, rows, values.size)
    weights = targets.weights
    tp_all = np.append(np.diagonal(matrix), 0)
    pred_all = np.append(matrix.sum(axis=0), 0)
    true_all = np.append(matrix.sum(axis=1), 0)
    tp, pred_sum, true_sum = tp_all[rows], pred_all[rows], true_all[rows]
    if weights is None:
        n, any_correct = targets.n_samples_correct()
        dtype = np.int64 if any_correct else np.float64
        tp, pred_sum, true_sum = tp.astype(dtype), pred_sum.astype(np.int64), true_sum.astype(np.int64)
        total = n
    else:
        total = np.sum(weights)
    fp = pred_sum - tp
    fn = true_sum - tp
    tn = total - tp - fp - fn
    return np.stack([tn, fp, fn, tp]).T.reshape(-1, 2, 2)


def _indicator_counts(targets: _Targets, labels: Optional[ArrayLike], samplewise: bool) -> CountArray:
    truth, pred, weights = targets.truth, targets.pred, targets.weights
    n_columns = truth.shape[1]
    if labels is not None:
        selected = to_numpy(labels, "labels").reshape(-1)
        present = np.arange(n_columns)
        full = np.concatenate([selected, np.setdiff1d(present, selected, assume_unique=True)])
        if full.shape != present.shape or np.any(full != present):
            if full.max() > n_columns - 1:
                raise ValueError("All labels must be in [0, n labels) for multilabel targets. "
                                 f"Got {full.max():d} > {n_columns - 1:d}")
            if full.min() < 0:
                raise ValueError(f"All labels must be in [0, n labels) for multilabel targets. Got {full.min():d} < 0")
        if selected.size == 0:
            selected = selected.astype(np.intp)
        try:
            truth, pred = truth[:, selected], pred[:, selected]
        except IndexError as exc:
            raise IndexError(f"`labels` must be integer column indices for multilabel input: {exc}") from None
    axis = 1 if samplewise else 0
    if weights is None and not samplewise and _zero_one(truth) and _zero_one(pred) and truth.shape[1]:
        counts = _count(truth, pred, truth.shape[1], multilabel=True, axis=1)
        return counts.reshape(-1, 2, 2)
    if weights is not None and weights.dtype.kind == "f" and not np.isfinite(weights).all():
        raise ValueError("Input sample_weight contains NaN or infinity.")
    with np.errstate(over="ignore"):
        both = np.multiply(truth, pred) != 0
    positive_true, positive_pred = truth != 0, pred != 0
    if weights is None:
        tp, pred_sum, true_sum = (a.sum(axis=axis) for a in (both, positive_pred, positive_true))
        total = truth.shape[1] if samplewise else truth.shape[0]
    elif samplewise:
        tp, pred_sum, true_sum = (a.sum(axis=1) * weights for a in (both, positive_pred, positive_true))
        total = weights * truth.shape[1]
    else:
        w = weights.astype(np.float64)[:, None]
        # a weighted np.bincount of no entry at all is int64 zeros (scikit-learn's dtype follows)
        tp, pred_sum, true_sum = (np.where(a, w, 0.0).sum(axis=0) if a.any() else np.zeros(a.shape[1], np.intp)
                                  for a in (both, positive_pred, positive_true))
        total = np.sum(weights)
    fp = pred_sum - tp
    fn = true_sum - tp
    tn = total - tp - fp - fn
    return np.stack([tn, fp, fn, tp]).T.reshape(-1, 2, 2)


def _zero_one(array: npt.NDArray[Any]) -> object:
    if array.dtype.kind == "b":
        return True
    return array.dtype.kind in "iu" and array.size and array.min() >= 0 and array.max() <= 1


# --------------------------------------------------------------------------- jaccard_score

def jaccard_score(y_true: ArrayLike, y_pred: ArrayLike, *, labels: Optional[ArrayLike] = None,
                  pos_label: Union[float, str, bool, None] = 1,
                  average: Optional[Literal["binary", "micro", "macro", "weighted", "samples"]] = "binary",
                  sample_weight: Optional[ArrayLike] = None,
                  zero_division: Union[Literal["warn"], float] = "warn") -> Union[float, FloatArray]:
    """``sklearn.metrics.jaccard_score``: tp / (tp + fp + fn) per label, averaged.

    Parameters
    ----------
    y_true, y_pred : array_like
        1-D labels of any value (as :func:`confusion_matrix`) or multilabel indicator
        matrices ``(n_samples, n_labels)``.
    labels : array_like, optional
        Labels to score (values; column indices for multilabel input) when `average` is not
        "binary"; samples of other labels still count as errors. Default: all present, sorted.
    pos_label : int, float, bool or str
        The scored label with ``average="binary"`` (binary input only).
    average : {"binary", "micro", "macro", "weighted", "samples"} or None
        None returns the per-label scores; "samples" (multilabel input) averages the
        per-sample scores, weighted by `sample_weight`.
    sample_weight : array_like of shape (n_samples,), optional
    zero_division : "warn", 0 or 1
        Score of a 0 / 0 ratio; "warn" gives 0 and emits :class:`UndefinedMetricWarning`.

    Returns
    -------
    float, or ndarray of float64 with ``average=None``

    Examples
    --------
    >>> from fastiou.compat.sklearn import jaccard_score
    >>> jaccard_score([0, 1, 2, 1], [0, 2, 2, 1], average=None)
    array([1. , 0.5, 0.5])
    >>> jaccard_score([0, 1, 1, 0], [0, 1, 0, 0])
    0.5
    >>> jaccard_score([[0, 1, 1], [1, 1, 0]], [[1, 1, 1], [1, 0, 0]], average="samples")
    0.5833333333333333
    """
    name = "jaccard_score"
    _check_array_params(name, y_true=y_true, y_pred=y_pred, labels=labels, sample_weight=sample_weight)
    _check_param(name, "pos_label", pos_label,
                 pos_label is None or isinstance(pos_label, (numbers.Real, str, bool, np.bool_)),
                 "an instance of 'float', an instance of 'str', an instance of 'bool' or None")
    _check_param(name, "average", average,
                 average is None or (isinstance(average, str) and average in AVERAGES[1:] + ("binary",)),
                 "a str among {'binary', 'macro', 'micro', 'samples', 'weighted'} or None")
    _check_param(name, "zero_division", zero_division,
                 (isinstance(zero_division, str) and zero_division == "warn")
                 or (isinstance(zero_division, numbers.Real) and zero_division in {0, 1}),
                 "a float among {0, 1} or a str among {'warn'}")
    _check_sortable(y_true, y_pred)
    targets = _Targets(y_true, y_pred)
    if average == "binary":
        if targets.multilabel or np.count_nonzero(targets.present()) > 2:
            kind = "multilabel-indicator" if targets.multilabel else "multiclass"
            options = [a for a in AVERAGES if not (kind == "multiclass" and a == "samples")]
            raise ValueError(f"Target is {kind} but average='binary'. Please choose another average "
                             f"setting, one of {options!r}.")
        present = _present_values(targets, targets.present())
        if pos_label not in present and len(present) >= 2:
            raise ValueError(f"pos_label={pos_label} is not a valid label. It should be one of {present}")
        labels = [pos_label]  # type: ignore[assignment]
    elif pos_label not in (None, 1):
        warnings.warn(f"Note that pos_label (set to {pos_label!r}) is ignored when average != 'binary' "
                      f"(got {average!r}). You may use labels=[pos_label] to specify a single positive class.",
                      UserWarning, stacklevel=2)
    if sample_weight is not None:
        weighted = _Targets(y_true, y_pred, sample_weight)
        if not weighted.multilabel:
            weighted._encoded = targets._encoded
        targets = weighted
    counts = _multilabel_counts(targets, labels, average == "samples")
    numerator: Any = counts[:, 1, 1]
    denominator: Any = counts[:, 1, 1] + counts[:, 0, 1] + counts[:, 1, 0]
    if average == "micro":
        numerator, denominator = np.sum(numerator, keepdims=True), np.sum(denominator, keepdims=True)
    scores = _prf_divide(numerator, denominator, average, zero_division)
    if average is None:
        return cast(FloatArray, scores)
    weights = None
    if average == "weighted":
        weights = counts[:, 1, 0] + counts[:, 1, 1]
        if not np.any(weights):
            weights = None
    elif average == "samples" and sample_weight is not None:
        weights = targets.weights
    return float(_average(scores, weights))


def _prf_divide(numerator: Any, denominator: Any, average: Optional[str], zero_division: object) -> Any:
    mask = denominator == 0
    denominator = np.array(denominator, dtype=np.float64)
    denominator[mask] = 1
    result = np.asarray(numerator, dtype=np.float64) / denominator
    if not np.any(mask):
        return result
    result[mask] = _check_zero_division(zero_division)
    if isinstance(zero_division, str) and zero_division == "warn":
        axis0, axis1 = ("label", "sample") if average == "samples" else ("sample", "label")
        where = "due to" if result.shape[0] == 1 else f"in {axis1}s with"
        warnings.warn(f"Jaccard is ill-defined and being set to 0.0 {where} no true or predicted {axis0}s. "
                      "Use `zero_division` parameter to control this behavior.",
                      _undefined_metric_warning(), stacklevel=3)
    return result


def _average(scores: FloatArray, weights: Optional[ArrayLike]) -> Any:
    if weights is None:
        return np.mean(scores)
    weights = np.asarray(weights, dtype=np.float64)
    scale = np.sum(weights)
    if scale == 0.0:
        raise ZeroDivisionError("Weights sum to zero, can't be normalized")
    return np.sum(scores * weights) / scale
