"""``torchmetrics.functional.classification``'s Jaccard index and confusion matrices."""

import warnings
from typing import Any, Union

import numpy as np
import numpy.typing as npt

from fastiou.compat.torchmetrics._counting import (
    ALLOWED_NORMALIZE,
    as_input,
    binary_counts,
    check_binary_args,
    check_multiclass_args,
    check_multilabel_args,
    multiclass_counts,
    multilabel_counts,
)
from fastiou.compat.torchmetrics._numerics import count_magnitude, count_sums, safe_divide, sum_all, sum_counts

REDUCE_AVERAGES = ["binary", "micro", "macro", "weighted", "none", None]
JACCARD_AVERAGES = ("micro", "macro", "weighted", "none", None)
TASKS = ("BINARY", "MULTICLASS", "MULTILABEL")


class AttributeTypeError(TypeError, AttributeError):
    """A `task` that is not a string: torchmetrics raises an ``AttributeError`` (it calls
    ``task.replace``); this is also a ``TypeError``."""


# --------------------------------------------------------------------------- reductions

# a Jaccard index: a float32 scalar, or float32 per class with average=None/"none"
JaccardResult = Union[np.float32, npt.NDArray[np.float32]]

def jaccard_reduce(confmat, average, ignore_index=None, zero_division=0.0):
    """torchmetrics' ``_jaccard_index_reduce`` in float32, summed in torch's order."""
    if average not in REDUCE_AVERAGES:
        raise ValueError(f"The `average` has to be one of {REDUCE_AVERAGES}, got {average}.")
    counts = np.asarray(confmat)
    values = counts.astype(np.float32)
    if average == "binary":
        return safe_divide(values[1, 1], values[0, 1] + values[1, 0] + values[1, 1], zero_division)
    drop = ignore_index is not None and 0 <= ignore_index < values.shape[0]
    multilabel = values.ndim == 3
    magnitude = count_magnitude(counts)
    if multilabel:
        numerator = values[:, 1, 1]
        denominator = values[:, 1, 1] + values[:, 0, 1] + values[:, 1, 0]
    else:
        numerator = np.diagonal(values).copy()
        predicted, support = count_sums(counts, 0, magnitude), count_sums(counts, 1, magnitude)
        denominator = predicted + support - numerator
    if average == "micro":
        numerator = sum_counts(numerator, magnitude)
        removed = denominator[ignore_index] if drop else np.float32(0.0)
        denominator = sum_counts(denominator, magnitude, 2) - removed
    jaccard = safe_divide(numerator, denominator, zero_division)
    if average is None or average == "none" or average == "micro":
        return jaccard
    if average == "weighted":
        weights = values[:, 1, 1] + values[:, 1, 0] if multilabel else support
    else:
        weights = np.ones_like(jaccard, dtype=np.float32)
        if drop:
            weights[ignore_index] = 0.0
        if not multilabel:
            weights[support + predicted == 0] = 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        # macro weights are 0/1: their sum is exact whatever the counts
        total_weight = sum_counts(weights, 0 if average == "macro" else magnitude)
        return sum_all((weights * jaccard) / total_weight)


