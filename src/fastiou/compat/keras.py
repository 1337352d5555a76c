"""Keras 3's IoU metrics (``keras.metrics.IoU``, ``MeanIoU``, ``BinaryIoU``, ``OneHotIoU``,
``OneHotMeanIoU``) as NumPy objects counted by fastiou, giving Keras' own numbers.

Same constructor arguments, methods and configs as Keras 3.15 (``update_state``, ``result``,
``reset_state``, calling the object, ``get_config`` / ``from_config``, the ``stateless_*``
methods, ``variables``), plus ``merge_state`` (tf.keras 2 had it). Inputs are NumPy arrays,
lists, scalars or CPU torch tensors; ``result()`` returns a ``numpy.float32``, the value Keras
returns as a 0-d float32 tensor, bit for bit.

What is reproduced (the reference is Keras with the torch backend on x86-64 CPUs; see
``docs/compat/keras.md`` for every argument and quirk):

- the state dtype: ``dtype=None`` counts in int32 (float weights are truncated towards zero,
  Keras warns, and counts wrap around past 2**31), ``dtype="float32"`` accumulates weights
  one by one in float32, and so on for int64, int16, uint8, float16, bfloat16, float64;
- the conversion of every input to that dtype, as torch converts it (float labels truncated
  towards zero, ``-0.5`` becomes class 0 in an int state but is dropped in a float one;
  Python lists and scalars that do not fit raise), dense inputs argmaxed over `axis`;
- pairs with a label outside ``[0, num_classes)`` or a truth equal to `ignore_class` dropped,
  inputs of different sizes broadcast when one of them has one element;
- ``result()``: per-class sums in the state dtype (torch's summation order for floats),
  ``tp / (denominator + epsilon)`` in float32 for the target classes whose denominator
  exceeds 1e-9, their sum (torch's order) divided by ``count + epsilon`` (a class seen once
  scores 0.9999999, no class at all gives 0.0); repeated `target_class_ids` count again;
  negative ids count from the end;
- the exceptions: where Keras raises, the same exception type is raised (the errors of torch
  operations are :class:`KerasRuntimeError` / :class:`KerasIndexError`, which are also
  ``ValueError``).

Speed: two label arrays, class scores with as many classes as `num_classes`, one-hot truth,
thresholded probabilities and non-negative whole-number weights are counted by fastiou's
kernel (integer labels that might wrap around a narrower state dtype are converted and
counted again); only what the kernel cannot count exactly (fractional weights in a float
state, negative weights, inputs of different sizes, bool states) takes a NumPy path that
replays Keras' update step by step. The peers are never imported.
"""

import numbers
import operator
import re
import threading
import warnings
from collections import defaultdict

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Optional, TypeVar, Union, cast

import numpy as np
import numpy.typing as npt

from fastiou._shared._typing import ArrayLike
from fastiou.segmentation._core import count_pairs

# what ``result()`` returns: a float32 scalar (an array only for ``axis=()``)
KerasResult = Union[np.float32, npt.NDArray[np.float32]]
_Metric = TypeVar("_Metric", bound="IoU")
from fastiou.compat import to_numpy

__all__ = ["BinaryIoU", "IoU", "KerasIndexError", "KerasRuntimeError", "MeanIoU", "OneHotIoU",
           "OneHotMeanIoU", "epsilon", "set_epsilon"]


class KerasRuntimeError(ValueError, RuntimeError):
    """Bad input where Keras (torch backend) raises a ``RuntimeError``: a value that does not
    convert to the metric's dtype, sizes that do not broadcast, a bool state in ``result()``."""


class KerasIndexError(ValueError, IndexError):
    """Bad input where Keras (torch backend) raises an ``IndexError``: an `axis` out of range,
    two 0-d inputs, a label or target class id that indexes outside the matrix."""


class KerasAttributeError(TypeError, AttributeError):
    """A `name` that is not a string (Keras fails on it with an ``AttributeError``)."""


# ---------------------------------------------------------------------------------------------
# keras.config.epsilon(), names
# ---------------------------------------------------------------------------------------------

_EPSILON = [1e-7]


def epsilon() -> float:
    """The fuzz factor ``result()`` adds to denominators (``keras.config.epsilon()``).

    Returns
    -------
    float
        1e-7 unless changed with :func:`set_epsilon`.

    Examples
    --------
    >>> from fastiou.compat.keras import epsilon
    >>> epsilon()
    1e-07
    """
    return _EPSILON[0]


def set_epsilon(value: float) -> None:
    """Set the fuzz factor of :func:`epsilon` (``keras.config.set_epsilon``).

    Keras users who changed it with ``keras.config.set_epsilon`` set it here too: fastiou
    does not read Keras' configuration.

    Parameters
    ----------
    value : float
        The new fuzz factor.

    Returns
    -------
    None

    Examples
    --------
    >>> from fastiou.compat.keras import epsilon, set_epsilon
    >>> set_epsilon(1e-5); epsilon()
    1e-05
    >>> set_epsilon(1e-7)
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"`value` must be a real number, got {type(value).__name__} {value!r}")
    _EPSILON[0] = float(value)


_NAME_COUNTS: "defaultdict[str, int]" = defaultdict(int)
_NAME_LOCK = threading.Lock()


def _snake_case(name: Any) -> Any:
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _auto_name(class_name: Any) -> Any:
    """Keras' default names: ``mean_io_u``, then ``mean_io_u_1``, ... (one counter a name)."""
    base = _snake_case(class_name)
    with _NAME_LOCK:
        count = _NAME_COUNTS[base]
        _NAME_COUNTS[base] += 1
    return base if count == 0 else f"{base}_{count}"


# ---------------------------------------------------------------------------------------------
# dtypes and conversions (what torch does when Keras converts an input to the metric's dtype)
# ---------------------------------------------------------------------------------------------

# torch has no uint16/uint32 arithmetic: Keras stores those states as int32/int64
_STORAGE = {"int32": np.int32, "int64": np.int64, "int16": np.int16, "uint8": np.uint8,
            "uint16": np.int32, "uint32": np.int64, "bool": np.bool_, "float16": np.float16,
            "float32": np.float32, "float64": np.float64, "complex64": np.complex64,
            "complex128": np.complex128, "bfloat16": None}
_MIXED = {"mixed_float16": "float16", "mixed_bfloat16": "bfloat16"}
# significand bits + 1: above 2**p a float state stops counting one by one
_PRECISION = {"float16": 11, "bfloat16": 8, "float32": 24, "float64": 53}


def _bfloat16() -> Any:
    try:
        import ml_dtypes
    except ImportError:  # pragma: no cover - Keras itself depends on ml_dtypes
        raise ImportError("dtype='bfloat16' needs the ml_dtypes package (Keras installs it): "
                          "pip install ml_dtypes") from None
    return np.dtype(ml_dtypes.bfloat16)


def _dtype_name(dtype: Any) -> Any:
    """The Keras dtype name of a `dtype` argument (None -> int32), or ValueError."""
    identifier = dtype or "int"  # Keras: ``dtype or "int"``
    if isinstance(identifier, dict):
        config = identifier.get("config")
        name = config.get("name") if isinstance(config, dict) else None
    elif hasattr(identifier, "compute_dtype"):  # a keras.DTypePolicy
        name = identifier.compute_dtype
    elif isinstance(identifier, str):
        name = identifier
    elif str(identifier).startswith("torch."):
        name = str(identifier)[len("torch."):]
    else:
        try:
            name = np.dtype(identifier).name
        except TypeError:
            name = None
    name = {"int": "int32", **_MIXED}.get(name, name)  # type: ignore[arg-type]
    if name not in _STORAGE:
        raise ValueError(
            f"`dtype` must be None or one of {', '.join(sorted(_STORAGE))} (or 'mixed_float16', "
            f"'mixed_bfloat16', a numpy/torch dtype, a keras.DTypePolicy), got {dtype!r}"
        )
    return name


