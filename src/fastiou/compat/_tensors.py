"""Shared by the torch-based box profiles (``compat.torchvision``, ``compat.mmdet``): torch
tensors in and out, and the few torch operations those peers use, on NumPy arrays with
torch's dtype rules.

The fast path is the ``_compat_boxes`` kernel, for two inputs of one dtype, float32 or
float64. Anything else (integer or float16 boxes, two different dtypes) is computed here,
operation by operation as torch does it: torch's type promotion (an integer tensor with a
float tensor takes the float tensor's dtype, ``int / int`` is float32, a Python float with
an integer tensor is float32), integer arithmetic that wraps, ``maximum``/``minimum`` that
propagate NaN, ``clamp(min=0)`` that keeps NaN. NumPy's float16 operations round each
result to float16 as torch's CPU half operations do, so those match too.
"""

import functools
import math
import sys
from collections.abc import Callable, Iterable
from typing import Any, Optional, cast

import numpy as np
import numpy.typing as npt

from fastiou._shared._threads import default_threads_for_size
from fastiou._shared._validation import as_array, native_order
from fastiou.compat import _compat_boxes
from fastiou.detection.boxes import MIN_BOX_PAIRS_PER_THREAD

DEFAULT_FLOAT = np.dtype(np.float32)  # torch.get_default_dtype() as shipped


def unwrap(values: object, name: str) -> npt.NDArray[Any]:
    """`values` as an ndarray (a tensor is detached and brought to the CPU, no copy for a
    CPU tensor). bfloat16 tensors are refused: NumPy has no bfloat16 arithmetic."""
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(values, torch.Tensor):
        try:
            array: npt.NDArray[Any] = values.numpy()  # a plain CPU tensor: no copy, the quickest way
        except (RuntimeError, TypeError):  # grad, another device, conj/neg bit, bfloat16
            if values.dtype == torch.bfloat16:
                raise TypeError(
                    f"`{name}` is a bfloat16 tensor: fastiou.compat cannot reproduce bfloat16 "
                    "arithmetic; convert it with .float() first"
                ) from None
            array = values.detach().cpu().resolve_conj().resolve_neg().numpy()
        if array.dtype.kind not in "biuf":
            raise TypeError(f"`{name}` must hold real numbers, got a {values.dtype} tensor")
        return array
    array = as_array(values, name, "a tensor or array-like")
    if array.dtype.kind not in "biuf":
        raise TypeError(f"`{name}` must hold real numbers, got dtype {array.dtype}")
    return native_order(array)


def wrap(result: npt.NDArray[Any], like: Iterable[object]) -> Any:
    """`result` as a tensor on the device of the first tensor in `like`, else as it is."""
    torch = sys.modules.get("torch")
    if torch is None:
        return result
    for value in like:
        if isinstance(value, torch.Tensor):
            if type(result) is not np.ndarray or not result.flags.c_contiguous:
                result = np.array(result, order="C")
            tensor = torch.from_numpy(result)
            return tensor if value.is_cpu else tensor.to(value.device)
    return result


def threads_for(n_pairs: int) -> int:
    """Threads for `n_pairs` box pairs, by fastiou's own box rule (``n_threads=None``)."""
    return default_threads_for_size(n_pairs, MIN_BOX_PAIRS_PER_THREAD)


def core_iou(first: npt.NDArray[Any], second: npt.NDArray[Any], offset: float, min_area: float = 0.0) -> Optional[npt.NDArray[Any]]:
    """fastiou's own IoU of two ``(N, 4)`` / ``(M, 4)`` float arrays of one dtype when every
    box is regular (``_compat_boxes.regular_iou``): bit-identical to the peers' formulas
    there, and faster (its sparse division, its small-call path). None otherwise."""
    if first.ndim != 2 or second.ndim != 2:
        return None
    return _compat_boxes.regular_iou(first, second, offset, min_area,
                                     threads_for(first.shape[0] * second.shape[0]))


def _category(dtype: np.dtype[Any]) -> int:
    return 0 if dtype.kind == "b" else (1 if dtype.kind in "iu" else 2)


def promote(first: npt.DTypeLike, second: npt.DTypeLike) -> np.dtype[Any]:
    """torch.promote_types for two tensors' dtypes."""
    a, b = np.dtype(first), np.dtype(second)
    ca, cb = _category(a), _category(b)
    if ca != cb:
        return a if ca > cb else b
    return np.promote_types(a, b)