def confusion_matrix_reduce(confmat, normalize):
    """torchmetrics' ``_confusion_matrix_reduce``: float32 normalisation, NaN (0 / 0) set to 0
    with torchmetrics' warning."""
    if normalize not in ALLOWED_NORMALIZE:
        raise ValueError(f"Argument `normalize` needs to one of the following: {ALLOWED_NORMALIZE}")
    if normalize is None or normalize == "none":
        return confmat
    counts = np.asarray(confmat)
    values = counts if counts.dtype.kind == "f" else counts.astype(np.float32)
    if normalize == "true":
        totals = np.expand_dims(count_sums(counts, -1), -1)
    elif normalize == "pred":
        totals = np.expand_dims(count_sums(counts, -2), -2)
    else:
        totals = np.asarray(count_sums(counts, (-2, -1)))[..., None, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        values = (values / totals).astype(values.dtype)
    nan = np.isnan(values)
    n_nan = int(nan.sum())
    if n_nan:
        values[nan] = 0
        warnings.warn(f"{n_nan} NaN values found in confusion matrix have been replaced with zeros.",
                      UserWarning, stacklevel=3)
    return values


def check_jaccard_average(average):
    if average not in JACCARD_AVERAGES:
        raise ValueError(f"Expected argument `average` to be one of {JACCARD_AVERAGES}, but got {average}.")


def parse_task(task):
    """torchmetrics' ``ClassificationTask.from_str``: case-insensitive, '-' read as '_'."""
    if not isinstance(task, str):
        raise AttributeTypeError(f"'{type(task).__name__}' object has no attribute 'replace'")
    key = task.replace("-", "_").lower()
    for name in TASKS:
        if name.lower() == key:
            return name.lower()
    raise ValueError(f"Invalid Classification: expected one of {list(TASKS)}, but got {task}.")


def check_task_size(value, name):
    if not isinstance(value, int):
        raise ValueError(f"`{name}` is expected to be `int` but `{type(value)} was passed.`")


# --------------------------------------------------------------------------- confusion matrices

def binary_confusion_matrix(preds: Any, target: Any, threshold: float = 0.5, normalize: str | None = None,
                            ignore_index: int | None = None, validate_args: bool = True) -> npt.NDArray[Any]:
    """``torchmetrics.functional.classification.binary_confusion_matrix``.

    Parameters
    ----------
    preds : array_like or torch.Tensor
        ``(N, ...)`` 0/1 labels, or floats: probabilities, or logits (some value outside
        [0, 1] or NaN among the kept entries) that go through a sigmoid first; positive
        where ``> threshold`` (compared in the dtype of `preds`).
    target : array_like or torch.Tensor
        ``(N, ...)`` 0/1 labels.
    threshold : float
        In [0, 1] (a Python float when `validate_args`).
    normalize : {"true", "pred", "all", "none"} or None
        Divide by the row sums (truth), column sums (prediction) or the total, in float32;
        0 / 0 becomes 0 with torchmetrics' warning.
    ignore_index : int, optional
        Target value whose entries are dropped.
    validate_args : bool
        Check the arguments and the values as torchmetrics does (raising the same exception
        types); False skips the checks as torchmetrics does.

    Returns
    -------
    ndarray of shape (2, 2)
        int64 counts ``[[tn, fp], [fn, tp]]``, float32 when normalised.

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.compat.torchmetrics import binary_confusion_matrix
    >>> binary_confusion_matrix(np.array([0.35, 0.85, 0.48, 0.01]), np.array([1, 1, 0, 0]))
    array([[2, 0],
           [1, 1]])
    """
    if validate_args:
        check_binary_args(threshold, ignore_index, normalize)
    counts = binary_counts(as_input(preds, "preds"), as_input(target, "target"), threshold, ignore_index,
                           validate_args)
    return confusion_matrix_reduce(counts, normalize)


def multiclass_confusion_matrix(preds: Any, target: Any, num_classes: int, normalize: str | None = None,
                                ignore_index: int | None = None, validate_args: bool = True) -> npt.NDArray[Any]:
    """``torchmetrics.functional.classification.multiclass_confusion_matrix``.

    Parameters
    ----------
    preds : array_like or torch.Tensor
        ``(N, ...)`` integer labels, or float scores ``(N, C, ...)`` (argmax over dim 1,
        fused into fastiou's counting pass).
    target : array_like or torch.Tensor
        ``(N, ...)`` integer labels.
    num_classes : int
    normalize : {"true", "pred", "all", "none"} or None
        As in :func:`binary_confusion_matrix`.
    ignore_index : int, optional
        Target value whose entries are dropped (inside or outside ``[0, C)``).
    validate_args : bool
        As in :func:`binary_confusion_matrix`. With False, a label outside the classes is
        counted where torchmetrics' ``target * C + preds`` puts it (or raises as torch does).

    Returns
    -------
    ndarray of shape (C, C)
        int64 counts (rows target), float32 when normalised.

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.compat.torchmetrics import multiclass_confusion_matrix
    >>> multiclass_confusion_matrix(np.array([2, 1, 0, 1]), np.array([2, 1, 0, 0]), num_classes=3)
    array([[1, 1, 0],
           [0, 1, 0],
           [0, 0, 1]])
    """
    if validate_args:
        check_multiclass_args(num_classes, ignore_index, normalize)
    counts = multiclass_counts(as_input(preds, "preds"), as_input(target, "target"), num_classes, ignore_index,
                               validate_args)
    return confusion_matrix_reduce(counts, normalize)


def multilabel_confusion_matrix(preds: Any, target: Any, num_labels: int, threshold: float = 0.5,
                                normalize: str | None = None, ignore_index: int | None = None,
                                validate_args: bool = True) -> npt.NDArray[Any]:
    """``torchmetrics.functional.classification.multilabel_confusion_matrix``.

    Parameters
    ----------
    preds : array_like or torch.Tensor
        ``(N, L, ...)`` 0/1 labels or floats (probabilities, or logits when some value of
        the whole tensor, ignored entries included, is outside [0, 1] or NaN).
    target : array_like or torch.Tensor
        ``(N, L, ...)`` 0/1 labels.
    num_labels : int
    threshold : float
    normalize : {"true", "pred", "all", "none"} or None
    ignore_index : int, optional
        Target value whose entries are dropped.
    validate_args : bool

    Returns
    -------
    ndarray of shape (L, 2, 2)
        int64 counts ``[[tn, fp], [fn, tp]]`` per label, float32 when normalised.

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.compat.torchmetrics import multilabel_confusion_matrix
    >>> multilabel_confusion_matrix(np.array([[0, 0, 1], [1, 0, 1]]), np.array([[0, 1, 0], [1, 0, 1]]), 3)
    array([[[1, 0],
            [0, 1]],
    <BLANKLINE>
           [[1, 0],
            [1, 0]],
    <BLANKLINE>
           [[0, 1],
            [0, 1]]])
    """
    if validate_args:
        check_multilabel_args(num_labels, threshold, ignore_index, normalize)
    counts = multilabel_counts(as_input(preds, "preds"), as_input(target, "target"), num_labels, threshold,
                               ignore_index, validate_args)
    return confusion_matrix_reduce(counts, normalize)


def confusion_matrix(preds: Any, target: Any, task: str, threshold: float = 0.5, num_classes: int | None = None,
                     num_labels: int | None = None, normalize: str | None = None,
                     ignore_index: int | None = None, validate_args: bool = True) -> npt.NDArray[Any]:
    """``torchmetrics.functional.classification.confusion_matrix``: the binary, multiclass or
    multilabel function chosen by `task`.

    Parameters
    ----------
    preds, target : array_like or torch.Tensor
    task : {"binary", "multiclass", "multilabel"}
        Case-insensitive.
    threshold : float
        Binary and multilabel.
    num_classes : int
        Multiclass (required there).
    num_labels : int
        Multilabel (required there).
    normalize, ignore_index, validate_args
        As in :func:`binary_confusion_matrix`.

    Returns
    -------
    ndarray
        As the chosen function.

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.compat.torchmetrics import confusion_matrix
    >>> confusion_matrix(np.array([0, 1, 1]), np.array([0, 1, 0]), task="multiclass", num_classes=2)
    array([[1, 1],
           [0, 1]])
    """
    task = parse_task(task)
    if task == "binary":
        return binary_confusion_matrix(preds, target, threshold, normalize, ignore_index, validate_args)
    if task == "multiclass":
        check_task_size(num_classes, "num_classes")
        return multiclass_confusion_matrix(preds, target, num_classes, normalize, ignore_index, validate_args)
    check_task_size(num_labels, "num_labels")
    return multilabel_confusion_matrix(preds, target, num_labels, threshold, normalize, ignore_index,
                                       validate_args)


# --------------------------------------------------------------------------- Jaccard index

def binary_jaccard_index(preds: Any, target: Any, threshold: float = 0.5, ignore_index: int | None = None,
                         validate_args: bool = True, zero_division: float = 0.0) -> JaccardResult:
    """``torchmetrics.functional.classification.binary_jaccard_index``.

    Parameters
    ----------
    preds, target, threshold, ignore_index, validate_args
        As in :func:`binary_confusion_matrix`.
    zero_division : float or str
        The value when there is no positive in target nor prediction: a Python number
        (rounded to float32), ``"warn"`` (0 with a warning); anything else (``"nan"``,
        None, NumPy scalars that are not Python floats) gives NaN, as in torchmetrics.

    Returns
    -------
    numpy.float32

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.compat.torchmetrics import binary_jaccard_index
    >>> preds, target = np.array([0.35, 0.85, 0.48, 0.01]), np.array([1, 1, 0, 0])
    >>> print(binary_jaccard_index(preds, target))  # a numpy.float32
    0.5
    """
    if validate_args:
        check_binary_args(threshold, ignore_index)
    counts = binary_counts(as_input(preds, "preds"), as_input(target, "target"), threshold, ignore_index,
                           validate_args)
    return jaccard_reduce(counts, "binary", zero_division=zero_division)


def multiclass_jaccard_index(preds: Any, target: Any, num_classes: int, average: str | None = "macro",
                             ignore_index: int | None = None, validate_args: bool = True,
                             zero_division: float = 0.0) -> JaccardResult:
    """``torchmetrics.functional.classification.multiclass_jaccard_index``.

    Parameters
    ----------
    preds, target, num_classes, ignore_index, validate_args
        As in :func:`multiclass_confusion_matrix`.
    average : {"micro", "macro", "weighted", "none"} or None
        ``"macro"``: mean over the classes present in target or prediction, without an
        `ignore_index` inside ``[0, C)``; ``"micro"``: ratio of the summed counts, without
        that class's union; ``"weighted"``: weighted by support; ``"none"``/None: per class.
    zero_division : float or str
        Per-class value of 0 / 0 (see :func:`binary_jaccard_index`); NaN propagates into
        macro and weighted averages, as in torchmetrics.

    Returns
    -------
    numpy.float32, or float32 ndarray of shape (C,) for ``"none"``/None

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.compat.torchmetrics import multiclass_jaccard_index
    >>> preds, target = np.array([2, 1, 0, 1]), np.array([2, 1, 0, 0])
    >>> print(multiclass_jaccard_index(preds, target, num_classes=3))  # a numpy.float32
    0.6666667
    """
    if validate_args:
        check_multiclass_args(num_classes, ignore_index)
        check_jaccard_average(average)
    counts = multiclass_counts(as_input(preds, "preds"), as_input(target, "target"), num_classes, ignore_index,
                               validate_args)
    return jaccard_reduce(counts, average, ignore_index=ignore_index, zero_division=zero_division)


def multilabel_jaccard_index(preds: Any, target: Any, num_labels: int, threshold: float = 0.5,
                             average: str | None = "macro", ignore_index: int | None = None,
                             validate_args: bool = True, zero_division: float = 0.0) -> JaccardResult:
    """``torchmetrics.functional.classification.multilabel_jaccard_index``.

    Parameters
    ----------
    preds, target, num_labels, threshold, ignore_index, validate_args
        As in :func:`multilabel_confusion_matrix`.
    average : {"micro", "macro", "weighted", "none"} or None
        Over labels. As in torchmetrics, label number `ignore_index` (when it lies in
        ``[0, L)``) is left out of ``"macro"`` and its union out of ``"micro"``, and
        `validate_args` does not check `average` (an unknown one raises in the reduction;
        ``"binary"`` reads label 1's counts).
    zero_division : float or str
        As in :func:`binary_jaccard_index`; a label with 0 / 0 counts in the macro mean.

    Returns
    -------
    numpy.float32, or float32 ndarray of shape (L,) for ``"none"``/None

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.compat.torchmetrics import multilabel_jaccard_index
    >>> preds, target = np.array([[0, 0, 1], [1, 0, 1]]), np.array([[0, 1, 0], [1, 0, 1]])
    >>> print(multilabel_jaccard_index(preds, target, num_labels=3))  # a numpy.float32
    0.5
    """
    if validate_args:
        check_multilabel_args(num_labels, threshold, ignore_index)
    counts = multilabel_counts(as_input(preds, "preds"), as_input(target, "target"), num_labels, threshold,
                               ignore_index, validate_args)
    return jaccard_reduce(counts, average, ignore_index=ignore_index, zero_division=zero_division)


def jaccard_index(preds: Any, target: Any, task: str, threshold: float = 0.5, num_classes: int | None = None,
                  num_labels: int | None = None, average: str | None = "macro",
                  ignore_index: int | None = None, validate_args: bool = True,
                  zero_division: float = 0.0) -> JaccardResult:
    """``torchmetrics.functional.classification.jaccard_index``: the binary, multiclass or
    multilabel function chosen by `task`.

    Parameters
    ----------
    preds, target : array_like or torch.Tensor
    task : {"binary", "multiclass", "multilabel"}
        Case-insensitive.
    threshold : float
        Binary and multilabel.
    num_classes : int
        Multiclass (required there).
    num_labels : int
        Multilabel (required there).
    average, ignore_index, validate_args, zero_division
        As in the chosen function (`average` is not used for binary).

    Returns
    -------
    numpy.float32 or float32 ndarray

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.compat.torchmetrics import jaccard_index
    >>> preds, target = np.array([0, 1, 1]), np.array([0, 1, 0])
    >>> print(jaccard_index(preds, target, task="multiclass", num_classes=2))  # a numpy.float32
    0.5
    """
    task = parse_task(task)
    if task == "binary":
        return binary_jaccard_index(preds, target, threshold, ignore_index, validate_args, zero_division)
    if task == "multiclass":
        check_task_size(num_classes, "num_classes")
        return multiclass_jaccard_index(preds, target, num_classes, average, ignore_index, validate_args,
                                        zero_division)
    check_task_size(num_labels, "num_labels")
    return multilabel_jaccard_index(preds, target, num_labels, threshold, average, ignore_index, validate_args,
                                    zero_division)