class _Dtype:
    """A metric dtype: its Keras name and the NumPy dtype its state is held in."""

    def __init__(self, dtype: Any) -> None:
        self.name = _dtype_name(dtype)
        self.storage = _bfloat16() if self.name == "bfloat16" else np.dtype(_STORAGE[self.name])
        self.kind = "f" if self.name == "bfloat16" else self.storage.kind
        self.precision: Any = _PRECISION.get(self.name)
        # float16/bfloat16 sums run in float32 in torch
        self.accumulator = np.dtype(np.float64 if self.name == "float64" else np.float32)

    def cast(self, array: Any) -> Any:
        """`array` (a NumPy array) converted as torch's ``Tensor.to(dtype)`` converts it."""
        if array.dtype == self.storage:
            return array
        if array.dtype.kind not in "biuf" and array.dtype.name != "bfloat16":
            raise TypeError(f"cannot convert an array of dtype {array.dtype} to {self.name}")
        with np.errstate(invalid="ignore", over="ignore"):
            if array.dtype.name == "bfloat16" or (self.name in ("float16", "bfloat16")
                                                  and array.dtype.kind in "iuf"):
                array = array.astype(np.float32)  # torch rounds to half precision through float32
            elif array.dtype == np.float64 and self.storage == np.uint8:
                array = array.astype(np.int64)  # torch goes through int64 (wrapping modulo 256)
            return array.astype(self.storage)

    def check_python(self, array: Any, name: str) -> Any:
        """Raise where torch refuses a Python number in a list, tuple or scalar.

        torch converts Python numbers one by one and refuses, for an integer dtype, NaN and
        any value outside its range (a negative int is allowed for uint8 if its magnitude fits).
        """
        if self.kind not in "iu" or array.size == 0:
            return
        info = np.iinfo(self.storage)
        with np.errstate(invalid="ignore"):
            if array.dtype.kind == "f":
                bad = np.isnan(array) | (array < info.min) | (array > info.max)
            elif array.dtype.kind in "iu" and info.min == 0:
                bad = (array > info.max) | ((array < 0) & (array < -int(info.max)))
            elif array.dtype.kind in "iu":
                bad = (array < info.min) | (array > info.max)
            else:
                return
        if bad.any():
            value = array[bad].flat[0]
            raise KerasRuntimeError(
                f"`{name}` holds {value!r}, which Keras (torch) cannot convert to {self.name} "
                "without overflow"
            )


_INT32 = _Dtype("int32")
_FLOAT32 = _Dtype("float32")


def _is_tensor(values: Any) -> Any:
    return hasattr(values, "detach") and hasattr(values, "cpu") and hasattr(values, "dtype")


def _tensor_array(values: Any, name: Any) -> Any:
    """A CPU torch tensor as a NumPy array (bfloat16 as float32, which holds it exactly)."""
    if str(values.dtype) == "torch.bfloat16":
        values = values.float()
    return to_numpy(values, name)


def _python_array(values: Any, name: Any) -> Any:
    try:
        array = np.asarray(values)
        if array.dtype == object and isinstance(values, (list, tuple, int)):
            array = array.astype(np.float64)  # Python ints beyond 64 bits: torch reads them as floats
    except (TypeError, ValueError) as exc:
        raise ValueError(f"`{name}` could not be converted to an array: {exc}") from exc
    if array.dtype.kind not in "biuf" and array.dtype.name != "bfloat16":
        raise ValueError(f"`{name}` must hold numbers, got dtype {array.dtype}")
    return array


def _is_python(values: Any) -> Any:
    if isinstance(values, (bool, int, float)):
        return True
    return isinstance(values, (list, tuple)) and not any(_is_tensor(v) for v in values)


def _raw_array(values: Any, name: Any) -> Any:
    """`values` as a NumPy array before any conversion to the metric's dtype."""
    if _is_tensor(values):
        return _tensor_array(values, name)
    if isinstance(values, (list, tuple)) and any(_is_tensor(v) for v in values):
        return np.stack([_tensor_array(v, name) for v in values])
    array = _python_array(values, name)
    if array.dtype == np.uint32:  # Keras: torch has no uint32
        array = array.astype(np.int64)
    return array


def _convert(values: Any, dt: Any, name: Any) -> Any:
    """``keras.ops.convert_to_tensor(values, dtype)`` on the torch backend, as NumPy."""
    array = _raw_array(values, name)
    if _is_python(values):
        dt.check_python(array, name)
    return dt.cast(array)


def _scalar(value: Any, dt: Any, name: Any) -> Any:
    """A Python or NumPy scalar converted to the metric's dtype (a 0-d array)."""
    if isinstance(value, str) or not isinstance(value, (numbers.Number, np.generic, np.ndarray)):
        raise ValueError(f"`{name}` must be a number, got {type(value).__name__} {value!r}")
    return _convert(value, dt, name)


def _flat(array: Any) -> Any:
    return array.reshape(-1) if array.ndim > 1 else array


def _broadcast(shapes_and_names: Any) -> Any:
    shapes = [shape for shape, _ in shapes_and_names]
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        described = " and ".join(f"`{name}` has {int(np.prod(shape))} element(s)"
                                 for shape, name in shapes_and_names)
        raise KerasRuntimeError(
            f"the flattened inputs do not broadcast: {described} (Keras flattens `y_true` and "
            "`y_pred` and broadcasts them, so they must have the same size or one element)"
        ) from None


def _argmax(values: Any, axis: Any, name: Any) -> Any:
    """``keras.ops.argmax(values, axis)`` (torch): int32 labels; bool scores as uint8."""
    if _is_python(values):
        array = _python_array(values, name)
        if array.dtype.kind == "f":  # Keras makes Python floats float32 (its floatx)
            array = array.astype(np.float32)
    else:
        array = _raw_array(values, name)
    if array.dtype.kind == "b":
        array = array.view(np.uint8)
    if axis is not None and not isinstance(axis, numbers.Integral):
        raise TypeError(f"`axis` must be an int or None to argmax dense `{name}`, got "
                        f"{type(axis).__name__} {axis!r}")
    if axis is not None and not -max(array.ndim, 1) <= axis < max(array.ndim, 1):
        raise KerasIndexError(f"`axis`={axis} is out of range for dense `{name}` of shape {array.shape}")
    if (array.size == 0 and axis is None) or (axis is not None and array.ndim and array.shape[axis] == 0):
        raise KerasIndexError(f"dense `{name}` of shape {array.shape} has no entry along `axis`={axis} "
                              "to take the argmax of")
    return np.argmax(array, axis=None if array.ndim == 0 else axis).astype(np.int32)


# ---------------------------------------------------------------------------------------------
# torch's CPU summation order (aten/src/ATen/native/cpu/SumKernel.cpp, 256-bit vectors)
# ---------------------------------------------------------------------------------------------

_VECTOR_BYTES = 32


