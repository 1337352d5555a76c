"""``fastiou.ConfusionMatrix``: a streaming, thread-safe, mergeable confusion-matrix state."""

from __future__ import annotations

import copy
import math
import numbers
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import numpy as np
import numpy.typing as npt

from fastiou._shared._typing import CountArray, FloatArray, IgnoreIndex, Integer, OutOfRange
from fastiou._shared._validation import check_counts, check_num_classes, ignore_values
from fastiou.segmentation import metrics
from fastiou.segmentation._core import OUT_OF_RANGE_POLICIES, count_pairs
from fastiou.segmentation._inputs import check_threshold

STATE_FORMAT = "fastiou.ConfusionMatrix/1"


@dataclass(frozen=True)
class SegmentationMetrics:
    """What :meth:`ConfusionMatrix.compute` returns: per-class arrays and their summaries.

    Per-class arrays (float64, NaN where a ratio is 0 / 0) and ``support`` (ground-truth
    pixels per class); means leave NaN out. For a multilabel accumulator the "classes" are
    the labels (their positive class), and ``frequency_weighted_iou`` and ``cohen_kappa``
    are NaN.

    Attributes
    ----------
    iou, dice, precision, recall : ndarray of shape (C,), float64
        Per-class IoU, Dice (F1), precision and recall (class accuracy).
    support : ndarray of shape (C,)
        Ground-truth pixels per class (plus out-of-range predictions counted as misses);
        int64, or float64 for weighted counts.
    mean_iou, mean_dice, mean_accuracy : float
        Means of `iou`, `dice` and `recall` over the classes where they are not NaN.
    pixel_accuracy : float
        Correct pixels over counted pixels (mmseg ``aAcc``).
    frequency_weighted_iou, cohen_kappa : float
        See :func:`fastiou.metrics.frequency_weighted_iou` and
        :func:`fastiou.metrics.cohen_kappa`.

    Examples
    --------
    >>> import fastiou
    >>> cm = fastiou.ConfusionMatrix(2)
    >>> cm.update([0, 1, 1], [0, 1, 0])
    >>> cm.compute().as_dict()["iou"]
    [0.5, 0.5]
    """

    iou: FloatArray
    dice: FloatArray
    precision: FloatArray
    recall: FloatArray
    support: CountArray
    mean_iou: float
    mean_dice: float
    pixel_accuracy: float
    mean_accuracy: float
    frequency_weighted_iou: float
    cohen_kappa: float

    def as_dict(self) -> dict[str, Any]:
        """Plain Python values (lists and floats, NaN as None): ready for ``json.dumps``.

        Returns
        -------
        dict
            One entry per attribute, named as the attribute.

        Examples
        --------
        >>> import json, fastiou
        >>> cm = fastiou.ConfusionMatrix(3)
        >>> cm.update([0, 1, 1], [0, 1, 0])
        >>> result = cm.compute().as_dict()
        >>> result["iou"], result["support"]
        ([0.5, 0.5, None], [1, 2, 0])
        >>> len(json.dumps(result)) > 0
        True
        """
        def plain(value: object) -> object:
            if isinstance(value, np.ndarray):
                return [plain(v) for v in value.tolist()]
            if isinstance(value, float) and math.isnan(value):
                return None
            return value
        return {name: plain(getattr(self, name)) for name in self.__dataclass_fields__}


_Accumulator = TypeVar("_Accumulator", bound="MergeableState")


