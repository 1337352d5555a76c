"""Input checks and one-time conversions shared by the public wrappers.

Everything here either returns arrays the kernels can take as they are (native byte order,
one integer dtype for both label arrays, 1-D contiguous, flattened in the same element
order) or raises a ``TypeError``/``ValueError`` that names the argument, says what was
expected and what arrived. Input arrays are never written to.
"""

from __future__ import annotations

import numbers
import os
import sys
from collections.abc import Iterable
from typing import Any, TypeGuard, cast

import numpy as np
import numpy.typing as npt

from fastiou._shared._typing import FloatArray

INT64_MAX = np.iinfo(np.int64).max

# torch dtypes NumPy holds as they are, by name (torch is never imported by fastiou)
TORCH_NUMPY_DTYPES = frozenset(
    "torch." + dtype for dtype in ("bool", "uint8", "int8", "uint16", "int16", "uint32", "int32",
                                   "uint64", "int64", "float16", "float32", "float64")
)


def check_num_classes(num_classes: object, name: str = "num_classes") -> int:
    """Return `num_classes` as a positive Python int."""
    if isinstance(num_classes, (bool, np.bool_)) or not isinstance(num_classes, numbers.Integral):
        raise TypeError(
            f"`{name}` must be a positive int, got {type(num_classes).__name__} {num_classes!r}"
        )
    if num_classes <= 0:
        raise ValueError(f"`{name}` must be a positive int, got {num_classes}")
    return int(num_classes)


def available_memory_bytes() -> int | None:
    """Memory this process can still get, from /proc/meminfo (MemAvailable), else physical RAM.

    Reads only the head of the file, as bytes (a few microseconds)."""
    try:
        fd = os.open("/proc/meminfo", os.O_RDONLY)
        try:
            head = os.read(fd, 1024)
        finally:
            os.close(fd)
        start = head.find(b"MemAvailable:")
        if start >= 0:
            return int(head[start + len(b"MemAvailable:"):head.index(b"kB", start)]) * 1024
    except (OSError, ValueError):
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _format_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024:
            return f"{n:.1f} {unit}" if unit != "B" else f"{n} B"
        n /= 1024
    return f"{n:.1f} PiB"


# Tables smaller than this in all need no look at free memory (reading it costs ~30 us).
UNCHECKED_TABLE_BYTES = 1 << 28


