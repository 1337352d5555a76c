"""torchmetrics' Jaccard-index and confusion-matrix Metric classes, counted by fastiou.

The state is one exact int64 NumPy matrix, ``confmat``, as in torchmetrics; the classes
behave like ``torchmetrics.Metric`` for ``update`` / ``compute`` / ``forward`` (``__call__``) /
``reset`` / ``merge_state`` / ``clone`` and pickle as plain Python objects.
"""

import copy
import warnings
from typing import Any

import numpy as np

from fastiou.compat.torchmetrics._counting import (
    RuntimeValueError,
    as_input,
    binary_counts,
    check_binary_args,
    check_multiclass_args,
    check_multilabel_args,
    multiclass_counts,
    multilabel_counts,
)
from fastiou.compat.torchmetrics._functional import (
    check_jaccard_average,
    check_task_size,
    confusion_matrix_reduce,
    jaccard_reduce,
    parse_task,
)

_BOOL_OPTIONS = ("compute_on_cpu", "dist_sync_on_step", "sync_on_compute", "compute_with_cache")
_BOOL_DEFAULTS = {"compute_on_cpu": False, "dist_sync_on_step": False, "sync_on_compute": True,
                  "compute_with_cache": True}


def _state_zeros(shape):
    """``torch.zeros(*shape, dtype=torch.long)``, with torch's errors for bad sizes."""
    sizes = []
    for size in shape:
        if isinstance(size, (bool, np.bool_)) or not isinstance(size, (int, np.integer)):
            raise TypeError(f"zeros(): argument 'size' must be tuple of ints, but found element of type "
                            f"{type(size).__name__} at pos 0")
        sizes.append(int(size))
    for size in sizes:
        if size < 0:
            raise RuntimeValueError(f"Trying to create tensor with negative dimension {size}: {sizes}")
    return np.zeros(sizes, dtype=np.int64)


def _squeezed(value):
    """torchmetrics returns a one-element result as a 0-d value (``x.squeeze()``)."""
    value = np.asarray(value)
    return value.reshape(())[()] if value.size == 1 else value