def _running_sum(start: Any, rows: Any) -> Any:
    """``start + rows[0] + rows[1] + ...`` in order, in start's dtype (rows along axis 0)."""
    if len(rows) == 0:
        return start
    return np.add.accumulate(np.concatenate([start[None], rows]), axis=0)[-1]


def _cascade_sum(rows: Any) -> Any:
    """torch's ``multi_row_sum``: rows of lanes summed in chunks of 16 that are summed in
    chunks of 16, and so on (4 levels)."""
    size, lanes = rows.shape
    power = max(4, (max(size - 1, 0).bit_length()) // 4)
    step = 1 << power
    mask = step - 1
    levels = [np.zeros(lanes, rows.dtype) for _ in range(4)]
    i = 0
    while i + step <= size:
        levels[0] = _running_sum(levels[0], rows[i:i + step])
        i += step
        for j in range(1, 4):
            levels[j] = levels[j] + levels[j - 1]
            levels[j - 1] = np.zeros(lanes, rows.dtype)
            if i & (mask << (j * power)):
                break
    total = _running_sum(levels[0], rows[i:])
    for j in range(1, 4):
        total = total + levels[j]
    return total


def _interleaved_sum(items: Any) -> Any:
    """torch's ``row_sum``: four interleaved cascade sums, the tail added to the first."""
    size, lanes = items.shape
    groups = size // 4
    parts = _cascade_sum(items[:4 * groups].reshape(groups, 4 * lanes)).reshape(4, lanes)
    total = _running_sum(parts[0], items[4 * groups:])
    for k in range(1, 4):
        total = total + parts[k]
    return total


def _inner_sums(values: Any, width: Any, lanes: Any, fold: Any = None) -> Any:
    """torch's sums along the rows of `values` (already in the accumulator type; NumPy
    object arrays work too), loading `width` elements a vector folded to `lanes` lanes."""
    n_rows, n = values.shape
    if n < width:
        return _interleaved_sum(values.T.copy())
    n_vec = n // width
    vectors = values[:, :n_vec * width].reshape(n_rows, n_vec, width)
    if width != lanes:  # half-precision loads are folded to float32 lanes
        ratio = width // lanes
        if fold == "halves":  # bfloat16: lane i = v[i] + v[lanes + i]
            parts = vectors.reshape(n_rows, n_vec, ratio, lanes)
            folded = parts[:, :, 0]
            for k in range(1, ratio):
                folded = folded + parts[:, :, k]
        else:  # float16, neighbours: lane i = (0 + v[ratio i]) + v[ratio i + 1]
            parts = vectors.reshape(n_rows, n_vec, lanes, ratio)
            folded = np.zeros((n_rows, n_vec, lanes), values.dtype)
            for k in range(ratio):
                folded = folded + parts[..., k]
        vectors = folded
    vector_sums = _interleaved_sum(vectors.transpose(1, 0, 2).reshape(n_vec, n_rows * lanes))
    total = _running_sum(np.zeros(n_rows, values.dtype), values[:, n_vec * width:].T)
    return _running_sum(total, vector_sums.reshape(n_rows, lanes).T)


class _Node:
    """A value in a recorded sum: adding two nodes appends ``(slot, slot)`` to the plan.

    Adding 0 is left out: torch's accumulators start at +0.0 and never become -0.0, so
    ``0 + x`` is ``x`` once the elements' -0.0 are made +0.0 (which changes no sum).
    """

    __slots__ = ("slot", "plan")

    def __init__(self, slot: Any, plan: Any) -> None:
        self.slot, self.plan = slot, plan

    def __add__(self, other: Any) -> Any:
        if not isinstance(other, _Node):  # an accumulator's initial 0
            return self
        self.plan.ops.append((self.slot, other.slot))
        return _Node(self.plan.size + len(self.plan.ops) - 1, self.plan)

    __radd__ = __add__


class _SumPlan:
    """The order of torch's additions for `size` elements, recorded once by running the
    summation above on nodes: slots 0..size-1 are the elements, each op appends a slot.
    Replaying it on arrays sums many rows (or columns) at once."""

    def __init__(self, size: Any, summation: Any) -> None:
        self.size = size
        self.ops: list[Any] = []
        nodes = np.empty(size, dtype=object)
        for i in range(size):
            nodes[i] = _Node(i, self)
        result = summation(nodes)
        self.result = result.slot if isinstance(result, _Node) else None

    def __call__(self, elements: Any, zero: Any) -> Any:
        """The sum of `elements` (a list of scalars or of equal-shape arrays)."""
        if self.result is None:
            return zero
        slots = list(elements)
        for a, b in self.ops:
            slots.append(slots[a] + slots[b])
        return slots[self.result]


_PLANS: "dict[tuple[Any, ...], _SumPlan]" = {}


def _plan(kind: Any, size: Any, width: Any = 0, lanes: Any = 0, fold: Any = None) -> Any:
    key = (kind, size, width, lanes, fold)
    plan = _PLANS.get(key)
    if plan is None:
        if kind == "inner":  # one contiguous row: torch's vectorised inner sum
            summation = lambda nodes: _inner_sums(nodes.reshape(1, -1), width, lanes, fold)[0]  # noqa: E731
        elif kind == "cascade":  # down a column, one cascade
            summation = lambda nodes: _cascade_sum(nodes.reshape(-1, 1))[0]  # noqa: E731
        else:  # down a column, four interleaved cascades
            summation = lambda nodes: _interleaved_sum(nodes.reshape(-1, 1))[0]  # noqa: E731
        plan = _PLANS[key] = _SumPlan(size, summation)
    return plan


def _accumulate(matrix: Any, dt: Any) -> Any:
    """`matrix` in torch's accumulator type, -0.0 made +0.0 (see :class:`_Node`)."""
    return matrix.astype(dt.accumulator) + dt.accumulator.type(0.0)


def _sum_rows_torch(matrix: Any, dt: Any) -> Any:
    """``torch.sum(matrix, dim=1)`` of a C-contiguous 2-D float matrix, bit for bit."""
    n_rows, n = matrix.shape
    width = _VECTOR_BYTES // matrix.dtype.itemsize
    lanes = _VECTOR_BYTES // dt.accumulator.itemsize
    plan = _plan("inner", n, width, lanes, "halves" if dt.name == "bfloat16" else "neighbours")
    total = plan(_accumulate(matrix, dt).T, np.zeros(n_rows, dt.accumulator))
    with np.errstate(over="ignore"):
        return total.astype(matrix.dtype)


def _sum_columns_torch(matrix: Any, dt: Any) -> Any:
    """``torch.sum(matrix, dim=0)`` of a C-contiguous 2-D float matrix, bit for bit: torch
    sums blocks of columns down one cascade and the other columns down four interleaved ones."""
    n_rows, n = matrix.shape
    width = _VECTOR_BYTES // matrix.dtype.itemsize
    lanes = _VECTOR_BYTES // dt.accumulator.itemsize
    block = (n // (4 * lanes)) * 4 * lanes if n >= width else (n // 4) * 4
    values = _accumulate(matrix, dt)
    zero = np.zeros(n, dt.accumulator)
    total = np.concatenate([_plan("cascade", n_rows)(values[:, :block], zero[:block]),
                            _plan("interleaved", n_rows)(values[:, block:], zero[block:])])
    with np.errstate(over="ignore"):
        return total.astype(matrix.dtype)


def _sum_float32_torch(vector: Any) -> Any:
    """``torch.sum`` of a 1-D float32 vector, bit for bit (a float32 scalar)."""
    plan = _plan("inner", vector.size, _VECTOR_BYTES // 4, _VECTOR_BYTES // 4)
    return np.float32(plan(vector + np.float32(0.0), np.float32(0.0)))


# ---------------------------------------------------------------------------------------------
# the metrics
# ---------------------------------------------------------------------------------------------


class _NotAnInt(TypeError, ValueError):
    """A `num_classes` that is not an int (Keras raises a ValueError from ``IoU``, a
    TypeError from ``MeanIoU``)."""


def _check_num_classes(num_classes: Any) -> Any:
    try:
        count = operator.index(num_classes)
    except TypeError:
        raise _NotAnInt(f"`num_classes` must be an int, got {type(num_classes).__name__} "
                        f"{num_classes!r}") from None
    if count < 0:
        raise ValueError(f"`num_classes` must not be negative, got {count}")
    return count


def _check_name(name: Any, class_name: Any) -> Any:
    if not name:
        return _auto_name(class_name)
    if not isinstance(name, str):
        raise KerasAttributeError(f"`name` must be a string, got {type(name).__name__} {name!r}")
    return name


def _check_target_ids(target_class_ids: Any, num_classes: Any) -> Any:
    """Keras' check: ``max(target_class_ids) >= num_classes`` raises (and nothing else)."""
    try:
        largest = max(target_class_ids)
    except ValueError:
        raise ValueError("`target_class_ids` must name at least one class, got an empty "
                         "sequence") from None
    except TypeError as exc:
        raise TypeError(f"`target_class_ids` must be a sequence of ints, got {target_class_ids!r} "
                        f"({exc})") from None
    try:
        too_large = largest >= num_classes
    except TypeError:
        raise TypeError(f"`target_class_ids` must be a sequence of ints, got {target_class_ids!r}") from None
    if too_large:
        raise ValueError(f"Target class id {largest} is out of range, which is [0, {num_classes}).")
    return list(target_class_ids)


class IoU:
    """``keras.metrics.IoU``: the mean IoU of `target_class_ids`, accumulated over updates.

    Parameters
    ----------
    num_classes : int
        Number of classes ``C``; the state is a ``(C, C)`` confusion matrix (rows truth).
    target_class_ids : sequence of int
        The classes whose IoU is averaged (one id: that class's IoU). Repeated ids count as
        often as they are listed; a negative id counts from the end (``-1`` is ``C - 1``).
    name : str, optional
        Defaults to the snake-case class name, numbered from the second instance on
        (``io_u``, ``io_u_1``, ...), as Keras names them.
    dtype : str, numpy/torch dtype or keras.DTypePolicy, optional
        The state dtype: None is int32 (float weights truncated towards zero, counts wrap
        past 2**31); "float32" accumulates weights in float32; also "int64", "int16",
        "uint8", "uint16", "uint32", "float16", "bfloat16", "float64", "mixed_float16",
        "mixed_bfloat16", "bool" and the complex dtypes behave as in Keras.
    ignore_class : int, optional
        Pairs whose truth (converted to `dtype`) equals it are dropped.
    sparse_y_true, sparse_y_pred : bool
        Labels (True) or dense vectors argmaxed over `axis` (False).
    axis : int
        The class axis of dense inputs; ``result()`` also sums over it (only -1, 0 and None
        work there, as in Keras).

    Examples
    --------
    >>> from fastiou.compat.keras import IoU
    >>> m = IoU(num_classes=2, target_class_ids=[0])
    >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    array([[1, 1],
           [1, 1]], dtype=int32)
    >>> m.result()  # 1 / (3 + 1e-7), not 1/3: Keras' epsilon
    np.float32(0.3333333)
    >>> m = IoU(num_classes=2, target_class_ids=[0], dtype="float32")
    >>> m([0, 0, 1, 1], [0, 1, 0, 1], sample_weight=[0.3, 0.3, 0.3, 0.1])
    np.float32(0.33333325)
    """

    # False: count every update with the NumPy replay of Keras (the tests' reference path)
    _use_kernel = True
    _CONFIG_KEYS: "tuple[str, ...]" = ("name", "dtype", "num_classes", "target_class_ids", "ignore_class", "sparse_y_true",
                    "sparse_y_pred", "axis")

    def __init__(self, num_classes: int, target_class_ids: Sequence[int], name: Optional[str] = None,
                 dtype: Any = None, ignore_class: Optional[int] = None, sparse_y_true: bool = True,
                 sparse_y_pred: bool = True, axis: Union[int, tuple[int, ...], None] = -1) -> None:
        self._init_state(num_classes, name, dtype)
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self.target_class_ids = _check_target_ids(target_class_ids, num_classes)

    def _init_state(self, num_classes: Any, name: Any, dtype: Any) -> Any:
        self.name = _check_name(name, type(self).__name__)
        self._dt = _Dtype(dtype)
        self._size = _check_num_classes(num_classes)
        self.num_classes = num_classes
        self._direction = "up"
        self._cm = np.zeros((self._size, self._size), self._dt.storage)
        self._converted: dict[Any, Any] = {}

    # -- state -------------------------------------------------------------------------------

    @property
    def dtype(self) -> str:
        """The Keras name of the state dtype (``"int32"`` by default)."""
        return cast(str, self._dt.name)

    @property
    def total_cm(self) -> npt.NDArray[Any]:
        """A copy of the state: the ``(C, C)`` confusion matrix in the state dtype."""
        return self._cm.copy()

    @property
    def variables(self) -> list[npt.NDArray[Any]]:
        """``[total_cm]``, as Keras' list of state variables (copies)."""
        return [self.total_cm]

    def reset_state(self) -> None:
        """Zero the confusion matrix.

        Returns
        -------
        None

        Examples
        --------
        >>> from fastiou.compat.keras import MeanIoU
        >>> m = MeanIoU(2); _ = m.update_state([0, 1], [0, 1]); m.reset_state(); m.result()
        np.float32(0.0)
        """
        self._cm = np.zeros_like(self._cm)

    def update_state(self, y_true: ArrayLike, y_pred: ArrayLike,
                     sample_weight: Optional[ArrayLike] = None) -> npt.NDArray[Any]:
        """Count a batch into the confusion matrix, as Keras does.

        Parameters
        ----------
        y_true : array_like
            Labels (or dense vectors when ``sparse_y_true=False``); any shape, flattened.
        y_pred : array_like
            Labels (or dense scores when ``sparse_y_pred=False``); flattened, the same size
            as `y_true` or one of them of size 1.
        sample_weight : array_like, optional
            A scalar or weights that broadcast to the flattened `y_true`, converted to the
            metric's dtype (truncated towards zero for the default int32, with Keras'
            warning when they are float).

        Returns
        -------
        ndarray
            A copy of the updated confusion matrix (Keras returns the assigned state).

        Examples
        --------
        >>> from fastiou.compat.keras import MeanIoU
        >>> MeanIoU(3).update_state([0, 1, 2, 7], [0, 2, 2, 1])
        array([[1, 0, 0],
               [0, 0, 1],
               [0, 0, 1]], dtype=int32)
        """
        fused = self._count_scores(y_true, y_pred, sample_weight)
        if fused is not None:
            return cast("npt.NDArray[Any]", self._add(fused))
        if not self.sparse_y_true:
            y_true = _argmax(y_true, self.axis, "y_true")
        if not self.sparse_y_pred:
            y_pred = _argmax(y_pred, self.axis, "y_pred")
        return cast("npt.NDArray[Any]", self._add(self._count(y_true, y_pred, sample_weight)))

    def result(self) -> KerasResult:
        """The mean IoU of the target classes, as Keras computes it (float32).

        Returns
        -------
        numpy.float32
            ``sum(iou) / (n_valid + epsilon)`` over the target classes whose denominator
            exceeds 1e-9, each ``iou = tp / (tp + fp + fn + epsilon)``; 0.0 when none.

        Examples
        --------
        >>> from fastiou.compat.keras import MeanIoU
        >>> m = MeanIoU(2); _ = m.update_state([0, 1, 1], [0, 1, 1]); m.result()
        np.float32(0.99999994)
        """
        return _result(self._cm, self._dt, self.target_class_ids, self.axis)

    def __call__(self, y_true: ArrayLike, y_pred: ArrayLike,
                 sample_weight: Optional[ArrayLike] = None) -> KerasResult:
        """Update with a batch and return the result (``keras.metrics.Metric.__call__``).

        Parameters
        ----------
        y_true, y_pred, sample_weight
            As :meth:`update_state`.

        Returns
        -------
        numpy.float32
            :meth:`result` after the update.

        Examples
        --------
        >>> from fastiou.compat.keras import MeanIoU
        >>> m = MeanIoU(2)
        >>> m([0, 0, 1, 1], [0, 1, 0, 1])
        np.float32(0.33333334)
        """
        self.update_state(y_true, y_pred, sample_weight)
        return self.result()

    def merge_state(self, metrics: Iterable["IoU"]) -> None:
        """Add the states of other metrics of the same class, size and dtype.

        Parameters
        ----------
        metrics : iterable of metrics
            Of this metric's class, `num_classes` and dtype.

        Returns
        -------
        None

        Raises
        ------
        ValueError
            A metric of another class, `num_classes` or dtype.

        Examples
        --------
        >>> from fastiou.compat.keras import MeanIoU
        >>> a, b = MeanIoU(2), MeanIoU(2)
        >>> _ = a.update_state([0, 1], [0, 1]); _ = b.update_state([1], [0])
        >>> a.merge_state([b]); a.total_cm
        array([[1, 0],
               [1, 1]], dtype=int32)
        """
        others = list(metrics)
        for other in others:
            if type(other) is not type(self):
                raise ValueError(f"`merge_state` takes {type(self).__name__} metrics, got "
                                 f"{type(other).__name__}")
            if other._cm.shape != self._cm.shape or other._dt.name != self._dt.name:
                raise ValueError(
                    f"`merge_state` needs the same `num_classes` and dtype: {self._size} and "
                    f"{self._dt.name} here, {other._size} and {other._dt.name} in the other metric"
                )
        for other in others:
            self._add(other._cm)

    # -- Keras' stateless API -----------------------------------------------------------------

    def _state_from(self, metric_variables: Any) -> Any:
        values = list(metric_variables)
        if len(values) != 1:
            raise ValueError(f"`metric_variables` must hold 1 array (like {type(self).__name__}()"
                             f".variables), got {len(values)}")
        state = _raw_array(values[0], "metric_variables")
        if state.shape != self._cm.shape:
            raise ValueError(f"`metric_variables[0]` must have shape {self._cm.shape}, got {state.shape}")
        return self._dt.cast(state).copy()

    def stateless_update_state(self, metric_variables: Sequence[ArrayLike], y_true: ArrayLike, y_pred: ArrayLike,
                               sample_weight: Optional[ArrayLike] = None) -> list[npt.NDArray[Any]]:
        """Update a given state instead of the metric's own (Keras' stateless API).

        Parameters
        ----------
        metric_variables : list of one array
            A state, as :attr:`variables`.
        y_true, y_pred, sample_weight
            As :meth:`update_state`.

        Returns
        -------
        list of one ndarray
            The updated state; the metric's own state is unchanged.

        Examples
        --------
        >>> from fastiou.compat.keras import MeanIoU
        >>> m = MeanIoU(2)
        >>> m.stateless_update_state(m.variables, [0, 1], [1, 1])[0]
        array([[0, 1],
               [0, 1]], dtype=int32)
        """
        own = self._cm
        self._cm = self._state_from(metric_variables)
        try:
            self.update_state(y_true, y_pred, sample_weight)
            return [self._cm]
        finally:
            self._cm = own

    def stateless_result(self, metric_variables: Sequence[ArrayLike]) -> KerasResult:
        """:meth:`result` of a given state (Keras' stateless API).

        Parameters
        ----------
        metric_variables : list of one array
            A state, as :attr:`variables`.

        Returns
        -------
        numpy.float32

        Examples
        --------
        >>> import numpy as np
        >>> from fastiou.compat.keras import MeanIoU
        >>> MeanIoU(2).stateless_result([np.array([[1, 1], [0, 2]])])
        np.float32(0.5833334)
        """
        return _result(self._state_from(metric_variables), self._dt, self.target_class_ids, self.axis)

    def stateless_reset_state(self) -> list[npt.NDArray[Any]]:
        """A zero state (Keras' stateless API).

        Returns
        -------
        list of one ndarray

        Examples
        --------
        >>> from fastiou.compat.keras import MeanIoU
        >>> MeanIoU(2).stateless_reset_state()[0]
        array([[0, 0],
               [0, 0]], dtype=int32)
        """
        return [np.zeros_like(self._cm)]

    # -- configuration ------------------------------------------------------------------------

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments under Keras' keys, in Keras' order (each class has its
        own: ``MeanIoU`` has no `target_class_ids`, the one-hot classes no `sparse_y_true`,
        ``BinaryIoU`` only `target_class_ids`, `threshold`, `name`, `dtype`), so that
        ``type(m)(**m.get_config())`` rebuilds the metric.

        Returns
        -------
        dict

        Examples
        --------
        >>> from fastiou.compat.keras import IoU, MeanIoU
        >>> IoU(3, [0, 2], name="iou").get_config()  # doctest: +NORMALIZE_WHITESPACE
        {'name': 'iou', 'dtype': 'int32', 'num_classes': 3, 'target_class_ids': [0, 2],
         'ignore_class': None, 'sparse_y_true': True, 'sparse_y_pred': True, 'axis': -1}
        >>> MeanIoU(3, name="miou").get_config()  # doctest: +NORMALIZE_WHITESPACE
        {'num_classes': 3, 'name': 'miou', 'dtype': 'int32', 'ignore_class': None,
         'sparse_y_true': True, 'sparse_y_pred': True, 'axis': -1}
        """
        return {key: getattr(self, key) for key in self._CONFIG_KEYS}

    @classmethod
    def from_config(cls: "type[_Metric]", config: Mapping[str, Any]) -> "_Metric":
        """A metric from :meth:`get_config`'s dict (``cls(**config)``).

        Parameters
        ----------
        config : dict

        Returns
        -------
        IoU
            Of the class it is called on.

        Examples
        --------
        >>> from fastiou.compat.keras import MeanIoU
        >>> MeanIoU.from_config(MeanIoU(4, name="miou").get_config()).name
        'miou'
        """
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"

    # -- counting -----------------------------------------------------------------------------

    def _add(self, counts: Any) -> Any:
        with np.errstate(over="ignore", invalid="ignore"):
            self._cm = self._cm + counts  # wraps around for int states, rounds for float ones
        return self._cm.copy()

    def _scalar(self, value: Any, name: Any) -> Any:
        """`value` converted to the dtype (Keras converts `num_classes` and `ignore_class` at
        every update; a given value always converts alike, so it is remembered)."""
        try:
            key = (name, type(value), value)
            converted = self._converted.get(key)
        except TypeError:  # unhashable
            return _scalar(value, self._dt, name)
        if converted is None:
            converted = self._converted[key] = _scalar(value, self._dt, name)
        return converted

    def _ignore_value(self) -> Any:
        if self.ignore_class is None:
            return None
        return self._scalar(self.ignore_class, "ignore_class")

    def _kernel_ignore(self, ignore: Any) -> Any:
        """The ignore value for fastiou's kernel (None when no integer label can equal it)."""
        if ignore is None:
            return None
        value = ignore.astype(np.float64) if self._dt.name == "bfloat16" else ignore
        if value.dtype.kind == "f" and not (np.isfinite(value) and value == np.trunc(value)):
            return None
        return int(value)

    def _sample_weight(self, sample_weight: Any, shape: Any) -> Any:
        """Keras' weights: converted to the dtype, flattened, broadcast to `shape`."""
        if sample_weight is None:
            return None
        if (hasattr(sample_weight, "dtype") and "float" in str(sample_weight.dtype)
                and "int" in self._dt.name):
            warnings.warn(
                f"`sample_weight` is float but the metric's dtype is {self._dt.name}: Keras "
                "truncates each weight towards zero (0.5 counts as 0); pass dtype='float32' to "
                "count fractional weights", UserWarning, stacklevel=4)
        weights = _flat(_convert(sample_weight, self._dt, "sample_weight"))
        try:
            return np.broadcast_to(weights, shape)
        except ValueError:
            raise KerasRuntimeError(
                f"`sample_weight` has {weights.size} value(s) after flattening, which does not "
                f"broadcast to the {int(np.prod(shape))} label(s) of `y_true`"
            ) from None

    def _labels(self, values: Any, name: Any) -> Any:
        """Labels for the kernel and whether they are what Keras' conversion gives.

        NumPy integer arrays are passed on unconverted (into an int state of a narrower
        dtype they are converted only if the kernel finds labels outside the classes, which
        might wrap around into them); everything else is converted as Keras converts it.
        """
        dt = self._dt
        if dt.kind not in "iuf" or _is_python(values):
            return _convert(values, dt, name), True
        array = _raw_array(values, name)
        if array.dtype.kind == "f":
            return dt.cast(array), True
        # a float state rounds monotonically: a label outside the classes stays outside
        # (the kernel is used only when the state holds every class exactly)
        unchanged = array.dtype.kind == "b" or dt.kind == "f" or np.can_cast(array.dtype, dt.storage)
        return array, unchanged

    def _count(self, y_true: Any, y_pred: Any, sample_weight: Any) -> Any:
        dt = self._dt
        if dt.kind == "c":
            raise NotImplementedError(
                f"Keras cannot count into a {dt.name} state (torch has no complex comparison); "
                "use a real dtype")
        truth, truth_exact = self._labels(y_true, "y_true")
        pred, pred_exact = self._labels(y_pred, "y_pred")
        truth, pred = _flat(truth), _flat(pred)
        weights = self._sample_weight(sample_weight, truth.shape)
        size = self._scalar(self.num_classes, "num_classes")
        ignore = self._ignore_value()
        shape = _broadcast([(truth.shape, "y_true"), (pred.shape, "y_pred")])
        if len(shape) == 0:
            raise KerasIndexError("`y_true` and `y_pred` are both scalars: Keras stacks them into "
                                  "pairs along axis 1, which a scalar does not have")
        if self._use_kernel and truth.shape == pred.shape and self._kernel_fits(size, truth, pred):
            counts = self._count_kernel(truth, pred, weights, ignore, truth_exact and pred_exact)
            if counts is not None:
                return counts
        return self._count_numpy(dt.cast(truth), dt.cast(pred), weights, size, ignore, shape)

    def _kernel_fits(self, size: Any, truth: Any, pred: Any) -> Any:
        """Whether fastiou's kernel can count these labels exactly as Keras does: an integer
        state, or a float state that holds every class exactly."""
        dt = self._dt
        if truth.dtype.kind not in "biu" or pred.dtype.kind not in "biu" or self._size == 0:
            return False
        if dt.kind == "f":
            return self._size <= 2 ** dt.precision and size == self._size
        return dt.kind in "iu"

    def _count_kernel(self, truth: Any, pred: Any, weights: Any, ignore: Any, exact: Any) -> Any:
        """The update's matrix from fastiou's kernel, or None where it might differ from
        Keras' (the NumPy path then counts)."""
        dt = self._dt
        if weights is not None:
            weights = self._kernel_weights(weights)
            if weights is None:
                return None
        kernel_ignore = self._kernel_ignore(ignore)
        try:
            counts = count_pairs(truth, pred, self._size, ignore_index=kernel_ignore,
                                 sample_weight=weights, out_of_range="ignore")
        except ValueError:
            if weights is None:
                raise
            return None  # negative or non-finite weights: the kernel refuses them, Keras does not
        if (counts.n_bad_true or counts.n_bad_pred) and not exact:
            # labels outside the classes might wrap around into them in the state dtype
            counts = count_pairs(dt.cast(truth), dt.cast(pred), self._size, ignore_index=kernel_ignore,
                                 sample_weight=weights, out_of_range="ignore")
        return self._from_counts(counts.matrix, weighted=weights is not None)

    def _kernel_weights(self, weights: Any) -> Any:
        """Weights whose float64 sums in the kernel are exact (whole numbers, every sum below
        2**53 and, in a float state, below 2**p), or None. Negative and non-finite weights
        are left to the kernel's own check (it refuses them; the NumPy path then counts)."""
        dt = self._dt
        if weights.size == 0:
            return weights.astype(np.float64)
        if dt.kind == "f":
            values = weights.astype(np.float64)
            with np.errstate(invalid="ignore"):
                if (values != np.trunc(values)).any():
                    return None
            limit = 2.0 ** dt.precision
        else:  # the dtype's range bounds the sums: no pass over the weights when they fit
            values = weights
            info = np.iinfo(values.dtype)
            limit = 2.0 ** 53
            if max(-float(info.min), float(info.max)) * weights.size < limit:
                return values
        if float(np.abs(values).max()) * weights.size >= limit:
            return None
        return values

    def _from_counts(self, matrix: Any, weighted: Any) -> Any:
        """A matrix of counts (int64) or of whole-number weight sums (float64) as the
        update's matrix in the state dtype."""
        dt = self._dt
        if dt.kind == "f":
            if not weighted:  # adding 1.0 one by one stops at 2**p
                matrix = np.minimum(matrix, 2 ** dt.precision)
            return dt.cast(matrix.astype(np.float64))
        if weighted:
            matrix = matrix.astype(np.int64)
        return matrix.astype(dt.storage)  # wraps around as Keras' int state does

    def _count_numpy(self, truth: Any, pred: Any, weights: Any, size: Any, ignore: Any, shape: Any) -> Any:
        """Keras' update replayed in NumPy on labels in the state dtype: the reference for
        every input (and the path for what the kernel cannot count exactly)."""
        dt = self._dt
        if self._size == 0 and np.prod(shape) > 0:
            raise KerasIndexError("`num_classes` is 0: Keras adds every pair (a dropped one with "
                                  "weight 0 at cell (0, 0)) to a 0x0 matrix")
        valid = (truth >= 0) & (truth < size) & (pred >= 0) & (pred < size)
        if ignore is not None:
            valid &= truth != ignore
        valid = np.broadcast_to(valid, shape)
        rows = np.broadcast_to(truth, shape)[valid].astype(np.int64)
        cols = np.broadcast_to(pred, shape)[valid].astype(np.int64)
        cells = rows * self._size + cols
        n_cells = self._size * self._size
        if weights is None:
            counts = np.bincount(cells, minlength=n_cells).reshape(self._size, self._size)
            return self._from_counts(counts, weighted=False)
        values = np.broadcast_to(np.broadcast_to(weights, truth.shape), shape)[valid]
        if dt.kind == "b":
            matrix = np.zeros(n_cells, bool)
            matrix[cells[values]] = True
        elif dt.kind == "f":  # one rounded addition a pair, in order, as torch's scatter loop
            matrix = np.zeros(n_cells, dt.storage)
            with np.errstate(over="ignore", invalid="ignore"):
                np.add.at(matrix, cells, values)
        else:  # exact modulo 2**64, then wrapped to the dtype
            matrix = np.zeros(n_cells, np.int64)
            np.add.at(matrix, cells, values.astype(np.int64))
            matrix = matrix.astype(dt.storage)
        return matrix.reshape(self._size, self._size)

    def _count_scores(self, y_true: Any, y_pred: Any, sample_weight: Any) -> Any:
        """Dense `y_pred` counted by the kernel with the argmax fused in (and a one-hot
        `y_true` read by it too), or None where that path does not apply."""
        dt = self._dt
        if (not self._use_kernel or self.sparse_y_pred or sample_weight is not None
                or _is_python(y_pred) or _is_python(y_true)
                or dt.kind not in "iuf" or isinstance(self.axis, (bool, np.bool_))
                or not isinstance(self.axis, numbers.Integral)
                or (dt.kind == "f" and self._size > 2 ** dt.precision) or self._size < 2):
            return None
        scores = _raw_array(y_pred, "y_pred")
        if scores.dtype not in (np.float16, np.float32, np.float64) or not -scores.ndim <= self.axis < scores.ndim:
            return None
        if scores.shape[self.axis] != self._size or self._scalar(self.num_classes, "num_classes") != self._size:
            return None
        truth = _raw_array(y_true, "y_true")
        if not self.sparse_y_true:  # one-hot rows the kernel checks; anything else is argmaxed
            if self.ignore_class is not None or truth.shape != scores.shape or truth.dtype.kind not in "biuf":
                return None
            try:
                counts = count_pairs(truth, scores, self._size, axis=self.axis, out_of_range="ignore")
            except ValueError:  # rows that are not one-hot: Keras' argmax decides
                return None
            return self._from_counts(counts.matrix, weighted=False)
        label_shape = scores.shape[:self.axis % scores.ndim] + scores.shape[self.axis % scores.ndim + 1:]
        if truth.dtype.kind not in "biu" or truth.size != int(np.prod(label_shape, dtype=np.int64)):
            return None
        counts = count_pairs(truth.reshape(label_shape), scores, self._size,
                             ignore_index=self._kernel_ignore(self._ignore_value()), axis=self.axis,
                             out_of_range="ignore")
        if counts.n_bad_true and not (truth.dtype.kind == "b" or dt.kind == "f"
                                      or np.can_cast(truth.dtype, dt.storage)):
            return None  # labels outside the classes might wrap around into them
        return self._from_counts(counts.matrix, weighted=False)


def _target_indices(target_class_ids: Any, size: Any) -> Any:
    """Keras' ``take_along_axis`` of the ids (converted to int32): a negative id counts from
    the end, and torch wraps once more; anything else indexes outside the matrix."""
    ids: Any = list(target_class_ids)
    if size == 0 and ids:
        raise KerasRuntimeError("`num_classes` is 0: there is no class to take the IoU of "
                                "(Keras' torch backend fails dividing by the size 0)")
    if all(type(i) is int and -2 ** 31 <= i < 2 ** 31 for i in ids):
        ids = np.array(ids, dtype=np.int64)
    else:
        ids = _convert(ids, _INT32, "target_class_ids").astype(np.int64)
    ids = np.where(ids < 0, ids + size, ids)
    wrapped = np.where(ids < 0, ids + size, ids)
    bad = (wrapped < 0) | (wrapped >= size)
    if bad.any():
        raise KerasIndexError(
            f"target class id {list(target_class_ids)[int(np.argmax(bad))]!r} is outside the "
            f"{size} classes (Keras reads memory outside the matrix for ids below "
            f"-2 * num_classes; fastiou refuses them)"
        )
    return wrapped


def _sum_axis(matrix: Any, axis: Any, dt: Any) -> Any:
    """``keras.ops.sum(matrix, axis)`` cast back to the dtype: exact modular sums for ints."""
    if dt.kind == "f":
        return _sum_columns_torch(matrix, dt) if axis == 0 else _sum_rows_torch(matrix, dt)
    return matrix.sum(axis=axis, dtype=np.int64).astype(dt.storage)


def _result(matrix: Any, dt: Any, target_class_ids: Any, axis: Any) -> KerasResult:
    """Keras' ``IoU.result()`` on a state matrix (float32, bit for bit)."""
    size = matrix.shape[0]
    if dt.kind == "b":
        raise KerasRuntimeError("Keras cannot compute the result of a bool state: torch refuses to "
                                "subtract bool tensors; use an int or float dtype")
    if dt.kind == "c":
        warnings.warn("Casting complex values to real discards the imaginary part", UserWarning,
                      stacklevel=3)
        matrix = matrix.real.copy()
        dt = _Dtype(dt.name.replace("complex128", "float64").replace("complex64", "float32"))
    with np.errstate(over="ignore", invalid="ignore"):
        columns = _sum_axis(matrix, 0, dt)
        rows = _sum_axis(matrix, 1, dt)
        true_positives = np.diagonal(matrix).copy()
        denominator = columns + rows - true_positives
    ids = _target_indices(target_class_ids, size)
    denominator = denominator[ids].astype(np.float32)
    true_positives = true_positives[ids].astype(np.float32)
    eps = np.float32(epsilon())
    valid = denominator > np.float32(1e-9)
    n_valid = np.float32(np.count_nonzero(valid))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        iou = np.where(valid, true_positives / (denominator + eps), np.float32(0.0)).astype(np.float32)
        total = _reduce_iou(iou, axis)
        return np.float32(total / (n_valid + eps)) if np.ndim(total) == 0 else (total / (n_valid + eps))


def _reduce_iou(iou: Any, axis: Any) -> Any:
    """``keras.ops.sum(iou, axis)`` of the per-class vector (torch: -1, 0, None, or a tuple)."""
    if isinstance(axis, (tuple, list)):
        if len(axis) == 0:
            return iou
        dims = [_vector_axis(a) for a in axis]
        if len(set(dims)) != len(dims):
            raise KerasRuntimeError(f"`axis`={axis!r} names dimension 0 more than once")
        return _sum_float32_torch(iou)
    if axis is not None:
        _vector_axis(axis)
    return _sum_float32_torch(iou)


def _vector_axis(axis: Any) -> Any:
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"`axis` must be an int, a tuple of ints or None, got {type(axis).__name__} {axis!r}")
    if axis not in (-1, 0):
        raise KerasIndexError(
            f"`axis`={axis}: Keras' result() sums the vector of per-class IoUs over `axis`, so "
            "only -1, 0 or None work there (dense inputs with another class axis make Keras fail)"
        )
    return 0


class MeanIoU(IoU):
    """``keras.metrics.MeanIoU``: :class:`IoU` over every class.

    Parameters
    ----------
    num_classes : int
    name, dtype, ignore_class, sparse_y_true, sparse_y_pred, axis
        As :class:`IoU`.

    Examples
    --------
    >>> from fastiou.compat.keras import MeanIoU
    >>> m = MeanIoU(num_classes=2)
    >>> m([0, 0, 1, 1], [0, 1, 0, 1])
    np.float32(0.33333334)
    >>> m.reset_state()
    >>> m([0, 0, 1, 1], [0, 1, 0, 1], sample_weight=[0.5, 1, 1, 1])  # 0.5 counts as 0
    np.float32(0.16666667)
    """

    _CONFIG_KEYS: "tuple[str, ...]" = ("num_classes", "name", "dtype", "ignore_class", "sparse_y_true", "sparse_y_pred", "axis")

    def __init__(self, num_classes: int, name: Optional[str] = None, dtype: Any = None,
                 ignore_class: Optional[int] = None, sparse_y_true: bool = True, sparse_y_pred: bool = True,
                 axis: Union[int, tuple[int, ...], None] = -1) -> None:
        try:
            target_class_ids = list(range(num_classes))
        except TypeError:
            raise TypeError(f"`num_classes` must be an int, got {type(num_classes).__name__} "
                            f"{num_classes!r}") from None
        super().__init__(num_classes, target_class_ids, name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=sparse_y_true,
                         sparse_y_pred=sparse_y_pred, axis=axis)



class BinaryIoU(IoU):
    """``keras.metrics.BinaryIoU``: predictions ``>= threshold`` (in float32) are class 1.

    Parameters
    ----------
    target_class_ids : sequence of int
        ``[0]``, ``[1]`` or ``[0, 1]`` (default), as :class:`IoU`.
    threshold : float
        `y_pred` (converted to float32) ``>= float32(threshold)`` is class 1, otherwise 0
        (NaN is 0).
    name, dtype
        As :class:`IoU`.

    Examples
    --------
    >>> from fastiou.compat.keras import BinaryIoU
    >>> m = BinaryIoU(target_class_ids=[0, 1], threshold=0.3)
    >>> m([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7])
    np.float32(0.33333334)
    """

    _CONFIG_KEYS: "tuple[str, ...]" = ("target_class_ids", "threshold", "name", "dtype")

    def __init__(self, target_class_ids: Sequence[int] = (0, 1), threshold: float = 0.5,
                 name: Optional[str] = None, dtype: Any = None) -> None:
        super().__init__(2, target_class_ids, name=name, dtype=dtype)
        self.threshold = threshold

    def _threshold32(self) -> Any:
        value = self.threshold
        if _is_tensor(value):
            value = _tensor_array(value, "threshold")
        if isinstance(value, (str, bytes)) or value is None or np.ndim(value) != 0:
            raise TypeError(f"`threshold` must be a number, got {type(self.threshold).__name__} "
                            f"{self.threshold!r}")
        try:
            return np.float32(value)
        except (TypeError, ValueError):
            raise TypeError(f"`threshold` must be a number, got {type(self.threshold).__name__} "
                            f"{self.threshold!r}") from None

    def update_state(self, y_true: ArrayLike, y_pred: ArrayLike,
                     sample_weight: Optional[ArrayLike] = None) -> npt.NDArray[Any]:
        """Threshold `y_pred` (float32 ``>= threshold``) and count the batch.

        Parameters
        ----------
        y_true : array_like
            0/1 labels (converted to the metric's dtype as Keras converts them).
        y_pred : array_like
            Probabilities or logits, converted to float32 first.
        sample_weight : array_like, optional
            As :meth:`IoU.update_state`.

        Returns
        -------
        ndarray
            A copy of the updated 2x2 confusion matrix.

        Examples
        --------
        >>> from fastiou.compat.keras import BinaryIoU
        >>> BinaryIoU().update_state([0, 1, 1], [0.5, 0.5, 0.2])
        array([[0, 1],
               [1, 1]], dtype=int32)
        """
        truth, exact = self._labels(y_true, "y_true")
        probabilities = _convert(y_pred, _FLOAT32, "y_pred")
        threshold = self._threshold32()
        if (self._use_kernel and sample_weight is None and self._dt.kind in "iu" and probabilities.ndim
                and truth.size == probabilities.size and np.isfinite(threshold)
                and threshold > -np.finfo(np.float32).max):
            below = np.nextafter(threshold, np.float32(-np.inf))  # p >= t  <=>  p > below
            counts = count_pairs(truth.reshape(probabilities.shape), probabilities, 2,
                                 threshold=float(below), out_of_range="ignore")
            if exact or not counts.n_bad_true:
                return cast("npt.NDArray[Any]", self._add(self._from_counts(counts.matrix, weighted=False)))
        with np.errstate(invalid="ignore"):
            pred = self._dt.cast(probabilities >= threshold)
        return cast("npt.NDArray[Any]", self._add(self._count(truth, pred, sample_weight)))



class OneHotIoU(IoU):
    """``keras.metrics.OneHotIoU``: `y_true` argmaxed over `axis` (one-hot), dense `y_pred`.

    Parameters
    ----------
    num_classes : int
    target_class_ids : sequence of int
    name, dtype, ignore_class, sparse_y_pred, axis
        As :class:`IoU` (`sparse_y_true` is always False).

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.compat.keras import OneHotIoU
    >>> m = OneHotIoU(num_classes=3, target_class_ids=[0, 2], dtype="float32")
    >>> m(np.array([[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0]]),
    ...   np.array([[0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.5, 0.3, 0.1], [0.1, 0.4, 0.5]]),
    ...   sample_weight=[0.1, 0.2, 0.3, 0.4])
    np.float32(0.07142855)
    """

    _CONFIG_KEYS: "tuple[str, ...]" = ("num_classes", "target_class_ids", "name", "dtype", "ignore_class", "sparse_y_pred",
                    "axis")

    def __init__(self, num_classes: int, target_class_ids: Sequence[int], name: Optional[str] = None,
                 dtype: Any = None, ignore_class: Optional[int] = None, sparse_y_pred: bool = False,
                 axis: Union[int, tuple[int, ...], None] = -1) -> None:
        super().__init__(num_classes, target_class_ids, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)



class OneHotMeanIoU(MeanIoU):
    """``keras.metrics.OneHotMeanIoU``: :class:`OneHotIoU` over every class.

    Parameters
    ----------
    num_classes : int
    name, dtype, ignore_class, sparse_y_pred, axis
        As :class:`IoU` (`sparse_y_true` is always False).

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.compat.keras import OneHotMeanIoU
    >>> m = OneHotMeanIoU(num_classes=3)
    >>> m(np.eye(3)[[2, 0, 1, 0]], np.array([[0.2, 0.3, 0.5], [0.1, 0.2, 0.7],
    ...                                      [0.5, 0.3, 0.1], [0.1, 0.4, 0.5]]))
    np.float32(0.11111111)
    """

    _CONFIG_KEYS: "tuple[str, ...]" = ("num_classes", "name", "dtype", "ignore_class", "sparse_y_pred", "axis")

    def __init__(self, num_classes: int, name: Optional[str] = None, dtype: Any = None,
                 ignore_class: Optional[int] = None, sparse_y_pred: bool = False,
                 axis: Union[int, tuple[int, ...], None] = -1) -> None:
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