def check_matrix_fits(num_classes: int, n_threads: int, itemsize: int = 8,
                      table_itemsize: int | None = None) -> int:
    """Return the number of threads whose private tables fit in memory with the result.

    The result holds `itemsize` bytes a count, each thread's private table
    `table_itemsize` (default: the same; 2 for the uint16 tables of many classes). Raise
    ``ValueError`` (saying how much it would need) when not even the result matrix and a
    working copy of it fit.
    """
    matrix_bytes = num_classes * num_classes * itemsize
    table_bytes = num_classes * num_classes * (table_itemsize or itemsize)
    if matrix_bytes + table_bytes * n_threads <= UNCHECKED_TABLE_BYTES:
        return n_threads
    available = available_memory_bytes()
    if available is None:
        return n_threads
    if 2 * matrix_bytes > available:
        raise ValueError(
            f"`num_classes`={num_classes} needs a {num_classes}x{num_classes} matrix of "
            f"{_format_bytes(matrix_bytes)} plus a working copy of the same size "
            f"({_format_bytes(2 * matrix_bytes)} in all), but only {_format_bytes(available)} "
            "of memory is available"
        )
    fitting = (available // 2 - matrix_bytes) // table_bytes
    return int(max(1, min(n_threads, fitting)))


def check_per_image_fits(n_images: int, table_entries: int, itemsize: int = 8) -> None:
    """Raise ``ValueError`` when `n_images` result tables of `table_entries` counts each do
    not fit in the memory available."""
    needed = n_images * table_entries * itemsize
    if needed <= UNCHECKED_TABLE_BYTES:
        return
    available = available_memory_bytes()
    if available is not None and needed > available:
        raise ValueError(
            f"`per_image=True` needs {n_images} tables of {table_entries} counts "
            f"({_format_bytes(needed)}), but only {_format_bytes(available)} of memory is available; "
            "count fewer images at a time"
        )


def is_tensor(values: object) -> TypeGuard[Any]:
    """Whether `values` is a torch tensor (or of a subclass), without importing torch: torch is
    looked up in ``sys.modules``, and without it loaded no object can be a tensor."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(values, torch.Tensor)


def tensor_as_numpy(values: object, name: str) -> object:
    """Return `values` itself, or, for a torch tensor, a read-only NumPy array of its data.

    A tensor that requires grad is detached (no copy); a tensor on another device (CUDA,
    MPS, ...) is copied to host memory (``Tensor.cpu()``); a CPU tensor's memory is shared,
    not copied (``Tensor.numpy()``). The array is read-only, so nothing fastiou does can
    write into the caller's tensor. torch is looked up in ``sys.modules``, never imported:
    without it loaded, no object can be a tensor.

    Parameters
    ----------
    values : object
        Anything; only a ``torch.Tensor`` (or a subclass of it) is converted.
    name : str
        The argument name the error messages give.

    Returns
    -------
    object or ndarray
        `values` unchanged when it is not a tensor, else an ndarray of the tensor's dtype
        and shape (strides kept).

    Raises
    ------
    TypeError
        A sparse tensor, a tensor on the meta device (it holds no data), or a dtype NumPy
        has no equivalent for (bfloat16, float8, quantized) or fastiou does not take
        (complex); the message names the argument, the tensor's dtype and what to pass.
    """
    if not is_tensor(values):
        return values
    torch: Any = sys.modules["torch"]
    tensor: Any = values
    if tensor.layout != torch.strided:
        raise TypeError(f"`{name}` is a torch tensor with layout {tensor.layout}; pass a dense "
                        "tensor (`tensor.to_dense()`)")
    dtype = str(tensor.dtype)
    if dtype not in TORCH_NUMPY_DTYPES:
        raise TypeError(f"`{name}` is a torch tensor of dtype {dtype}, {_tensor_dtype_hint(tensor)}")
    if tensor.device.type == "meta":
        raise TypeError(f"`{name}` is a torch tensor on the meta device, which holds no data; pass "
                        "a tensor with data (on the CPU or any other device)")
    if tensor.requires_grad:
        tensor = tensor.detach()
    if tensor.device.type != "cpu":
        tensor = tensor.cpu()
    if tensor.is_neg():  # a lazy negation view (torch._neg_view) NumPy cannot read
        tensor = tensor.resolve_neg()
    try:
        array = tensor.numpy()
    except (TypeError, RuntimeError) as exc:  # e.g. a tensor subclass without storage
        raise TypeError(f"`{name}` is a torch tensor NumPy cannot read ({exc}); pass a plain CPU "
                        "tensor or an ndarray") from exc
    array.flags.writeable = False
    return array


def _tensor_dtype_hint(tensor: Any) -> str:
    """What to pass instead of a tensor whose dtype NumPy or fastiou cannot take."""
    if tensor.is_quantized:
        return ("which NumPy cannot hold; pass `tensor.dequantize()` (its float values) or "
                "`tensor.int_repr()` (its integer codes)")
    if tensor.is_complex():
        return "but fastiou takes real numbers; pass `tensor.real` or `tensor.abs()`"
    if tensor.is_floating_point():
        return (f"which NumPy cannot hold; pass `tensor.float()` (float32 holds every "
                f"{tensor.dtype} value exactly)")
    return ("which NumPy cannot hold; pass a tensor of dtype bool, (u)int8/16/32/64 or "
            "float16/32/64")


def check_counts(values: npt.ArrayLike, name: str) -> npt.NDArray[Any]:
    """Return `values` as an array of counts: real numbers (bool, int or float dtype, kept),
    finite and non-negative; `name` is the argument named in the error."""
    counts = as_array(values, name, "an array of counts")
    if counts.dtype.kind not in "biuf":
        raise TypeError(f"`{name}` must hold real numbers, got dtype {counts.dtype}")
    if (counts.dtype.kind == "f" and not np.isfinite(counts).all()) or \
            (counts.dtype.kind in "if" and (counts < 0).any()):
        raise ValueError(f"`{name}` must hold finite, non-negative counts")
    return counts


def bool_as_uint8(array: npt.NDArray[np.bool_]) -> npt.NDArray[np.uint8]:
    """A bool array as uint8 0/1: viewed when its bytes are 0 and 1 (NumPy's own bools), converted
    when not (Pillow's mode "1" images give bools stored as bytes 0/255, which a view would read
    as 255)."""
    view = array.view(np.uint8)
    return array.astype(np.uint8) if view.size and view.max() > 1 else view


def as_label_array(values: npt.ArrayLike, name: str) -> npt.NDArray[np.integer[Any]]:
    """Return `values` as an ndarray of a native-order integer dtype (bool as uint8 0/1)."""
    array = as_array(values, name, "an array of integer labels")
    if array.dtype.kind not in "biu":
        raise TypeError(
            f"`{name}` must hold integer or bool labels, got dtype {array.dtype}"
            + (" (round or cast your labels explicitly)" if array.dtype.kind in "fc" else "")
        )
    if array.ndim == 0:
        raise ValueError(f"`{name}` must be an array with at least one dimension, got a 0-d array")
    if array.dtype.kind == "b":
        return bool_as_uint8(array)
    array = native_order(array)
    if not array.flags.aligned:
        # e.g. a buffer unpickled at an odd address: the kernels load labels as typed values
        array = array.copy()
    return array


def native_order(array: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """`array` itself when its byte order is the machine's, else a copy in native order (the
    kernels and the NumPy code after them read values as the machine's numbers)."""
    return array if array.dtype.isnative else array.astype(array.dtype.newbyteorder("="))


def check_same_shape(first: npt.NDArray[Any], second: npt.NDArray[Any], first_name: str = "y_true",
                     second_name: str = "y_pred") -> None:
    if first.shape != second.shape:
        raise ValueError(
            f"`{second_name}` has shape {second.shape} but `{first_name}` has shape {first.shape}; "
            "they must be equal"
        )


def common_label_dtype(first: npt.NDArray[np.integer[Any]], second: npt.NDArray[np.integer[Any]]
                       ) -> tuple[npt.NDArray[np.integer[Any]], npt.NDArray[np.integer[Any]]]:
    """Cast two integer label arrays to one dtype (a copy only of the one that changes).

    ``np.result_type`` gives float64 for uint64 with a signed type: then the signed array
    goes to uint64 when it holds no negative value, otherwise uint64 values above the int64
    range (out of range for any feasible class count) are clipped into int64.
    """
    if first.dtype == second.dtype:
        return first, second
    common = np.result_type(first.dtype, second.dtype)
    if common.kind == "f":
        unsigned, signed = (first, second) if first.dtype.kind == "u" else (second, first)
        if signed.size == 0 or signed.min() >= 0:
            signed = signed.astype(np.uint64)
        else:
            unsigned = np.minimum(unsigned, np.uint64(INT64_MAX)).astype(np.int64)
            signed = signed.astype(np.int64)
        return (unsigned, signed) if first.dtype.kind == "u" else (signed, unsigned)
    return first.astype(common, copy=False), second.astype(common, copy=False)


def ignore_values(ignore_index: object, dtype: npt.DTypeLike) -> npt.NDArray[np.integer[Any]]:
    """Return the ignore values representable in `dtype` as a 1-D array of it.

    A value the label dtype cannot hold (255 for int8, -1 for uint8) can match no label,
    so it is left out rather than wrapped around.
    """
    values: list[int] = []
    if isinstance(ignore_index, numbers.Integral) and not isinstance(ignore_index, (bool, np.bool_)):
        values = [int(ignore_index)]
    elif ignore_index is not None:
        try:
            items = list(cast("Iterable[object]", ignore_index))  # a non-iterable raises here
        except TypeError:
            raise TypeError(
                "`ignore_index` must be None, an int or a sequence of ints, "
                f"got {type(ignore_index).__name__} {ignore_index!r}"
            ) from None
        for value in items:
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
                raise TypeError(
                    "`ignore_index` must be None, an int or a sequence of ints, "
                    f"got an element {value!r} of type {type(value).__name__}"
                )
        values = [int(cast(numbers.Integral, v)) for v in items]
    info = np.iinfo(dtype)
    kept = sorted({v for v in values if info.min <= v <= info.max})
    return np.array(kept, dtype=dtype)


def as_sample_weight(sample_weight: npt.ArrayLike, shape: tuple[int, ...], name: str = "sample_weight"
                     ) -> FloatArray:
    """Return float64 weights broadcast to `shape`, checked finite and non-negative."""
    weights = as_array(sample_weight, name, "an array of real numbers")
    if weights.dtype.kind not in "biuf":
        raise TypeError(f"`{name}` must hold real numbers, got dtype {weights.dtype}")
    try:
        weights = np.broadcast_to(weights, shape)
    except ValueError:
        raise ValueError(
            f"`{name}` has shape {weights.shape}, which does not broadcast to the labels' shape {shape}"
        ) from None
    weights = weights.astype(np.float64, copy=False)
    if weights.size:
        if not np.isfinite(weights).all():
            bad = weights[~np.isfinite(weights)].flat[0]
            raise ValueError(f"`{name}` must be finite, got a value {bad}")
        if weights.min() < 0:
            raise ValueError(f"`{name}` must be non-negative, got a value {weights.min()}")
    return weights


def flatten_together(*arrays: npt.NDArray[Any]) -> tuple[npt.NDArray[Any], ...]:
    """Flatten arrays of one shape to contiguous 1-D arrays whose elements stay paired.

    All arrays are transposed by the permutation that puts the first one's strides in
    memory order, then raveled: a view (no copy) for every array laid out like the first
    (C order, Fortran order, transposed), a copy only for one that is not.
    """
    first = arrays[0]
    if first.flags.c_contiguous:  # memory order is C order: no transpose needed
        return tuple(np.ascontiguousarray(a).reshape(-1) for a in arrays)
    order = np.argsort([-abs(s) for s in first.strides], kind="stable")
    return tuple(np.ascontiguousarray(np.transpose(a, order)).reshape(-1) for a in arrays)


def as_array(values: object, name: str, expected: str) -> npt.NDArray[Any]:
    """``np.asarray(values)`` (a torch tensor through :func:`tensor_as_numpy`), or a
    ``TypeError`` saying `expected` when it cannot convert."""
    if type(values) is not np.ndarray:
        values = tensor_as_numpy(values, name)
    try:
        return np.asarray(values)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"`{name}` must be {expected}; could not convert it: {exc}") from exc


def as_flag_array(values: object, name: str, shape: tuple[int, ...], expected: str) -> npt.NDArray[np.uint8]:
    """Bools or integers (non-zero = True) broadcast to `shape`, as C-contiguous uint8 0/1."""
    array = as_array(values, name, "an array of bools")
    if array.size == 0:  # `[]` (float64 to NumPy) for an image without boxes
        array = array.astype(bool)
    if array.dtype.kind not in "biu":
        raise TypeError(f"`{name}` must hold bools or 0/1 integers, got dtype {array.dtype}")
    try:
        array = np.broadcast_to(array, shape)
    except ValueError:
        raise ValueError(f"`{name}` must have {expected} (shape {shape}), got shape {array.shape}") from None
    return np.ascontiguousarray(array != 0, dtype=np.uint8)