class Metric:
    """What the classes share with ``torchmetrics.Metric``: the keyword arguments,
    ``update`` / ``compute`` (cached) / ``forward`` / ``reset`` / ``merge_state``.

    Parameters
    ----------
    compute_on_cpu, dist_sync_on_step, sync_on_compute, compute_with_cache : bool
        As torchmetrics' (checked to be bools). Only `compute_with_cache` changes anything
        here; `dist_sync_on_step` selects torchmetrics' two-update ``forward`` and makes
        ``merge_state`` raise, as there. There is no distributed synchronisation.
    process_group, dist_sync_fn, distributed_available_fn : optional
        Accepted and stored (`dist_sync_fn` must be callable).

    Raises
    ------
    ValueError
        An unknown keyword argument or a non-bool flag (as torchmetrics).

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.compat.torchmetrics import Metric, MulticlassJaccardIndex
    >>> metric = MulticlassJaccardIndex(num_classes=2, compute_with_cache=False)
    >>> isinstance(metric, Metric), metric.update_called
    (True, False)
    """

    is_differentiable = False
    higher_is_better = None
    full_state_update = False
    plot_lower_bound = None
    plot_upper_bound = None
    plot_legend_name = None

    def __init__(self, **kwargs):
        for name in _BOOL_OPTIONS:
            value = kwargs.pop(name, _BOOL_DEFAULTS[name])
            if not isinstance(value, bool):
                article = "a" if name in ("sync_on_compute", "compute_with_cache") else "an"
                raise ValueError(f"Expected keyword argument `{name}` to be {article} `bool` but got {value}")
            setattr(self, name, value)
        self.process_group = kwargs.pop("process_group", None)
        self.dist_sync_fn = kwargs.pop("dist_sync_fn", None)
        if self.dist_sync_fn is not None and not callable(self.dist_sync_fn):
            raise ValueError(
                f"Expected keyword argument `dist_sync_fn` to be an callable function but got {self.dist_sync_fn}"
            )
        self.distributed_available_fn = kwargs.pop("distributed_available_fn", None)
        if kwargs:
            names = ", ".join(f"`{name}`" for name in sorted(kwargs))
            raise ValueError(f"Unexpected keyword arguments: {names}")
        self._defaults = {}
        self._update_count = 0
        self._computed = None
        self._forward_cache = None

    def _add_state(self, name, default):
        self._defaults[name] = default
        setattr(self, name, default.copy())

    def _configure(self, state, **attributes):
        """Store the constructor's arguments as attributes and add the ``confmat`` state."""
        for name, value in attributes.items():
            setattr(self, name, value)
        self._add_state("confmat", state)

    # ------------------------------------------------------------------ torchmetrics' API

    @property
    def update_count(self):
        """Calls to ``update`` / ``forward`` since construction or the last ``reset``."""
        return self._update_count

    @property
    def update_called(self):
        """Whether ``update`` or ``forward`` was called since the last ``reset``."""
        return self._update_count > 0

    @property
    def metric_state(self):
        """The state by name: ``{"confmat": ndarray}`` (the array itself, not a copy)."""
        return {name: getattr(self, name) for name in self._defaults}

    def update(self, preds: Any, target: Any) -> None:
        """Count a batch into the state (torchmetrics' ``update``).

        Parameters
        ----------
        preds, target : array_like or torch.Tensor
            As the functional form of this metric takes them.

        Examples
        --------
        >>> import numpy as np
        >>> from fastiou.compat.torchmetrics import MulticlassJaccardIndex
        >>> metric = MulticlassJaccardIndex(num_classes=3)
        >>> metric.update(np.array([0, 1, 2, 2]), np.array([0, 1, 1, 2]))
        >>> metric.update_count
        1
        """
        self._computed = None
        self._update_count += 1
        self.confmat += self._batch_counts(as_input(preds, "preds"), as_input(target, "target"))

    def compute(self):
        """The metric of everything counted so far (cached until the next ``update``).

        Returns
        -------
        numpy scalar or ndarray
            A one-element result comes back as a 0-d scalar, as torchmetrics squeezes it.

        Examples
        --------
        >>> import numpy as np
        >>> from fastiou.compat.torchmetrics import MulticlassJaccardIndex
        >>> metric = MulticlassJaccardIndex(num_classes=3)
        >>> metric.update(np.array([0, 1, 2, 2]), np.array([0, 1, 1, 2]))
        >>> metric.compute()
        np.float32(0.6666667)
        """
        if self._update_count == 0:
            warnings.warn(
                f"The ``compute`` method of metric {type(self).__name__} was called before the ``update`` "
                "method which may lead to errors, as metric states have not yet been updated.",
                UserWarning, stacklevel=2,
            )
        if self._computed is not None:
            return self._computed
        value = _squeezed(self._compute())
        if self.compute_with_cache:
            self._computed = value
        return value

    def forward(self, preds, target):
        """The metric of this batch alone, the batch being added to the state as well.

        Parameters
        ----------
        preds, target : array_like or torch.Tensor

        Returns
        -------
        numpy scalar or ndarray
            What ``compute`` would give for this batch alone.

        Examples
        --------
        >>> import numpy as np
        >>> from fastiou.compat.torchmetrics import MulticlassJaccardIndex
        >>> metric = MulticlassJaccardIndex(num_classes=3)
        >>> metric.update(np.array([0, 1, 2, 2]), np.array([0, 1, 1, 2]))
        >>> metric.forward(np.array([0, 0]), np.array([0, 1]))  # this batch alone
        np.float32(0.25)
        >>> metric.compute()  # both batches
        np.float32(0.5)
        """
        saved = {name: getattr(self, name).copy() for name in self._defaults}
        count = self._update_count
        try:
            if self.full_state_update or self.dist_sync_on_step:
                self.update(preds, target)
                saved = {name: getattr(self, name).copy() for name in self._defaults}
            self.reset()
            self.update(preds, target)
            batch_value = self.compute()
        except BaseException:
            for name, value in saved.items():
                setattr(self, name, value)
            self._update_count = count + 1
            self._computed = None
            raise
        if self.full_state_update or self.dist_sync_on_step:
            for name, value in saved.items():
                setattr(self, name, value)
        else:
            for name, value in saved.items():
                setattr(self, name, value + getattr(self, name))
        self._update_count = count + 1
        self._computed = None
        self._forward_cache = batch_value
        return batch_value

    __call__ = forward

    def reset(self) -> None:
        """Zero the state (and the update count and caches).

        Examples
        --------
        >>> import numpy as np
        >>> from fastiou.compat.torchmetrics import MulticlassJaccardIndex
        >>> metric = MulticlassJaccardIndex(num_classes=3)
        >>> metric.update(np.array([0, 1]), np.array([0, 1]))
        >>> metric.reset()
        >>> metric.update_count
        0
        """
        self._update_count = 0
        self._forward_cache = None
        self._computed = None
        for name, default in self._defaults.items():
            setattr(self, name, default.copy())

    def merge_state(self, incoming_state: Any) -> None:
        """Add another metric's state (or a ``{"confmat": counts}`` dict) to this one.

        Parameters
        ----------
        incoming_state : dict or Metric
            A metric of this class (or a subclass), or a dict with this metric's state
            names; dict values may be arrays or tensors.

        Raises
        ------
        ValueError
            Neither a dict nor a metric, a metric of another class, or a missing state.
        RuntimeError
            With ``dist_sync_on_step=True`` (as torchmetrics).

        Notes
        -----
        As in torchmetrics, a value already computed stays cached: call ``compute`` after
        the next ``update`` or ``reset``, or merge before computing.

        Examples
        --------
        >>> import numpy as np
        >>> from fastiou.compat.torchmetrics import MulticlassJaccardIndex
        >>> metric = MulticlassJaccardIndex(num_classes=3)
        >>> metric.update(np.array([0, 1, 2, 2]), np.array([0, 1, 1, 2]))
        >>> other = MulticlassJaccardIndex(num_classes=3)
        >>> other.update(np.array([0, 0]), np.array([0, 1]))
        >>> metric.merge_state(other)
        >>> metric.compute()
        np.float32(0.5)
        """
        if not isinstance(incoming_state, (dict, Metric)):
            raise ValueError(
                f"Expected incoming state to be a dict or an instance of Metric but got {type(incoming_state)}"
            )
        if self.full_state_update or self.dist_sync_on_step:
            raise RuntimeError(
                "``merge_state`` is not supported for metrics with ``full_state_update=True`` or "
                "``dist_sync_on_step=True``. Please overwrite the merge_state method in the metric class."
            )
        if isinstance(incoming_state, Metric):
            if not isinstance(incoming_state, type(self)):
                raise ValueError(f"Expected incoming state to be an instance of {type(self).__name__} but got "
                                 f"{type(incoming_state)}")
            incoming_state = incoming_state.metric_state
        for name in self._defaults:
            if name not in incoming_state:
                raise ValueError(f"Expected state variable {name} to be present in incoming state {incoming_state}")
            incoming = as_input(incoming_state[name], name).values
            local = getattr(self, name)
            try:
                setattr(self, name, incoming + local)
            except ValueError:
                raise RuntimeValueError(
                    f"The size of the incoming `{name}` {list(incoming.shape)} does not match this metric's "
                    f"{list(local.shape)}"
                ) from None

    def clone(self) -> "Metric":
        """A deep copy of the metric.

        Returns
        -------
        Metric
            A metric of the same class holding a copy of this one's state.

        Examples
        --------
        >>> import numpy as np
        >>> from fastiou.compat.torchmetrics import MulticlassJaccardIndex
        >>> metric = MulticlassJaccardIndex(num_classes=3)
        >>> metric.update(np.array([0, 1]), np.array([0, 1]))
        >>> copy = metric.clone()
        >>> copy.update_count
        1
        """
        return copy.deepcopy(self)

    def __repr__(self):
        return f"{type(self).__name__}()"