class MergeableState:
    """What fastiou's streaming accumulators share: a lock around exact counts, merging
    accumulators of the same configuration, ``+`` / ``sum``, copies and pickling.

    A subclass sets ``self._lock`` and its counts in ``__init__`` and says which attributes
    hold the counts (`_state_fields`), what must agree for a merge (:meth:`_config`), and how
    to add another accumulator's counts (:meth:`_absorb`, called with the lock held).
    """

    _state_fields: tuple[str, ...] = ()
    _lock: threading.Lock

    def _config(self) -> dict[str, object]:
        raise NotImplementedError

    def _absorb(self, counts: dict[str, Any]) -> None:
        raise NotImplementedError

    def _snapshot(self) -> dict[str, Any]:
        """Copies of the count attributes, taken under the lock."""
        with self._lock:
            return {name: copy.copy(getattr(self, name)) for name in self._state_fields}

    def _merge(self: _Accumulator, others: Sequence[object]) -> _Accumulator:
        mine = self._config()
        snapshots = []
        for position, other in enumerate(others):
            if not isinstance(other, type(self)):
                raise TypeError(f"`merge` takes {type(self).__name__} objects; argument {position} is "
                                f"a {type(other).__name__}")
            theirs = other._config()
            different = [key for key in mine if mine[key] != theirs[key]]
            if different:
                detail = ", ".join(f"`{k}` {mine[k]!r} vs {theirs[k]!r}" for k in different)
                raise ValueError(f"cannot merge accumulator {position}: its {detail} differ from this one's")
            snapshots.append(other._snapshot())
        with self._lock:
            for counts in snapshots:
                self._absorb(counts)
        return self

    def _copy(self: _Accumulator) -> _Accumulator:
        clone = type(self).__new__(type(self))
        clone.__setstate__(self.__getstate__())
        return clone

    def __add__(self: _Accumulator, other: object) -> _Accumulator:
        if not isinstance(other, type(self)):
            return NotImplemented
        return self._copy()._merge([other])

    def __radd__(self: _Accumulator, other: object) -> _Accumulator:
        if other == 0 and isinstance(other, numbers.Number):  # sum([...]) starts at 0
            return self._copy()
        return NotImplemented

    def __getstate__(self) -> dict[str, Any]:
        state = {k: v for k, v in self.__dict__.items() if k != "_lock" and k not in self._state_fields}
        state.update(self._snapshot())
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    __hash__ = None  # type: ignore[assignment]  # a mutable accumulator is unhashable


