"""Keras 3's IoU metrics (``keras.metrics.IoU``, ``MeanIoU``, ``BinaryIoU``, ``OneHotIoU``,
``OneHotMeanIoU``) as NumPy objects counted by fastiou.

Same constructor arguments, the ``update_state`` / ``result`` / ``reset_state`` methods and
the same numbers, plus ``merge_state`` (tf.keras 2 had it; Keras 3 dropped it). Inputs are
NumPy arrays or CPU tensors; ``result()`` returns a Python float.

As Keras 3: sparse inputs are cast to integers, dense ones are argmaxed over `axis`
(fused into fastiou's counting pass for `y_pred`), pairs whose truth is `ignore_class`
and pairs with a label outside ``[0, num_classes)`` are dropped, and the result is the mean
IoU over the target classes whose denominator is not 0 (0.0 when there is none).

Where it deliberately differs
-----------------------------
- Float `sample_weight` is accumulated in float64 and never truncated: Keras 3's default
  ``dtype="int"`` state truncates fractional weights to 0 (it warns), Keras 2's float32
  state stops being exact above 2**24. `dtype` is accepted and ignored.
- The result is exact: Keras divides by ``denominator + 1e-7`` (in float32), so its IoU of a
  perfect class is 0.9999999 rather than 1.0.
- `axis` other than -1 works: Keras 3 also sums the per-class IoU vector over `axis` in
  ``result()``, which raises an IndexError for ``axis=1``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from fastiou._shared._typing import CountArray
from fastiou._shared._validation import check_num_classes
from fastiou.compat import to_numpy
from fastiou.segmentation import metrics
from fastiou.segmentation._accumulator import ConfusionMatrix

__all__ = ["BinaryIoU", "IoU", "MeanIoU", "OneHotIoU", "OneHotMeanIoU"]


class IoU:
    """``keras.metrics.IoU``: mean IoU over `target_class_ids`, accumulated over updates.

    Parameters
    ----------
    num_classes : int
    target_class_ids : sequence of int
        Classes whose IoU is averaged (one id: that class's IoU).
    name, dtype : optional
        Accepted for compatibility (`dtype` has no effect).
    ignore_class : int, optional
        Truth value whose pixels are dropped.
    sparse_y_true, sparse_y_pred : bool
        Integer labels (True) or dense vectors argmaxed over `axis` (False).
    axis : int
        The class axis of dense inputs.

    Examples
    --------
    >>> from fastiou.compat.keras import IoU
    >>> m = IoU(num_classes=2, target_class_ids=[0])
    >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    >>> round(m.result(), 6)
    0.333333
    >>> m.reset_state()
    >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1], sample_weight=[0.3, 0.3, 0.3, 0.1])
    >>> round(m.result(), 6)
    0.333333
    """

    def __init__(self, num_classes: int, target_class_ids: Sequence[int], name: str | None = None,
                 dtype: object = None, ignore_class: int | None = None, sparse_y_true: bool = True,
                 sparse_y_pred: bool = True, axis: int = -1) -> None:
        self.num_classes = check_num_classes(num_classes)
        ids = [int(i) for i in target_class_ids]
        if not ids:
            raise ValueError("`target_class_ids` must name at least one class")
        if max(ids) >= self.num_classes or min(ids) < 0:
            raise ValueError(f"Target class id {max(ids) if max(ids) >= self.num_classes else min(ids)} is "
                             f"out of range, which is [0, {self.num_classes}).")
        self.target_class_ids = ids
        self.name = name or type(self).__name__.lower()
        self.dtype = dtype
        self.ignore_class = ignore_class
        self.sparse_y_true = bool(sparse_y_true)
        self.sparse_y_pred = bool(sparse_y_pred)
        self.axis = axis
        self._state = ConfusionMatrix(self.num_classes, ignore_index=ignore_class, out_of_range="ignore",
                                      axis=None if self.sparse_y_pred else axis)

    @property
    def total_cm(self) -> CountArray:
        """The accumulated confusion matrix (rows truth), as Keras' state variable: int64, or
        float64 after a weighted update."""
        return self._state.matrix

    def _inputs(self, y_true: npt.ArrayLike, y_pred: npt.ArrayLike, sample_weight: npt.ArrayLike | None
                ) -> tuple[npt.NDArray[Any], npt.NDArray[Any], npt.NDArray[Any] | None]:
        truth = to_numpy(y_true, "y_true")
        pred = to_numpy(y_pred, "y_pred")
        if not self.sparse_y_true:
            truth = np.argmax(truth, axis=self.axis)
        elif truth.dtype.kind == "f":
            truth = truth.astype(np.int64)
        if self.sparse_y_pred:
            if pred.dtype.kind == "f":
                pred = pred.astype(np.int64)
            label_shape = pred.shape
        else:
            if pred.ndim == 0:
                raise ValueError("dense `y_pred` needs a class axis")
            label_shape = np.delete(np.array(pred.shape), self.axis % pred.ndim).tolist()
        n_labels = int(np.prod(label_shape))
        if truth.size != n_labels:
            raise ValueError(f"`y_true` holds {truth.size} labels but `y_pred` gives {n_labels}")
        truth = truth.reshape(label_shape)
        if sample_weight is not None:
            weights = to_numpy(sample_weight, "sample_weight")
            weights = weights.reshape(-1) if weights.ndim > 1 else weights
            try:
                weights = np.broadcast_to(weights, (n_labels,)).reshape(label_shape)
            except ValueError:
                raise ValueError(f"`sample_weight` of shape {np.shape(sample_weight)} does not broadcast "
                                 f"to the {n_labels} labels") from None
            sample_weight = weights
        return truth, pred, sample_weight

    def update_state(self, y_true: npt.ArrayLike, y_pred: npt.ArrayLike,
                     sample_weight: npt.ArrayLike | None = None) -> None:
        """Count a batch into the confusion matrix.

        Parameters
        ----------
        y_true, y_pred : array_like or torch.Tensor
            Integer labels, or dense vectors along `axis` where the metric says so.
        sample_weight : array_like, optional
            One weight per label (broadcast), accumulated in float64.

        Examples
        --------
        >>> from fastiou.compat.keras import MeanIoU
        >>> m = MeanIoU(num_classes=2)
        >>> m.update_state([0, 1, 1], [0, 1, 0])
        >>> m.total_cm
        array([[1, 0],
               [1, 1]])
        """
        truth, pred, weights = self._inputs(y_true, y_pred, sample_weight)
        self._state.update(truth, pred, sample_weight=weights)

    def result(self) -> float:
        """Mean IoU over the target classes with a non-zero denominator (0.0 if none).

        Returns
        -------
        float

        Examples
        --------
        >>> from fastiou.compat.keras import MeanIoU
        >>> m = MeanIoU(num_classes=3)
        >>> m.update_state([0, 1, 1], [0, 1, 0])
        >>> m.result()  # class 2 has no pixel: left out
        0.5
        """
        per_class = metrics.iou(self._state.matrix, average="none", labels=self.target_class_ids)
        present = per_class[~np.isnan(per_class)]
        return float(present.mean()) if present.size else 0.0

    def reset_state(self) -> None:
        """Zero the confusion matrix.

        Examples
        --------
        >>> from fastiou.compat.keras import MeanIoU
        >>> m = MeanIoU(num_classes=2)
        >>> m.update_state([0, 1], [0, 0])
        >>> m.reset_state()
        >>> m.result()
        0.0
        """
        self._state.reset()

    def merge_state(self, metrics: Iterable[IoU]) -> None:
        """Add the states of other metrics of the same class and configuration (exact).

        Parameters
        ----------
        metrics : iterable of IoU
            Metrics of this metric's class, `num_classes` and `ignore_class`.

        Raises
        ------
        ValueError
            A metric of another type, `num_classes` or `ignore_class`.

        Examples
        --------
        >>> from fastiou.compat.keras import MeanIoU
        >>> a, b = MeanIoU(num_classes=2), MeanIoU(num_classes=2)
        >>> a.update_state([0, 1], [0, 1]); b.update_state([1], [0])
        >>> a.merge_state([b])
        >>> a.total_cm
        array([[1, 0],
               [1, 1]])
        """
        others = list(metrics)
        for other in others:
            if type(other) is not type(self):
                raise ValueError(f"`merge_state` takes {type(self).__name__} metrics, got {type(other).__name__}")
        self._state.merge(*(other._state for other in others))

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments.

        Returns
        -------
        dict

        Examples
        --------
        >>> from fastiou.compat.keras import IoU
        >>> IoU(num_classes=3, target_class_ids=[1]).get_config()["target_class_ids"]
        [1]
        """
        return {"num_classes": self.num_classes, "target_class_ids": self.target_class_ids,
                "name": self.name, "dtype": self.dtype, "ignore_class": self.ignore_class,
                "sparse_y_true": self.sparse_y_true, "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class MeanIoU(IoU):
    """``keras.metrics.MeanIoU``: :class:`IoU` over every class.

    Parameters
    ----------
    num_classes, name, dtype, ignore_class, sparse_y_true, sparse_y_pred, axis
        As in :class:`IoU`.

    Examples
    --------
    >>> from fastiou.compat.keras import MeanIoU
    >>> m = MeanIoU(num_classes=2)
    >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    >>> round(m.result(), 6)
    0.333333
    """

    def __init__(self, num_classes: int, name: str | None = None, dtype: object = None,
                 ignore_class: int | None = None, sparse_y_true: bool = True, sparse_y_pred: bool = True,
                 axis: int = -1) -> None:
        super().__init__(num_classes, list(range(check_num_classes(num_classes))), name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=sparse_y_true,
                         sparse_y_pred=sparse_y_pred, axis=axis)


class BinaryIoU(IoU):
    """``keras.metrics.BinaryIoU``: predictions ``>= threshold`` are class 1.

    The comparison is made in float32, as Keras does.

    Parameters
    ----------
    target_class_ids : sequence of int
        Classes (0, 1 or both) whose IoU is averaged.
    threshold : float
        Predictions ``>= threshold`` are class 1.
    name, dtype : optional
        Accepted for compatibility (`dtype` has no effect).

    Examples
    --------
    >>> from fastiou.compat.keras import BinaryIoU
    >>> m = BinaryIoU(target_class_ids=[0, 1], threshold=0.3)
    >>> m.update_state([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7])
    >>> round(m.result(), 6)
    0.333333
    """

    def __init__(self, target_class_ids: Sequence[int] = (0, 1), threshold: float = 0.5,
                 name: str | None = None, dtype: object = None) -> None:
        super().__init__(2, target_class_ids, name=name, dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true: npt.ArrayLike, y_pred: npt.ArrayLike,
                     sample_weight: npt.ArrayLike | None = None) -> None:
        """Threshold `y_pred` and count the batch.

        Parameters
        ----------
        y_true : array_like or torch.Tensor
            0/1 labels.
        y_pred : array_like or torch.Tensor
            Probabilities; ``>= threshold`` is class 1.
        sample_weight : array_like, optional
            As in :meth:`IoU.update_state`.

        Examples
        --------
        >>> from fastiou.compat.keras import BinaryIoU
        >>> m = BinaryIoU(threshold=0.5)
        >>> m.update_state([0, 1, 1], [0.2, 0.9, 0.4])
        >>> m.total_cm
        array([[1, 0],
               [1, 1]])
        """
        pred = to_numpy(y_pred, "y_pred").astype(np.float32) >= np.float32(self.threshold)
        super().update_state(y_true, pred.astype(np.uint8), sample_weight)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments.

        Returns
        -------
        dict

        Examples
        --------
        >>> from fastiou.compat.keras import BinaryIoU
        >>> BinaryIoU(threshold=0.3).get_config()["threshold"]
        0.3
        """
        return {"target_class_ids": self.target_class_ids, "threshold": self.threshold,
                "name": self.name, "dtype": self.dtype}


class OneHotIoU(IoU):
    """``keras.metrics.OneHotIoU``: one-hot `y_true` (argmaxed over `axis`), dense `y_pred`.

    Parameters
    ----------
    num_classes, target_class_ids, name, dtype, ignore_class, axis
        As in :class:`IoU`.
    sparse_y_pred : bool
        Integer predicted labels (True) or scores argmaxed over `axis` (False, default).

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.compat.keras import OneHotIoU
    >>> m = OneHotIoU(num_classes=3, target_class_ids=[0, 2])
    >>> m.update_state(np.array([[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0]]),
    ...                np.array([[0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.5, 0.3, 0.1], [0.1, 0.4, 0.5]]))
    >>> round(m.result(), 6)
    0.166667
    """

    def __init__(self, num_classes: int, target_class_ids: Sequence[int], name: str | None = None,
                 dtype: object = None, ignore_class: int | None = None, sparse_y_pred: bool = False,
                 axis: int = -1) -> None:
        super().__init__(num_classes, target_class_ids, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)


class OneHotMeanIoU(MeanIoU):
    """``keras.metrics.OneHotMeanIoU``: :class:`OneHotIoU` over every class.

    Parameters
    ----------
    num_classes, name, dtype, ignore_class, sparse_y_pred, axis
        As in :class:`OneHotIoU`.

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.compat.keras import OneHotMeanIoU
    >>> m = OneHotMeanIoU(num_classes=3)
    >>> m.update_state(np.eye(3)[[2, 0, 1, 0]], np.array([[0.2, 0.3, 0.5], [0.1, 0.2, 0.7],
    ...                                                   [0.5, 0.3, 0.1], [0.1, 0.4, 0.5]]))
    >>> round(m.result(), 6)
    0.111111
    """

    def __init__(self, num_classes: int, name: str | None = None, dtype: object = None,
                 ignore_class: int | None = None, sparse_y_pred: bool = False, axis: int = -1) -> None:
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)