# --------------------------------------------------------------------------- confusion matrices

class _ConfusionMatrixMetric(Metric):
    """The confusion-matrix classes' ``compute``: the (normalised) counts."""

    def _compute(self):
        return confusion_matrix_reduce(self.confmat, self.normalize)


class BinaryConfusionMatrix(_ConfusionMatrixMetric):
    """``torchmetrics.classification.BinaryConfusionMatrix``.

    Parameters
    ----------
    threshold, ignore_index, normalize, validate_args
        As :func:`fastiou.compat.torchmetrics.binary_confusion_matrix`.
    **kwargs
        :class:`Metric` keyword arguments.

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.compat.torchmetrics import BinaryConfusionMatrix
    >>> metric = BinaryConfusionMatrix()
    >>> metric.update(np.array([0.2, 0.8, 0.6]), np.array([0, 1, 0]))
    >>> metric(np.array([1, 0]), np.array([1, 1]))   # this batch alone, and accumulated
    array([[0, 0],
           [1, 1]])
    >>> metric.compute()
    array([[1, 1],
           [1, 2]])
    """

    def __init__(self, threshold=0.5, ignore_index=None, normalize=None, validate_args=True, **kwargs):
        super().__init__(**kwargs)
        if validate_args:
            check_binary_args(threshold, ignore_index, normalize)
        self._configure(np.zeros((2, 2), dtype=np.int64), threshold=threshold, ignore_index=ignore_index,
                        normalize=normalize, validate_args=validate_args)

    def _batch_counts(self, preds, target):
        return binary_counts(preds, target, self.threshold, self.ignore_index, self.validate_args)