class ConfusionMatrix(MergeableState):
    """Accumulate a confusion matrix over many batches; derive every metric at the end.

    Parameters
    ----------
    num_classes : int
        Number of classes ``C`` (or of labels with `multilabel`).
    ignore_index, out_of_range, axis, threshold, multilabel, n_threads
        As in :func:`fastiou.confusion_matrix`, applied to every :meth:`update`. Under
        ``out_of_range="miss"`` the out-of-range predictions are kept (:attr:`miss`) and
        count as false negatives in :meth:`compute`.

    Notes
    -----
    :meth:`update` may be called from several Python threads at once: the counting runs
    without the lock (and without the GIL), only the final addition is locked, so no count
    is lost. States are exact int64 (float64 once a weighted update arrived) and merge
    exactly across workers (:meth:`merge`, ``+``, pickling, :meth:`to_dict`).

    Examples
    --------
    >>> import numpy as np, fastiou
    >>> cm = fastiou.ConfusionMatrix(3)
    >>> cm.update(np.array([0, 1, 2]), np.array([0, 1, 1]))
    >>> cm.update(np.array([2, 2]), np.array([2, 2]))
    >>> cm.matrix
    array([[1, 0, 0],
           [0, 1, 0],
           [0, 1, 2]])
    >>> round(cm.compute().mean_iou, 4)
    0.7222
    """

    def __init__(self, num_classes: Integer, *, ignore_index: IgnoreIndex = None,
                 out_of_range: OutOfRange = "raise", axis: int | None = None,
                 threshold: float | None = None, multilabel: bool = False,
                 n_threads: int | None = None) -> None:
        self.num_classes = check_num_classes(num_classes)
        self.ignore_index = tuple(int(v) for v in ignore_values(ignore_index, np.int64))
        if out_of_range not in OUT_OF_RANGE_POLICIES:
            raise ValueError(f"`out_of_range` must be one of {', '.join(map(repr, OUT_OF_RANGE_POLICIES))}, "
                             f"got {out_of_range!r}")
        if axis is not None and (isinstance(axis, bool) or not isinstance(axis, numbers.Integral)):
            raise TypeError(f"`axis` must be None or an int, got {type(axis).__name__} {axis!r}")
        if not isinstance(multilabel, (bool, np.bool_)):
            raise TypeError(f"`multilabel` must be a bool, got {type(multilabel).__name__}")
        self.out_of_range = out_of_range
        self.axis = None if axis is None else int(axis)
        self.threshold = None if threshold is None else check_threshold(threshold)
        self.multilabel = bool(multilabel)
        self.n_threads = n_threads
        self._lock = threading.Lock()
        self.reset()

    # ----------------------------------------------------------------- state
    def _shape(self) -> tuple[int, ...]:
        return (self.num_classes, 2, 2) if self.multilabel else (self.num_classes, self.num_classes)

    def reset(self) -> None:
        """Forget every count (the configuration stays).

        Examples
        --------
        >>> import fastiou
        >>> cm = fastiou.ConfusionMatrix(2)
        >>> cm.update([0, 1], [0, 0])
        >>> cm.reset()
        >>> cm.matrix
        array([[0, 0],
               [0, 0]])
        """
        with self._lock:
            # int64 counts, float64 once a weighted update or float counts arrived
            self._matrix: npt.NDArray[Any] = np.zeros(self._shape(), dtype=np.int64)
            self._miss: npt.NDArray[Any] = np.zeros(self._shape()[:-1], dtype=np.int64)
            self._bad = [0, 0]

    @property
    def matrix(self) -> CountArray:
        """A copy of the counts: ``(C, C)`` (rows truth) or ``(L, 2, 2)``; int64, or float64
        after a weighted update."""
        with self._lock:
            return self._matrix.copy()

    @property
    def miss(self) -> CountArray:
        """Out-of-range predictions per true class (counted, not in :attr:`matrix`)."""
        with self._lock:
            return self._miss.copy()

    @property
    def n_out_of_range(self) -> tuple[int, int]:
        """``(n_bad_true, n_bad_pred)``: pairs left out for an out-of-range label so far."""
        with self._lock:
            return self._bad[0], self._bad[1]

    def _add(self, matrix: CountArray, miss: CountArray, n_bad_true: int, n_bad_pred: int) -> None:
        # caller holds the lock
        if matrix.dtype != self._matrix.dtype:
            self._matrix = self._matrix.astype(np.float64)
            self._miss = self._miss.astype(np.float64)
        self._matrix += matrix
        self._miss += miss
        self._bad[0] += n_bad_true
        self._bad[1] += n_bad_pred

    def _checked_counts(self, matrix: npt.ArrayLike, miss: npt.ArrayLike | None, matrix_name: str,
                        miss_name: str) -> tuple[CountArray, CountArray]:
        """`matrix` and `miss` (zeros when None) as counts of this accumulator's shapes: both
        int64, or both float64 when either holds floats."""
        shape = self._shape()
        matrix = check_counts(matrix, matrix_name)
        miss = np.zeros(shape[:-1], dtype=np.int64) if miss is None else check_counts(miss, miss_name)
        if matrix.shape != shape or miss.shape != shape[:-1]:
            raise ValueError(f"`{matrix_name}` and `{miss_name}` must have shapes {shape} and "
                             f"{shape[:-1]}, got {matrix.shape} and {miss.shape}")
        if matrix.dtype.kind == "f" or miss.dtype.kind == "f":
            return matrix.astype(np.float64), miss.astype(np.float64)
        int64_max = np.iinfo(np.int64).max
        for name, counts in ((matrix_name, matrix), (miss_name, miss)):
            if counts.dtype == np.uint64 and counts.size and counts.max() > int64_max:
                raise ValueError(f"`{name}` holds a count above the int64 range ({counts.max()})")
        return matrix.astype(np.int64), miss.astype(np.int64)

    def add_counts(self, matrix: npt.ArrayLike, miss: npt.ArrayLike | None = None, n_bad_true: Integer = 0,
                   n_bad_pred: Integer = 0) -> ConfusionMatrix:
        """Add counts made elsewhere (a worker, another process, a saved run); returns self.

        The counts must come from the same configuration (`ignore_index`, `out_of_range`);
        they are checked for shape and sign, not for how they were made.

        Parameters
        ----------
        matrix : array_like of shape (C, C), or (L, 2, 2) for a multilabel accumulator
            Non-negative counts, e.g. from :func:`fastiou.confusion_matrix`. A float array
            turns the accumulator's counts into float64, as a weighted update does.
        miss : array_like of shape (C,) or (L, 2), optional
            Out-of-range predictions per true class (default none).
        n_bad_true, n_bad_pred : int, optional
            Pairs left out for an out-of-range truth / prediction.

        Returns
        -------
        ConfusionMatrix
            This accumulator.

        Examples
        --------
        >>> import fastiou
        >>> cm = fastiou.ConfusionMatrix(2)
        >>> cm.add_counts(fastiou.confusion_matrix([0, 1, 1], [0, 1, 0], 2)).matrix
        array([[1, 0],
               [1, 1]])
        """
        matrix, miss = self._checked_counts(matrix, miss, "matrix", "miss")
        bad: list[int] = []
        for name, value in (("n_bad_true", n_bad_true), ("n_bad_pred", n_bad_pred)):
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < 0:
                raise ValueError(f"`{name}` must be a non-negative int, got {value!r}")
            bad.append(int(value))
        with self._lock:
            self._add(matrix, miss, *bad)
        return self

    def update(self, y_true: npt.ArrayLike, y_pred: npt.ArrayLike,
               sample_weight: npt.ArrayLike | None = None) -> None:
        """Count one batch (same inputs as :func:`fastiou.confusion_matrix`) into the state.

        Parameters
        ----------
        y_true, y_pred : array_like
            Labels, scores, probabilities or one-hot truth, read with the options the
            accumulator was made with.
        sample_weight : array_like of float, optional
            As in :func:`fastiou.confusion_matrix`; the counts become float64 from then on.

        Examples
        --------
        >>> import fastiou
        >>> cm = fastiou.ConfusionMatrix(2)
        >>> cm.update([0, 1, 1], [0, 1, 0], sample_weight=[1.0, 0.5, 0.25])
        >>> cm.matrix
        array([[1.  , 0.  ],
               [0.25, 0.5 ]])
        """
        counts = count_pairs(y_true, y_pred, self.num_classes, ignore_index=self.ignore_index or None,
                             sample_weight=sample_weight, n_threads=self.n_threads,
                             out_of_range=self.out_of_range, axis=self.axis,
                             threshold=self.threshold, multilabel=self.multilabel)
        with self._lock:
            if self.out_of_range == "raise" and counts.matrix.dtype == self._matrix.dtype:
                self._matrix += counts.matrix  # nothing was out of range: miss and bad are 0
            else:
                self._add(counts.matrix, counts.miss, counts.n_bad_true, counts.n_bad_pred)

    # ----------------------------------------------------------------- merging
    def _config(self) -> dict[str, object]:
        return {"num_classes": self.num_classes, "ignore_index": self.ignore_index,
                "out_of_range": self.out_of_range, "multilabel": self.multilabel}

    _state_fields = ("_matrix", "_miss", "_bad")

    def _absorb(self, counts: dict[str, Any]) -> None:
        self._add(counts["_matrix"], counts["_miss"], *counts["_bad"])

    def merge(self, *others: ConfusionMatrix) -> ConfusionMatrix:
        """Add the counts of other accumulators (same `num_classes`, `ignore_index`,
        `out_of_range`, `multilabel`) to this one, exactly; returns self.

        Parameters
        ----------
        *others : ConfusionMatrix
            Accumulators of the same configuration (a different one raises ``ValueError``).

        Returns
        -------
        ConfusionMatrix
            This accumulator.

        Examples
        --------
        >>> import fastiou
        >>> a, b = fastiou.ConfusionMatrix(2), fastiou.ConfusionMatrix(2)
        >>> a.update([0, 1], [0, 1]); b.update([1], [0])
        >>> a.merge(b).matrix
        array([[1, 0],
               [1, 1]])
        """
        return self._merge(others)

    def copy(self) -> ConfusionMatrix:
        """An independent accumulator with the same configuration and counts.

        Returns
        -------
        ConfusionMatrix

        Examples
        --------
        >>> import fastiou
        >>> cm = fastiou.ConfusionMatrix(2)
        >>> cm.update([0, 1], [0, 1])
        >>> clone = cm.copy()
        >>> clone.update([1], [0])
        >>> int(cm.matrix.sum()), int(clone.matrix.sum())
        (2, 3)
        """
        return self._copy()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ConfusionMatrix):
            return NotImplemented
        return (self._config() == other._config() and np.array_equal(self.matrix, other.matrix)
                and np.array_equal(self.miss, other.miss)
                and self.n_out_of_range == other.n_out_of_range)

    def __repr__(self) -> str:
        counted = self.matrix.sum()
        return (f"ConfusionMatrix(num_classes={self.num_classes}, ignore_index={list(self.ignore_index)}, "
                f"out_of_range={self.out_of_range!r}, multilabel={self.multilabel}, counted={counted})")

    # ----------------------------------------------------------------- JSON
    def to_dict(self) -> dict[str, Any]:
        """The configuration and counts as plain Python values (ints stay exact ints).

        Returns
        -------
        dict
            ``format``, the constructor arguments, ``matrix``, ``miss``, ``n_bad_true`` and
            ``n_bad_pred``: what :meth:`from_dict` reads back.

        Examples
        --------
        >>> import json, fastiou
        >>> cm = fastiou.ConfusionMatrix(2)
        >>> cm.update([0, 1], [1, 1])
        >>> fastiou.ConfusionMatrix.from_dict(json.loads(json.dumps(cm.to_dict()))) == cm
        True
        """
        snapshot = self._snapshot()
        matrix, miss, bad = snapshot["_matrix"], snapshot["_miss"], snapshot["_bad"]
        return {"format": STATE_FORMAT, "num_classes": self.num_classes,
                "ignore_index": list(self.ignore_index), "out_of_range": self.out_of_range,
                "axis": self.axis, "threshold": self.threshold, "multilabel": self.multilabel,
                "matrix": matrix.tolist(), "miss": miss.tolist(), "n_bad_true": bad[0],
                "n_bad_pred": bad[1]}

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> ConfusionMatrix:
        """Rebuild an accumulator from :meth:`to_dict` output (checked).

        Parameters
        ----------
        state : dict
            What :meth:`to_dict` returned (e.g. after a JSON round trip).

        Returns
        -------
        ConfusionMatrix

        Raises
        ------
        ValueError
            A dict of another format, a missing key, or counts of the wrong shape or sign.

        Examples
        --------
        >>> import fastiou
        >>> state = fastiou.ConfusionMatrix(2).to_dict()
        >>> fastiou.ConfusionMatrix.from_dict(state)
        ConfusionMatrix(num_classes=2, ignore_index=[], out_of_range='raise', multilabel=False, counted=0)
        """
        if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
            raise ValueError(f"`state` must be a dict from ConfusionMatrix.to_dict() with "
                             f"format {STATE_FORMAT!r}")
        missing = {"num_classes", "ignore_index", "out_of_range", "axis", "threshold", "multilabel",
                   "matrix", "miss", "n_bad_true", "n_bad_pred"} - set(state)
        if missing:
            raise ValueError(f"`state` lacks {sorted(missing)}")
        accumulator = cls(state["num_classes"], ignore_index=state["ignore_index"],
                          out_of_range=state["out_of_range"], axis=state["axis"],
                          threshold=state["threshold"], multilabel=state["multilabel"])
        matrix, miss = accumulator._checked_counts(state["matrix"], state["miss"],
                                                   "state['matrix']", "state['miss']")
        accumulator._matrix, accumulator._miss = matrix, miss
        accumulator._bad = [int(state["n_bad_true"]), int(state["n_bad_pred"])]
        return accumulator

    # ----------------------------------------------------------------- metrics
    def compute(self, *, zero_division: float = np.nan) -> SegmentationMetrics:
        """Every metric from the counts so far (see :class:`SegmentationMetrics`).

        Parameters
        ----------
        zero_division : float
            Value of a per-class ratio whose denominator is 0 (NaN by default: left out of
            the means).

        Returns
        -------
        SegmentationMetrics

        Examples
        --------
        >>> import fastiou
        >>> cm = fastiou.ConfusionMatrix(2)
        >>> cm.update([0, 0, 1, 1], [0, 1, 1, 1])
        >>> result = cm.compute()
        >>> result.iou
        array([0.5       , 0.66666667])
        >>> result.pixel_accuracy
        0.75
        """
        snapshot = self._snapshot()
        matrix, miss = snapshot["_matrix"], snapshot["_miss"]
        if self.out_of_range != "miss":
            miss = np.zeros_like(miss)
        shared: dict[str, Any] = dict(miss=miss, multilabel=self.multilabel, zero_division=zero_division)
        per_class = {name: function(matrix, average="none", **shared)
                     for name, function in (("iou", metrics.iou), ("dice", metrics.dice),
                                            ("precision", metrics.precision), ("recall", metrics.recall))}
        extra: dict[str, Any]
        if self.multilabel:
            extra = {"frequency_weighted_iou": math.nan, "cohen_kappa": math.nan}
        else:
            extra = {"frequency_weighted_iou": metrics.frequency_weighted_iou(matrix, miss=miss),
                     "cohen_kappa": metrics.cohen_kappa(matrix, miss=miss, zero_division=zero_division)}
        return SegmentationMetrics(
            **per_class,
            support=metrics.support(matrix, miss=miss, multilabel=self.multilabel),
            mean_iou=metrics.nan_mean(per_class["iou"]).item(),
            mean_dice=metrics.nan_mean(per_class["dice"]).item(),
            pixel_accuracy=float(metrics.pixel_accuracy(matrix, **shared)),
            mean_accuracy=metrics.nan_mean(per_class["recall"]).item(),
            **extra)

    def report(self, *, format: Literal["text", "markdown"] = "text",
               class_names: Sequence[object] | None = None, digits: int = 4,
               zero_division: float = np.nan) -> str:
        """A per-class table (IoU, Dice, precision, recall, support) and the summaries.

        Parameters
        ----------
        format : {"text", "markdown"}
            A plain-text table, or a Markdown one.
        class_names : sequence of str, optional
            One name per class (default: the class indices).
        digits : int
            Decimals of the printed values.
        zero_division : float
            As in :meth:`compute`.

        Returns
        -------
        str

        Examples
        --------
        >>> import fastiou
        >>> cm = fastiou.ConfusionMatrix(2)
        >>> cm.update([0, 0, 1, 1], [0, 1, 1, 1])
        >>> print(cm.report(format="markdown", class_names=["road", "car"]))
        | class | IoU | Dice | precision | recall | support |
        |---|---|---|---|---|---|
        | road | 0.5000 | 0.6667 | 1.0000 | 0.5000 | 2 |
        | car | 0.6667 | 0.8000 | 0.6667 | 1.0000 | 2 |
        | **mean** | 0.5833 | 0.7333 | 0.8333 | 0.7500 | 4 |
        <BLANKLINE>
        pixel accuracy 0.7500, frequency-weighted IoU 0.5833, Cohen's kappa 0.5000
        """
        if format not in ("text", "markdown"):
            raise ValueError(f"`format` must be 'text' or 'markdown', got {format!r}")
        if isinstance(digits, bool) or not isinstance(digits, numbers.Integral) or digits < 0:
            raise ValueError(f"`digits` must be a non-negative int, got {digits!r}")
        names = [str(c) for c in range(self.num_classes)] if class_names is None else [str(n) for n in class_names]
        if len(names) != self.num_classes:
            raise ValueError(f"`class_names` has {len(names)} names for {self.num_classes} classes")
        result = self.compute(zero_division=zero_division)

        def number(value: float) -> str:
            return "nan" if np.isnan(value) else f"{value:.{digits}f}"

        def count(value: object) -> str:
            return f"{value:g}" if isinstance(value, float) else str(value)

        header = ["class", "IoU", "Dice", "precision", "recall", "support"]
        rows = [[names[c], number(result.iou[c]), number(result.dice[c]), number(result.precision[c]),
                 number(result.recall[c]), count(result.support[c].item())] for c in range(self.num_classes)]
        means = [number(result.mean_iou), number(result.mean_dice),
                 number(metrics.nan_mean(result.precision).item()), number(result.mean_accuracy),
                 count(result.support.sum().item())]
        summary = (f"pixel accuracy {number(result.pixel_accuracy)}, frequency-weighted IoU "
                   f"{number(result.frequency_weighted_iou)}, Cohen's kappa {number(result.cohen_kappa)}")
        if format == "markdown":
            lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
            lines += ["| " + " | ".join(row) + " |" for row in rows]
            lines.append("| **mean** | " + " | ".join(means) + " |")
            return "\n".join(lines) + "\n\n" + summary
        table = [header] + rows + [["mean"] + means]
        widths = [max(len(row[i]) for row in table) for i in range(len(header))]
        lines = ["  ".join(cell.rjust(w) if i else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths)))
                 for row in table]
        lines.insert(1, "-" * len(lines[0]))
        lines.insert(len(lines) - 1, "-" * len(lines[0]))
        return "\n".join(lines) + "\n" + summary