def upcast(array: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """torchvision's ``_upcast``: float16 to float32, integers narrower than 32 bits (and
    bool) to int32; float32, float64, int32 and int64 unchanged."""
    if array.dtype.kind == "f":
        return array if array.dtype.itemsize >= 4 else array.astype(np.float32)
    if array.dtype in (np.int32, np.int64):
        return array
    return array.astype(np.int32)


def _binary(a: npt.NDArray[Any], b: npt.NDArray[Any], op: Callable[..., npt.NDArray[Any]]) -> npt.NDArray[Any]:
    """`op` in torch's promoted dtype; shapes that do not broadcast raise RuntimeError, as
    in torch."""
    dtype = promote(a.dtype, b.dtype)
    with np.errstate(all="ignore"):
        a = np.asarray(a, dtype=dtype)
        b = np.asarray(b, dtype=dtype)
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise RuntimeError(f"shapes {a.shape} and {b.shape} do not broadcast") from None
    with np.errstate(all="ignore"):
        return op(a, b)


def add(a: npt.NDArray[Any], b: npt.NDArray[Any]) -> npt.NDArray[Any]:
    if a.dtype.kind == "b" and b.dtype.kind == "b":
        return _binary(a, b, np.logical_or)
    return _binary(a, b, np.add)


def sub(a: npt.NDArray[Any], b: npt.NDArray[Any]) -> npt.NDArray[Any]:
    if a.dtype.kind == "b" and b.dtype.kind == "b":
        raise RuntimeError("subtraction of two bool tensors is not supported (torch refuses it)")
    return _binary(a, b, np.subtract)


def mul(a: npt.NDArray[Any], b: npt.NDArray[Any]) -> npt.NDArray[Any]:
    if a.dtype.kind == "b" and b.dtype.kind == "b":
        return _binary(a, b, np.logical_and)
    return _binary(a, b, np.multiply)


def truediv(a: npt.NDArray[Any], b: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """torch's ``/``: integer (and bool) operands become the default float dtype."""
    dtype = promote(a.dtype, b.dtype)
    if dtype.kind != "f":
        dtype = DEFAULT_FLOAT
    with np.errstate(all="ignore"):
        a = np.asarray(a, dtype=dtype)
        b = np.asarray(b, dtype=dtype)
    return _binary(a, b, np.true_divide)


def maximum(a: npt.NDArray[Any], b: npt.NDArray[Any]) -> npt.NDArray[Any]:
    return _binary(a, b, np.maximum)


def minimum(a: npt.NDArray[Any], b: npt.NDArray[Any]) -> npt.NDArray[Any]:
    return _binary(a, b, np.minimum)


def clamp0(a: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """``clamp(min=0)``: NaN stays NaN."""
    return np.where(a < 0, a.dtype.type(0), a)


def with_scalar(a: npt.NDArray[Any], value: float, op: Callable[..., npt.NDArray[Any]]) -> npt.NDArray[Any]:
    """`op` of a tensor and a Python float: the tensor's dtype if it is a float tensor,
    else the default float dtype; the float is rounded to that dtype first."""
    dtype = a.dtype if a.dtype.kind == "f" else DEFAULT_FLOAT
    with np.errstate(all="ignore"):
        return op(np.asarray(a, dtype=dtype), dtype.type(value))


def square(a: npt.NDArray[Any]) -> npt.NDArray[Any]:
    with np.errstate(all="ignore"):
        return cast("npt.NDArray[Any]", a * a)


def torch_atan(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """``torch.atan`` of a float32 or float64 array. torch's atan (SLEEF on vector CPUs) and
    NumPy's differ in the last bit for a few percent of arguments, so torch's own function
    is used when torch can be imported; otherwise NumPy's (then CIoU can differ from
    torchvision by a few units in the last place)."""
    torch = sys.modules.get("torch")
    if torch is None:
        try:
            import torch
        except ImportError:
            torch = None
    if torch is None:
        with np.errstate(all="ignore"):
            return cast("npt.NDArray[Any]", np.arctan(values))
    return cast("npt.NDArray[Any]", torch.atan(torch.from_numpy(np.ascontiguousarray(values))).numpy())


@functools.lru_cache(maxsize=None)
def _largest(dtype: np.dtype[Any]) -> float:
    """The largest finite value of a float dtype (``np.finfo`` costs a microsecond a call)."""
    return float(np.finfo(dtype).max)


def scalar_tensor(value: float, dtype: npt.DTypeLike) -> Any:
    """A Python number as torch makes it a tensor of `dtype` (``tensor.new_tensor([v])``):
    floats round to the dtype (inf beyond its range); integer dtypes truncate, and a
    non-finite value or one out of the dtype's range raises RuntimeError, as torch."""
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        if abs(value) <= _largest(dtype) or value != value:
            return dtype.type(value)  # type: ignore[call-overload]
        with np.errstate(over="ignore"):
            return np.asarray(value, dtype=dtype)
    if not math.isfinite(value):
        raise RuntimeError(f"{value} cannot be converted to {dtype} (torch refuses it)")
    number = int(value)
    info = np.iinfo(dtype)
    if not info.min <= number <= info.max:
        raise RuntimeError(f"{value} cannot be converted to {dtype} without overflow (torch refuses it)")
    return np.asarray(number, dtype=dtype)


def check_eps(eps: Any, name: str = "eps") -> float:
    """A real number, as torch takes it (bool and ints included)."""
    try:
        return float(eps)
    except (TypeError, ValueError):
        raise TypeError(f"`{name}` must be a real number, got {type(eps).__name__} {eps!r}") from None