class MulticlassConfusionMatrix(_ConfusionMatrixMetric):
    """``torchmetrics.classification.MulticlassConfusionMatrix``.

    Parameters
    ----------
    num_classes, ignore_index, normalize, validate_args
        As :func:`fastiou.compat.torchmetrics.multiclass_confusion_matrix`.
    **kwargs
        :class:`Metric` keyword arguments.

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.compat.torchmetrics import MulticlassConfusionMatrix
    >>> metric = MulticlassConfusionMatrix(num_classes=3)
    >>> metric.update(np.array([2, 1, 0, 1]), np.array([2, 1, 0, 0]))
    >>> metric.compute()
    array([[1, 1, 0],
           [0, 1, 0],
           [0, 0, 1]])
    """

    def __init__(self, num_classes, ignore_index=None, normalize=None, validate_args=True, **kwargs):
        super().__init__(**kwargs)
        if validate_args:
            check_multiclass_args(num_classes, ignore_index, normalize)
        self._configure(_state_zeros((num_classes, num_classes)), num_classes=num_classes,
                        ignore_index=ignore_index, normalize=normalize, validate_args=validate_args)

    def _batch_counts(self, preds, target):
        return multiclass_counts(preds, target, self.num_classes, self.ignore_index, self.validate_args)


class MultilabelConfusionMatrix(_ConfusionMatrixMetric):
    """``torchmetrics.classification.MultilabelConfusionMatrix``.

    Parameters
    ----------
    num_labels, threshold, ignore_index, normalize, validate_args
        As :func:`fastiou.compat.torchmetrics.multilabel_confusion_matrix`.
    **kwargs
        :class:`Metric` keyword arguments.

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.compat.torchmetrics import MultilabelConfusionMatrix
    >>> metric = MultilabelConfusionMatrix(num_labels=2)
    >>> metric.update(np.array([[0.9, 0.2], [0.1, 0.7]]), np.array([[1, 0], [0, 0]]))
    >>> metric.compute()
    array([[[1, 0],
            [0, 1]],
    <BLANKLINE>
           [[1, 1],
            [0, 0]]])
    """

    def __init__(self, num_labels, threshold=0.5, ignore_index=None, normalize=None, validate_args=True, **kwargs):
        super().__init__(**kwargs)
        if validate_args:
            check_multilabel_args(num_labels, threshold, ignore_index, normalize)
        self._configure(_state_zeros((num_labels, 2, 2)), num_labels=num_labels, threshold=threshold,
                        ignore_index=ignore_index, normalize=normalize, validate_args=validate_args)

    def _batch_counts(self, preds, target):
        return multilabel_counts(preds, target, self.num_labels, self.threshold, self.ignore_index,
                                 self.validate_args)


