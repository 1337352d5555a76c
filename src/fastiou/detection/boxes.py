"""Public box functions: axis-aligned IoU and its variants, areas, format conversion, and
rotated-box IoU. Validate, convert once, call the kernels in ``_boxes`` and ``_rotated``.

Conventions shared by every function here:

* Boxes are the last axis: ``(..., N, 4)`` (``(..., N, 5)`` for rotated boxes); the
  leading axes of the two inputs broadcast against each other.
* float32 input (and float16, widened) computes and returns float32; float64 and integer
  input compute and return float64 (rotated boxes always compute in float64).
* Widths and heights are clamped at 0; a quotient with a zero denominator is 0 (an empty
  box overlaps nothing); a box with a NaN or infinite coordinate gives NaN in every pair
  it belongs to.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from fastiou._shared._threads import default_threads_for_size, resolve_n_threads, threads_for_size
from fastiou._shared._typing import BoxFormat, BoxMode
from fastiou._shared._validation import as_array, as_flag_array
from fastiou.detection import _boxes, _rotated

__all__ = ["box_area", "box_convert", "box_iou", "rotated_box_iou"]

# float32 (for float32 input) or float64 results
_Floats = npt.NDArray[np.float32 | np.float64]

FORMATS = ("xyxy", "xywh", "cxcywh")
MODES = ("iou", "iof", "giou", "diou", "ciou")
ANGLE_UNITS = ("degrees", "radians")

# Below these many pairs per thread a call runs on fewer threads. A pair of axis-aligned
# boxes takes ~0.25 ns (float32) to ~0.6 ns (float64) on one core, a rotated pair ~100 ns
# when they overlap. 200x200 axis-aligned (2-core Xeon VM): on a quiet machine two threads
# save ~2-3 us of ~10-11 (float32) and ~8 us of ~24 (float64), but on a busy one waking the
# second thread can take a scheduler time slice: medians of 6.6-10.4 ms a call were measured
# with 2 threads while one thread stayed at 13-14 us. So, as for the confusion matrix,
# 2**16 pairs a thread.
MIN_BOX_PAIRS_PER_THREAD = 1 << 16
DEFAULT_EPS = 1e-7  # box_iou's default `eps`
MIN_ROTATED_PAIRS_PER_THREAD = 1 << 9


def _check_choice(value: object, name: str, choices: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"`{name}` must be one of {allowed}, got {value!r}")
    return value


def _check_bool(value: object, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"`{name}` must be True or False, got {type(value).__name__} {value!r}")
    return bool(value)


def _check_real(value: object, name: str, minimum: float | None = None) -> float:
    if type(value) is not float and type(value) is not int:  # plain numbers skip the slow checks
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
            raise TypeError(f"`{name}` must be a real number, got {type(value).__name__} {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"`{name}` must be finite, got {value}")
    if minimum is not None and value < minimum:
        raise ValueError(f"`{name}` must be >= {minimum}, got {value}")
    return value


def _as_boxes(values: npt.ArrayLike, name: str, width: int) -> npt.NDArray[Any]:
    """Return `values` as an ndarray of a real dtype with shape ``(..., N, width)``."""
    array = as_array(values, name, "an array of box coordinates")
    if array.dtype.kind not in "iuf":
        raise TypeError(
            f"`{name}` must hold real numbers (float or integer coordinates), got dtype {array.dtype}"
        )
    if array.ndim < 2 or array.shape[-1] != width:
        hint = f" (for a single box use shape (1, {width}))" if array.ndim == 1 else ""
        raise ValueError(f"`{name}` must have shape (..., N, {width}), got shape {array.shape}{hint}")
    return array


def _result_dtype(first: npt.NDArray[Any], second: npt.NDArray[Any]) -> np.dtype[Any]:
    """float32 when both inputs are float32 or narrower floats, float64 otherwise (native
    byte order)."""
    dtype = first.dtype
    if dtype.char in "fd" and dtype == second.dtype:
        return dtype if dtype.isnative else dtype.newbyteorder("=")
    common = np.result_type(first.dtype, second.dtype)
    if common.kind == "f" and common.itemsize <= 4:
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def _batched(first: npt.NDArray[Any], second: npt.NDArray[Any], dtype: np.dtype[Any], names: tuple[str, str]
             ) -> tuple[tuple[int, ...], npt.NDArray[Any], npt.NDArray[Any]]:
    """Broadcast the leading axes; return ``(batch_shape, (B, N, k), (B, M, k))`` arrays of
    `dtype` (native byte order)."""
    if first.ndim == 2 and second.ndim == 2:
        return ((), np.ascontiguousarray(first, dtype=dtype)[None],
                np.ascontiguousarray(second, dtype=dtype)[None])
    try:
        batch = np.broadcast_shapes(first.shape[:-2], second.shape[:-2])
    except ValueError:
        raise ValueError(
            f"the leading (batch) axes of `{names[0]}` {first.shape[:-2]} and `{names[1]}` "
            f"{second.shape[:-2]} do not broadcast"
        ) from None
    n_batches = int(np.prod(batch, dtype=np.int64))
    arrays = []
    for array in (first, second):
        array = np.ascontiguousarray(np.broadcast_to(array, batch + array.shape[-2:]), dtype=dtype)
        arrays.append(array.reshape((n_batches,) + array.shape[-2:]))
    return batch, arrays[0], arrays[1]


def _check_aligned(first: npt.NDArray[Any], second: npt.NDArray[Any], names: tuple[str, str]) -> None:
    if first.shape[1] != second.shape[1]:
        raise ValueError(
            f"`aligned=True` pairs box i of `{names[0]}` with box i of `{names[1]}`, so they need "
            f"the same number of boxes; got {first.shape[1]} and {second.shape[1]}"
        )


def box_iou(boxes1: npt.ArrayLike, boxes2: npt.ArrayLike, *, fmt: BoxFormat = "xyxy",
            mode: BoxMode = "iou", aligned: bool = False, offset: float = 0, eps: float = DEFAULT_EPS,
            iscrowd: npt.ArrayLike | None = None, n_threads: int | None = None) -> _Floats:
    """Overlap of every box of `boxes1` with every box of `boxes2` (IoU and its variants).

    Parameters
    ----------
    boxes1 : array_like, shape (..., N, 4)
        Boxes in `fmt`. float32 stays float32; any other real dtype computes in float64.
    boxes2 : array_like, shape (..., M, 4)
        Boxes in `fmt`. The leading (batch) axes broadcast with those of `boxes1`.
    fmt : {"xyxy", "xywh", "cxcywh"}, default "xyxy"
        Corners; top-left corner and size (COCO); centre and size.
    mode : {"iou", "iof", "giou", "diou", "ciou"}, default "iou"
        ``"iou"`` intersection over union; ``"iof"`` intersection over the area of the box
        of `boxes1` (mmdet); ``"giou"``, ``"diou"``, ``"ciou"`` generalized, distance and
        complete IoU with torchvision's formulas.
    aligned : bool, default False
        Pair box i of `boxes1` only with box i of `boxes2` (N must equal M).
    offset : float, default 0
        Added to every width and height: 1 gives the legacy pixel convention of
        cython_bbox and mmcv ``offset=1`` (``w = x2 - x1 + 1``).
    eps : float, default 1e-7
        Added where torchvision adds it: to the squared enclosing diagonal (DIoU, CIoU)
        and to the denominator of CIoU's ``alpha``. Unused by the other modes.
    iscrowd : array_like of bool, shape (..., M), optional
        pycocotools' crowd flag per box of `boxes2` (the ground truth): for a crowd box
        the value is the intersection over the area of the box of `boxes1` (the
        detection). Only with ``mode="iou"``.
    n_threads : int, optional
        Threads (None: the OpenMP default now; -1: all CPUs). Results do not depend on it.

    Returns
    -------
    ndarray, shape (..., N, M), or (..., N) when `aligned`
        float32 for float32 input, float64 otherwise. Widths and heights are clamped at 0;
        a zero denominator gives 0 (an empty box overlaps nothing: torchvision gives NaN
        there); a box with a NaN or infinite coordinate gives NaN in all its pairs.

    Raises
    ------
    TypeError
        Non-real boxes, a non-bool `aligned`, a non-real `offset`/`eps`, a non-int
        `n_threads`, a non-bool/int `iscrowd`.
    ValueError
        A last axis that is not 4, batch axes that do not broadcast, unknown `fmt` or
        `mode`, different N and M with `aligned`, `iscrowd` of the wrong length or with a
        mode other than "iou", a negative or non-finite `eps`, ``n_threads=0``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou import box_iou
    >>> a = np.array([[0, 0, 2, 2]], dtype=np.float32)
    >>> b = np.array([[1, 1, 3, 3], [4, 4, 5, 5]], dtype=np.float32)
    >>> box_iou(a, b)
    array([[0.14285715, 0.        ]], dtype=float32)
    >>> box_iou(a, b, mode="giou").round(4)
    array([[-0.0794, -0.8   ]], dtype=float32)
    >>> box_iou([[0, 0, 2, 2]], [[1, 1, 2, 2]], fmt="xywh", iscrowd=[True])
    array([[0.25]])
    """
    if (type(boxes1) is np.ndarray and type(boxes2) is np.ndarray and fmt == "xyxy"
            and mode == "iou" and aligned is False and type(offset) is int and offset in (0, 1)
            and type(eps) is float and eps == DEFAULT_EPS and iscrowd is None and n_threads is None):
        # two C-contiguous (N, 4)/(M, 4) arrays of one native float dtype skip the checks and
        # conversions (per-image calls in a detection evaluation are small); None otherwise
        plain = _boxes.plain_iou(boxes1, boxes2, float(offset),
                                 default_threads_for_size((boxes1.size >> 2) * (boxes2.size >> 2),
                                                          MIN_BOX_PAIRS_PER_THREAD))
        if plain is not None:
            return plain
    _check_choice(fmt, "fmt", FORMATS)
    _check_choice(mode, "mode", MODES)
    aligned = _check_bool(aligned, "aligned")
    offset = _check_real(offset, "offset")
    eps = _check_real(eps, "eps", minimum=0)
    first = _as_boxes(boxes1, "boxes1", 4)
    second = _as_boxes(boxes2, "boxes2", 4)
    dtype = _result_dtype(first, second)
    batch, first, second = _batched(first, second, dtype, ("boxes1", "boxes2"))
    if aligned:
        _check_aligned(first, second, ("boxes1", "boxes2"))
    n, m = first.shape[1], second.shape[1]
    crowd = None
    if iscrowd is not None:
        if mode != "iou":
            raise ValueError(f"`iscrowd` follows pycocotools and needs mode='iou', got mode={mode!r}")
        crowd = as_flag_array(iscrowd, "iscrowd", batch + (m,),
                              "one value per box of `boxes2`").reshape(first.shape[0], m)
    n_pairs = first.shape[0] * n * (1 if aligned else m)
    threads = threads_for_size(resolve_n_threads(n_threads), n_pairs, MIN_BOX_PAIRS_PER_THREAD)
    return _overlaps(first, second, batch, FORMATS.index(fmt), MODES.index(mode), offset, eps,
                     crowd, aligned, threads)


def _overlaps(first: npt.NDArray[Any], second: npt.NDArray[Any], batch: tuple[int, ...], fmt: int, mode: int,
              offset: float, eps: float, crowd: npt.NDArray[np.uint8] | None, aligned: bool, threads: int
              ) -> _Floats:
    """Run the kernel on checked ``(B, N, 4)`` and ``(B, M, 4)`` arrays of one native float
    dtype; the result has shape ``batch + (N,)`` (aligned) or ``batch + (N, M)``."""
    n, m = first.shape[1], second.shape[1]
    out = np.empty(first.shape[0] * n * (1 if aligned else m), dtype=first.dtype)
    _boxes.box_overlaps(first, second, fmt, mode, offset, eps, crowd, aligned, out, threads)
    return out.reshape(batch + ((n,) if aligned else (n, m)))


def _as_float_boxes(boxes: npt.ArrayLike, name: str) -> _Floats:
    array = _as_boxes(boxes, name, 4)
    return array.astype(_result_dtype(array, array), copy=False)


def box_area(boxes: npt.ArrayLike, fmt: BoxFormat = "xyxy") -> _Floats:
    """Area of each box, with widths and heights clamped at 0.

    Parameters
    ----------
    boxes : array_like, shape (..., N, 4)
        Boxes in `fmt`.
    fmt : {"xyxy", "xywh", "cxcywh"}, default "xyxy"

    Returns
    -------
    ndarray, shape (..., N)
        float32 for float32 input, float64 otherwise. An inverted box (x2 < x1) has area
        0 (torchvision's ``box_area`` would give a negative or positive product).

    Examples
    --------
    >>> from fastiou import box_area
    >>> box_area([[0, 0, 2, 3], [5, 5, 4, 9]])
    array([6., 0.])
    >>> box_area([[10, 10, 2, 3]], fmt="cxcywh")
    array([6.])
    """
    _check_choice(fmt, "fmt", FORMATS)
    array = _as_float_boxes(boxes, "boxes")
    if fmt == "xyxy":
        width = array[..., 2] - array[..., 0]
        height = array[..., 3] - array[..., 1]
    else:
        width, height = array[..., 2], array[..., 3]
    area: _Floats = np.maximum(width, 0) * np.maximum(height, 0)
    return area


def box_convert(boxes: npt.ArrayLike, in_fmt: BoxFormat, out_fmt: BoxFormat) -> _Floats:
    """Convert boxes between the "xyxy", "xywh" and "cxcywh" formats.

    Parameters
    ----------
    boxes : array_like, shape (..., N, 4)
    in_fmt, out_fmt : {"xyxy", "xywh", "cxcywh"}

    Returns
    -------
    ndarray, shape (..., N, 4)
        A new array; float32 for float32 input, float64 otherwise (as torchvision's
        formulas: ``cx = (x1 + x2) / 2``, ``x1 = cx - w / 2``, ``x2 = x + w``).

    Examples
    --------
    >>> from fastiou import box_convert
    >>> box_convert([[10, 20, 4, 6]], "xywh", "xyxy")
    array([[10., 20., 14., 26.]])
    >>> box_convert([[10, 20, 14, 26]], "xyxy", "cxcywh")
    array([[12., 23.,  4.,  6.]])
    """
    _check_choice(in_fmt, "in_fmt", FORMATS)
    _check_choice(out_fmt, "out_fmt", FORMATS)
    array = _as_float_boxes(boxes, "boxes")
    a, b, c, d = (array[..., k] for k in range(4))
    if in_fmt == "xywh":
        x1, y1, x2, y2 = a, b, a + c, b + d
    elif in_fmt == "cxcywh":
        x1, y1, x2, y2 = a - 0.5 * c, b - 0.5 * d, a + 0.5 * c, b + 0.5 * d
    else:
        x1, y1, x2, y2 = a, b, c, d
    if out_fmt == "xywh":
        columns = (x1, y1, x2 - x1, y2 - y1)
    elif out_fmt == "cxcywh":
        columns = ((x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1)
    else:
        columns = (x1, y1, x2, y2)
    return np.stack(columns, axis=-1).astype(array.dtype, copy=False)


def rotated_box_iou(boxes1: npt.ArrayLike, boxes2: npt.ArrayLike, *, aligned: bool = False,
                    angle_unit: Literal["degrees", "radians"] = "degrees", clockwise: bool = False,
                    n_threads: int | None = None) -> _Floats:
    """IoU of rotated boxes ``(cx, cy, w, h, angle)``, exact polygon intersection.

    The defaults match detectron2's ``pairwise_iou_rotated`` (and torchvision's rotated
    boxes): angles in degrees, counter-clockwise on screen in image coordinates (y points
    down). mmcv's ``box_iou_rotated`` defaults (radians, ``clockwise=True``: a positive
    angle turns the box clockwise on screen) are matched with ``angle_unit="radians",
    clockwise=True``; mmcv's ``clockwise=False`` with ``angle_unit="radians"``.

    Parameters
    ----------
    boxes1 : array_like, shape (..., N, 5)
    boxes2 : array_like, shape (..., M, 5)
        Centre, width, height and rotation angle of each box. The leading axes broadcast.
    aligned : bool, default False
        Pair box i of `boxes1` only with box i of `boxes2` (N must equal M).
    angle_unit : {"degrees", "radians"}, default "degrees"
    clockwise : bool, default False
        True when a positive angle turns the box clockwise on screen (y down): the same as
        negating every angle.
    n_threads : int, optional
        Threads (None: the OpenMP default now; -1: all CPUs). Results do not depend on it.

    Returns
    -------
    ndarray, shape (..., N, M), or (..., N) when `aligned`
        Computed in float64; returned as float32 for float32 input. Widths and heights
        are clamped at 0, an empty union gives 0 and a box with a non-finite value gives
        NaN in all its pairs.

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou import rotated_box_iou
    >>> a = [[0.0, 0.0, 2.0, 2.0, 0.0]]
    >>> b = [[0.0, 0.0, 2.0, 2.0, 45.0], [1.0, 0.0, 2.0, 2.0, 0.0]]
    >>> rotated_box_iou(a, b).round(6)
    array([[0.707107, 0.333333]])
    """
    aligned = _check_bool(aligned, "aligned")
    _check_choice(angle_unit, "angle_unit", ANGLE_UNITS)
    clockwise = _check_bool(clockwise, "clockwise")
    first = _as_boxes(boxes1, "boxes1", 5)
    second = _as_boxes(boxes2, "boxes2", 5)
    dtype = _result_dtype(first, second)
    batch, first, second = _batched(first, second, np.dtype(np.float64), ("boxes1", "boxes2"))
    if aligned:
        _check_aligned(first, second, ("boxes1", "boxes2"))
    n, m = first.shape[1], second.shape[1]
    n_pairs = first.shape[0] * n * (1 if aligned else m)
    threads = threads_for_size(resolve_n_threads(n_threads), n_pairs, MIN_ROTATED_PAIRS_PER_THREAD)
    to_radians = np.pi / 180 if angle_unit == "degrees" else 1.0
    out = np.empty(n_pairs, dtype=np.float64)
    _rotated.rotated_overlaps(first, second, -to_radians if clockwise else to_radians,
                              aligned, out, threads)
    return out.reshape(batch + ((n,) if aligned else (n, m))).astype(dtype, copy=False)