# --------------------------------------------------------------------------- Jaccard index

class BinaryJaccardIndex(BinaryConfusionMatrix):
    """``torchmetrics.classification.BinaryJaccardIndex``.

    Parameters
    ----------
    threshold, ignore_index, validate_args, zero_division
        As :func:`fastiou.compat.torchmetrics.binary_jaccard_index`.
    **kwargs
        :class:`Metric` keyword arguments.

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.compat.torchmetrics import BinaryJaccardIndex
    >>> metric = BinaryJaccardIndex()
    >>> metric.update(np.array([0.35, 0.85, 0.48, 0.01]), np.array([1, 1, 0, 0]))
    >>> print(metric.compute())  # a numpy.float32
    0.5
    """

    higher_is_better = True
    plot_lower_bound = 0.0
    plot_upper_bound = 1.0

    def __init__(self, threshold=0.5, ignore_index=None, validate_args=True, zero_division=0, **kwargs):
        super().__init__(threshold=threshold, ignore_index=ignore_index, normalize=None,
                         validate_args=validate_args, **kwargs)
        self.zero_division = zero_division

    def _compute(self):
        return jaccard_reduce(self.confmat, "binary", zero_division=self.zero_division)


class MulticlassJaccardIndex(MulticlassConfusionMatrix):
    """``torchmetrics.classification.MulticlassJaccardIndex``.

    Parameters
    ----------
    num_classes, average, ignore_index, validate_args, zero_division
        As :func:`fastiou.compat.torchmetrics.multiclass_jaccard_index`.
    **kwargs
        :class:`Metric` keyword arguments.

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.compat.torchmetrics import MulticlassJaccardIndex
    >>> metric = MulticlassJaccardIndex(num_classes=3)
    >>> metric.update(np.array([2, 1, 0, 1]), np.array([2, 1, 0, 0]))
    >>> print(metric.compute())  # a numpy.float32
    0.6666667
    """

    higher_is_better = True
    plot_lower_bound = 0.0
    plot_upper_bound = 1.0
    plot_legend_name = "Class"

    def __init__(self, num_classes, average="macro", ignore_index=None, validate_args=True, zero_division=0,
                 **kwargs):
        super().__init__(num_classes=num_classes, ignore_index=ignore_index, normalize=None, validate_args=False,
                         **kwargs)
        if validate_args:
            check_multiclass_args(num_classes, ignore_index)
            check_jaccard_average(average)
        self.validate_args = validate_args
        self.average = average
        self.zero_division = zero_division

    def _compute(self):
        return jaccard_reduce(self.confmat, self.average, ignore_index=self.ignore_index,
                              zero_division=self.zero_division)


class MultilabelJaccardIndex(MultilabelConfusionMatrix):
    """``torchmetrics.classification.MultilabelJaccardIndex``.

    Parameters
    ----------
    num_labels, threshold, average, ignore_index, validate_args, zero_division
        As :func:`fastiou.compat.torchmetrics.multilabel_jaccard_index`, except that, as in
        torchmetrics' class, label number `ignore_index` stays in the averages (the class
        does not pass `ignore_index` to its reduction) and `validate_args` checks `average`.
    **kwargs
        :class:`Metric` keyword arguments.

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.compat.torchmetrics import MultilabelJaccardIndex
    >>> metric = MultilabelJaccardIndex(num_labels=3)
    >>> metric.update(np.array([[0, 0, 1], [1, 0, 1]]), np.array([[0, 1, 0], [1, 0, 1]]))
    >>> print(metric.compute())  # a numpy.float32
    0.5
    """

    higher_is_better = True
    plot_lower_bound = 0.0
    plot_upper_bound = 1.0
    plot_legend_name = "Label"

    def __init__(self, num_labels, threshold=0.5, average="macro", ignore_index=None, validate_args=True,
                 zero_division=0, **kwargs):
        super().__init__(num_labels=num_labels, threshold=threshold, ignore_index=ignore_index, normalize=None,
                         validate_args=False, **kwargs)
        if validate_args:
            check_multilabel_args(num_labels, threshold, ignore_index)
            check_jaccard_average(average)
        self.validate_args = validate_args
        self.average = average
        self.zero_division = zero_division

    def _compute(self):
        return jaccard_reduce(self.confmat, self.average, zero_division=self.zero_division)


# --------------------------------------------------------------------------- task wrappers

class ConfusionMatrix(Metric):
    """``torchmetrics.classification.ConfusionMatrix``: constructing it returns a
    :class:`BinaryConfusionMatrix`, :class:`MulticlassConfusionMatrix` or
    :class:`MultilabelConfusionMatrix` as `task` says.

    Parameters
    ----------
    task : {"binary", "multiclass", "multilabel"}
    threshold : float
    num_classes, num_labels : int
        Required for their task.
    normalize, ignore_index, validate_args, **kwargs
        Passed on.

    Examples
    --------
    >>> from fastiou.compat.torchmetrics import ConfusionMatrix
    >>> type(ConfusionMatrix(task="multiclass", num_classes=3)).__name__
    'MulticlassConfusionMatrix'
    """

    def __new__(cls, task, threshold=0.5, num_classes=None, num_labels=None, normalize=None, ignore_index=None,
                validate_args=True, **kwargs):
        task = parse_task(task)
        kwargs.update({"normalize": normalize, "ignore_index": ignore_index, "validate_args": validate_args})
        if task == "binary":
            return BinaryConfusionMatrix(threshold, **kwargs)
        if task == "multiclass":
            check_task_size(num_classes, "num_classes")
            return MulticlassConfusionMatrix(num_classes, **kwargs)
        check_task_size(num_labels, "num_labels")
        return MultilabelConfusionMatrix(num_labels, threshold, **kwargs)


class JaccardIndex(Metric):
    """``torchmetrics.classification.JaccardIndex``: constructing it returns a
    :class:`BinaryJaccardIndex`, :class:`MulticlassJaccardIndex` or
    :class:`MultilabelJaccardIndex` as `task` says.

    Parameters
    ----------
    task : {"binary", "multiclass", "multilabel"}
    threshold : float
    num_classes, num_labels : int
        Required for their task.
    average : str or None
        Multiclass and multilabel.
    ignore_index, validate_args, **kwargs
        Passed on (`zero_division` goes in `kwargs`, as in torchmetrics).

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.compat.torchmetrics import JaccardIndex
    >>> metric = JaccardIndex(task="multiclass", num_classes=3)
    >>> print(metric(np.array([2, 1, 0, 1]), np.array([2, 1, 0, 0])))  # forward: a numpy.float32
    0.6666667
    """

    def __new__(cls, task, threshold=0.5, num_classes=None, num_labels=None, average="macro", ignore_index=None,
                validate_args=True, **kwargs):
        task = parse_task(task)
        kwargs.update({"ignore_index": ignore_index, "validate_args": validate_args})
        if task == "binary":
            return BinaryJaccardIndex(threshold, **kwargs)
        if task == "multiclass":
            check_task_size(num_classes, "num_classes")
            return MulticlassJaccardIndex(num_classes, average, **kwargs)
        check_task_size(num_labels, "num_labels")
        return MultilabelJaccardIndex(num_labels, threshold, average, **kwargs)
