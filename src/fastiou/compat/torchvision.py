"""torchvision's box operations (``torchvision.ops``, 0.28), computed by fastiou.

``box_area``, ``box_convert``, ``box_iou``, ``generalized_box_iou``, ``distance_box_iou``
and ``complete_box_iou`` take torchvision's arguments and give its numbers to the last bit:
the same dtype (float32 stays float32, float16 is widened where torchvision widens it,
integer boxes give float32 where torchvision divides), the same operations in the same
order, and torchvision's quirks, which fastiou's own :func:`fastiou.box_iou` does not have:

- a box of zero area against another of zero area is 0 / 0 = NaN (fastiou: 0);
- an inverted box (x2 < x1) is not clamped: its negative width enters the area and the
  union, so its pairs can have any sign, and a box inverted in both axes has a positive
  area;
- NaN in a coordinate gives NaN in every pair of that box; infinities follow IEEE
  arithmetic (``inf - inf`` is NaN, a finite intersection over an infinite union is 0);
- DIoU and CIoU add `eps` where torchvision adds it (a negative or zero `eps` is allowed);
  CIoU's ``atan(w / h)`` is torch's own ``torch.atan`` (so it needs torch; without it NumPy's
  arctan is used, which differs from torch's in the last bit for a few percent of angles).

Inputs are torch tensors (CPU, or any device: they are copied to the CPU and the result is
returned on their device) or, as an extension, NumPy arrays and nested lists (the result is
then a NumPy array). Results carry no autograd history. Leading batch axes broadcast as in
torchvision. torchvision raises ``IndexError``, ``RuntimeError``, ``ValueError`` and
``NotImplementedError`` for bad shapes and formats; this module raises the same types in
the same cases. Not provided: the rotated formats (``cxcywhr``, ``xywhr``, ``xyxyxyxy``),
which torchvision computes with a compiled operator (``NotImplementedError``; see
:func:`fastiou.rotated_box_iou`), bfloat16 tensors (``TypeError``), autograd.
"""

import math
from typing import TYPE_CHECKING, Any, Literal, Optional, cast, overload

import numpy as np
import numpy.typing as npt

from fastiou.compat import _compat_boxes
from fastiou.compat import _tensors as T
from fastiou.detection.boxes import _batched

if TYPE_CHECKING:  # torch is optional: only annotations name it
    from torch import Tensor

__all__ = ["box_area", "box_convert", "box_iou", "complete_box_iou", "distance_box_iou",
           "generalized_box_iou"]

AXIS_ALIGNED = ("xyxy", "xywh", "cxcywh")
ROTATED = ("cxcywhr", "xywhr", "xyxyxyxy")
MODES = {"iou": 0, "giou": 1, "diou": 2, "ciou": 3}
FOUR_OVER_PI_SQUARED = 4 / (math.pi ** 2)  # torchvision's ``4 / (torch.pi**2)``


def _check_area_shape(array: npt.NDArray[Any]) -> None:
    """What ``boxes[..., 3]`` needs (torchvision reads columns 0 to 3 for the area)."""
    if array.ndim == 0 or array.shape[-1] < 4:
        raise IndexError(
            f"boxes must have at least 4 values in their last axis, got shape {array.shape}"
        )


def _area(array: npt.NDArray[Any], fmt: str) -> Any:
    """torchvision's box_area of an ndarray (after the shape check)."""
    if array.dtype in (np.float32, np.float64):  # the common case, without the dtype rules
        # only the first 4 values of a box count (torchvision indexes them)
        return _compat_boxes.area(np.ascontiguousarray(array[..., :4]), AXIS_ALIGNED.index(fmt))
    array = T.upcast(array)
    if fmt == "xyxy":
        return T.mul(T.sub(array[..., 2], array[..., 0]), T.sub(array[..., 3], array[..., 1]))
    return T.mul(array[..., 2], array[..., 3])


def _pair_arrays(boxes1: Any, boxes2: Any) -> Any:
    """Both inputs as arrays with torchvision's shape rules checked in its order: each box
    set's area (IndexError), ``boxes2[..., None, :, :2]`` (IndexError for 1-D `boxes2`),
    then the broadcasts (RuntimeError for a last axis other than 4, or batch axes that do
    not broadcast). A 1-D `boxes1` is one box."""
    first = T.unwrap(boxes1, "boxes1")
    second = T.unwrap(boxes2, "boxes2")
    _check_area_shape(first)
    _check_area_shape(second)
    if second.ndim < 2:
        raise IndexError(f"`boxes2` must have shape (..., M, 4), got shape {second.shape}")
    if first.shape[-1] != 4 or second.shape[-1] != 4:
        raise RuntimeError(
            f"boxes must have 4 values in their last axis, got shapes {first.shape} and {second.shape}"
        )
    if first.ndim == 1:
        first = first[None]
    try:
        np.broadcast_shapes(first.shape[:-2], second.shape[:-2])
    except ValueError:
        raise RuntimeError(
            f"the batch axes of `boxes1` {first.shape[:-2]} and `boxes2` {second.shape[:-2]} do not broadcast"
        ) from None
    return first, second


def _kernel_dtype(first: npt.NDArray[Any], second: npt.NDArray[Any], widened: Any) -> Any:
    """The float dtype of the compiled path, or None when the general path must run.
    `widened`: the function upcasts float16 to float32 before anything else."""
    a, b = first.dtype, second.dtype
    if widened:
        a = np.dtype(np.float32) if a == np.float16 else a
        b = np.dtype(np.float32) if b == np.float16 else b
    if a == b and a in (np.float32, np.float64):
        return a
    return None


def _kernel(first: npt.NDArray[Any], second: npt.NDArray[Any], dtype: Any, fmt: str, mode: int, eps: float) -> Any:
    """The compiled pair loop on broadcast ``(B, N, 4)`` / ``(B, M, 4)`` arrays."""
    batch, rows, cols = _batched(first, second, dtype, ("boxes1", "boxes2"))
    n, m = rows.shape[1], cols.shape[1]
    out = np.empty(rows.shape[0] * n * m, dtype=dtype)
    angles1 = angles2 = None
    if mode == MODES["ciou"]:
        angles1 = _angles(rows)
        angles2 = _angles(cols)
    _compat_boxes.torchvision_overlaps(rows, cols, AXIS_ALIGNED.index(fmt), mode,
                                       float(T.scalar_tensor(eps, dtype)), angles1, angles2, out,
                                       T.threads_for(out.size))
    return out.reshape(batch + (n, m))


def _angles(boxes: npt.NDArray[Any]) -> Any:
    """``atan(w / h)`` of each box, as torch computes it."""
    with np.errstate(all="ignore"):
        ratio = (boxes[..., 2] - boxes[..., 0]) / (boxes[..., 3] - boxes[..., 1])
    return np.ascontiguousarray(T.torch_atan(ratio), dtype=boxes.dtype)


def _inter_union(first: npt.NDArray[Any], second: npt.NDArray[Any], fmt: str) -> Any:
    """torchvision's ``_box_inter_union``, any dtypes."""
    area1 = _area(first, fmt)
    area2 = _area(second, fmt)
    p1 = first[..., :, None, :]
    p2 = second[..., None, :, :]
    if fmt == "xyxy":
        lt = T.maximum(p1[..., :2], p2[..., :2])
        rb = T.minimum(p1[..., 2:], p2[..., 2:])
    elif fmt == "xywh":
        lt = T.maximum(p1[..., :2], p2[..., :2])
        rb = T.minimum(T.add(p1[..., :2], p1[..., 2:]), T.add(p2[..., :2], p2[..., 2:]))
    else:
        half1 = T.with_scalar(p1[..., 2:], 2, np.true_divide)
        half2 = T.with_scalar(p2[..., 2:], 2, np.true_divide)
        lt = T.maximum(T.sub(p1[..., :2], half1), T.sub(p2[..., :2], half2))
        rb = T.minimum(T.add(p1[..., :2], half1), T.add(p2[..., :2], half2))
    wh = T.clamp0(T.upcast(T.sub(rb, lt)))
    inter = T.mul(wh[..., 0], wh[..., 1])
    union = T.sub(T.add(area1[..., :, None], area2[..., None, :]), inter)
    return inter, union


def _enclosing(first: npt.NDArray[Any], second: npt.NDArray[Any]) -> Any:
    """Width and height of the smallest box enclosing each pair (torchvision's ``whi``)."""
    p1 = first[..., :, None, :]
    p2 = second[..., None, :, :]
    lti = T.minimum(p1[..., :2], p2[..., :2])
    rbi = T.maximum(p1[..., 2:], p2[..., 2:])
    return T.clamp0(T.upcast(T.sub(rbi, lti)))


def _iou(first: npt.NDArray[Any], second: npt.NDArray[Any], fmt: str) -> Any:
    inter, union = _inter_union(first, second, fmt)
    return T.truediv(inter, union)


def _giou(first: npt.NDArray[Any], second: npt.NDArray[Any]) -> Any:
    inter, union = _inter_union(first, second, "xyxy")
    iou = T.truediv(inter, union)
    whi = _enclosing(first, second)
    areai = T.mul(whi[..., 0], whi[..., 1])
    return T.sub(iou, T.truediv(T.sub(areai, union), areai))


def _diou_iou(first: npt.NDArray[Any], second: npt.NDArray[Any], eps: float) -> Any:
    iou = _iou(first, second, "xyxy")
    whi = _enclosing(first, second)
    diagonal = T.with_scalar(T.add(T.square(whi[..., 0]), T.square(whi[..., 1])), eps, np.add)
    x_p = T.with_scalar(T.add(first[..., 0], first[..., 2]), 2, np.true_divide)
    y_p = T.with_scalar(T.add(first[..., 1], first[..., 3]), 2, np.true_divide)
    x_g = T.with_scalar(T.add(second[..., 0], second[..., 2]), 2, np.true_divide)
    y_g = T.with_scalar(T.add(second[..., 1], second[..., 3]), 2, np.true_divide)
    distance = T.add(T.square(T.upcast(T.sub(x_p[..., :, None], x_g[..., None, :]))),
                     T.square(T.upcast(T.sub(y_p[..., :, None], y_g[..., None, :]))))
    return T.sub(iou, T.truediv(distance, diagonal)), iou


def _ciou(first: npt.NDArray[Any], second: npt.NDArray[Any], eps: float) -> Any:
    diou, iou = _diou_iou(first, second, eps)
    w_pred = T.sub(first[..., :, None, 2], first[..., :, None, 0])
    h_pred = T.sub(first[..., :, None, 3], first[..., :, None, 1])
    w_gt = T.sub(second[..., None, :, 2], second[..., None, :, 0])
    h_gt = T.sub(second[..., None, :, 3], second[..., None, :, 1])
    angle_pred = T.torch_atan(T.truediv(w_pred, h_pred))
    angle_gt = T.torch_atan(T.truediv(w_gt, h_gt))
    v = T.with_scalar(T.square(T.sub(angle_pred, angle_gt)), FOUR_OVER_PI_SQUARED, np.multiply)
    one_minus_iou = T.with_scalar(iou, 1, lambda a, one: one - a)
    alpha = T.truediv(v, T.with_scalar(T.add(one_minus_iou, v), eps, np.add))
    return T.sub(diou, T.mul(alpha, v))


def _check_fmt(fmt: object, allowed: Any, name: str = "fmt") -> None:
    if not isinstance(fmt, str) or fmt not in allowed:
        raise ValueError(f"`{name}` must be one of {', '.join(map(repr, allowed))}, got {fmt!r}")


@overload
def box_area(boxes: "Tensor", fmt: str = "xyxy") -> "Tensor": ...
@overload
def box_area(boxes: npt.ArrayLike, fmt: str = "xyxy") -> npt.NDArray[Any]: ...
def box_area(boxes: Any, fmt: str = "xyxy") -> Any:
    """``torchvision.ops.box_area``: the area of each box, not clamped.

    Parameters
    ----------
    boxes : torch.Tensor or array_like, shape (..., 4)
        Boxes in `fmt`. float16 and integers narrower than 32 bits are widened to float32
        and int32 first, as torchvision's ``_upcast``.
    fmt : {"xyxy", "xywh", "cxcywh"}, default "xyxy"

    Returns
    -------
    torch.Tensor or ndarray, shape (...)
        ``(x2 - x1) * (y2 - y1)`` (xyxy) or ``w * h``: an inverted box has a negative (or,
        inverted in both axes, positive) area.

    Raises
    ------
    ValueError
        An unknown `fmt`.
    IndexError
        Fewer than 4 values in the last axis.

    Examples
    --------
    >>> from fastiou.compat.torchvision import box_area
    >>> box_area([[0.0, 0.0, 2.0, 3.0], [5.0, 5.0, 4.0, 9.0]])
    array([ 6., -4.])
    """
    _check_fmt(fmt, AXIS_ALIGNED)
    array = T.unwrap(boxes, "boxes")
    _check_area_shape(array)
    return T.wrap(_area(array, fmt), (boxes,))


def _xyxy_from(array: npt.NDArray[Any], fmt: str) -> Any:
    if fmt == "xywh":
        x, y, w, h = (array[..., k] for k in range(4))
        return (x, y, T.add(x, w), T.add(y, h))
    cx, cy, w, h = (array[..., k] for k in range(4))
    half_w = T.with_scalar(w, 0.5, np.multiply)
    half_h = T.with_scalar(h, 0.5, np.multiply)
    return (T.sub(cx, half_w), T.sub(cy, half_h), T.add(cx, half_w), T.add(cy, half_h))


def _stack(columns: Any) -> Any:
    dtype = columns[0].dtype
    for column in columns[1:]:
        dtype = T.promote(dtype, column.dtype)
    return np.stack([np.asarray(c, dtype=dtype) for c in columns], axis=-1)


@overload
def box_convert(boxes: "Tensor", in_fmt: str, out_fmt: str) -> "Tensor": ...
@overload
def box_convert(boxes: npt.ArrayLike, in_fmt: str, out_fmt: str) -> npt.NDArray[Any]: ...
def box_convert(boxes: Any, in_fmt: str, out_fmt: str) -> Any:
    """``torchvision.ops.box_convert`` between the axis-aligned formats.

    Parameters
    ----------
    boxes : torch.Tensor or array_like, shape (..., 4)
    in_fmt, out_fmt : {"xyxy", "xywh", "cxcywh"}
        torchvision's rotated formats (``"xywhr"``, ``"cxcywhr"``, ``"xyxyxyxy"``) raise
        ``NotImplementedError`` here.

    Returns
    -------
    torch.Tensor or ndarray, shape (..., 4)
        A new array with torchvision's formulas and dtypes (``cx - 0.5 * w`` turns integer
        boxes into float32; ``in_fmt == out_fmt`` returns a copy).

    Raises
    ------
    ValueError
        A format torchvision does not know.
    NotImplementedError
        A rotated format.
    ValueError
        A last axis other than 4 (torchvision's unpacking of ``unbind(-1)`` fails).
    IndexError
        A 0-d input.

    Examples
    --------
    >>> from fastiou.compat.torchvision import box_convert
    >>> box_convert([[10.0, 20.0, 4.0, 6.0]], "xywh", "cxcywh")
    array([[12., 23.,  4.,  6.]])
    """
    known = AXIS_ALIGNED + ROTATED
    if in_fmt not in known or out_fmt not in known:
        raise ValueError(
            f"`in_fmt` and `out_fmt` must be among {', '.join(map(repr, known))}, got {in_fmt!r} and {out_fmt!r}"
        )
    array = T.unwrap(boxes, "boxes")
    if in_fmt == out_fmt:
        return T.wrap(array.copy(), (boxes,))
    if in_fmt in ROTATED or out_fmt in ROTATED:
        raise NotImplementedError(
            f"fastiou.compat.torchvision converts only between {AXIS_ALIGNED}; got {in_fmt!r} -> {out_fmt!r}"
        )
    if array.ndim == 0:
        raise IndexError("`boxes` must have shape (..., 4), got a 0-d array")
    if array.shape[-1] != 4:
        raise ValueError(f"`boxes` must have 4 values in its last axis, got shape {array.shape}")
    if array.dtype in (np.float32, np.float64):
        # a C-contiguous float array of 4 columns in native order (unwrap): never None
        converted = _compat_boxes.convert(np.ascontiguousarray(array), AXIS_ALIGNED.index(in_fmt),
                                          AXIS_ALIGNED.index(out_fmt))
        return T.wrap(cast("npt.NDArray[Any]", converted), (boxes,))
    if in_fmt == "xyxy":
        corners = tuple(array[..., k] for k in range(4))
    else:
        corners = _xyxy_from(array, in_fmt)
    x1, y1, x2, y2 = corners
    if out_fmt == "xyxy":
        columns = corners
    elif out_fmt == "xywh":
        columns = (x1, y1, T.sub(x2, x1), T.sub(y2, y1))
    else:
        columns = (T.with_scalar(T.add(x1, x2), 2, np.true_divide),
                   T.with_scalar(T.add(y1, y2), 2, np.true_divide), T.sub(x2, x1), T.sub(y2, y1))
    return T.wrap(_stack(columns), (boxes,))


@overload
def box_iou(boxes1: "Tensor", boxes2: npt.ArrayLike, fmt: str = "xyxy") -> "Tensor": ...
@overload
def box_iou(boxes1: npt.ArrayLike, boxes2: "Tensor", fmt: str = "xyxy") -> "Tensor": ...
@overload
def box_iou(boxes1: npt.ArrayLike, boxes2: npt.ArrayLike, fmt: str = "xyxy") -> npt.NDArray[Any]: ...
def box_iou(boxes1: Any, boxes2: Any, fmt: str = "xyxy") -> Any:
    """``torchvision.ops.box_iou``: intersection over union of every pair, unclamped.

    Parameters
    ----------
    boxes1 : torch.Tensor or array_like, shape (..., N, 4)
    boxes2 : torch.Tensor or array_like, shape (..., M, 4)
        The leading axes broadcast. Two float32 (or two float64) inputs run the compiled
        kernel; other dtypes follow torch's promotion (integers give float32).
    fmt : {"xyxy", "xywh", "cxcywh"}, default "xyxy"

    Returns
    -------
    torch.Tensor or ndarray, shape (..., N, M)
        torchvision's values: 0 / 0 is NaN (two empty boxes), inverted boxes are not
        clamped, NaN and infinities follow IEEE arithmetic.

    Raises
    ------
    ValueError
        An unknown `fmt`.
    NotImplementedError
        A rotated `fmt` (torchvision runs a compiled operator for those).
    IndexError
        Fewer than 4 values in a last axis, or a 1-D `boxes2`.
    RuntimeError
        More than 4 values in a last axis, or batch axes that do not broadcast.

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.compat.torchvision import box_iou
    >>> a = np.array([[0, 0, 2, 2], [1, 1, 1, 1]], dtype=np.float32)
    >>> box_iou(a, a)
    array([[ 1.,  0.],
           [ 0., nan]], dtype=float32)
    """
    if fmt == "xyxy":  # two plain (N, 4) float sets of regular boxes: fastiou's own kernel
        result = T.core_iou(T.unwrap(boxes1, "boxes1"), T.unwrap(boxes2, "boxes2"), 0.0)
        if result is not None:
            return T.wrap(result, (boxes1, boxes2))
    if fmt in ROTATED:
        raise NotImplementedError(
            f"fastiou.compat.torchvision does not compute rotated IoU (fmt={fmt!r}); "
            "fastiou.rotated_box_iou does, in float64"
        )
    _check_fmt(fmt, AXIS_ALIGNED + ROTATED)
    first, second = _pair_arrays(boxes1, boxes2)
    dtype = _kernel_dtype(first, second, widened=False)
    if dtype is not None:
        result = _kernel(first, second, dtype, fmt, MODES["iou"], 0.0)
    else:
        result = _iou(first, second, fmt)
    return T.wrap(result, (boxes1, boxes2))


@overload
def generalized_box_iou(boxes1: "Tensor", boxes2: npt.ArrayLike) -> "Tensor": ...
@overload
def generalized_box_iou(boxes1: npt.ArrayLike, boxes2: "Tensor") -> "Tensor": ...
@overload
def generalized_box_iou(boxes1: npt.ArrayLike, boxes2: npt.ArrayLike) -> npt.NDArray[Any]: ...
def generalized_box_iou(boxes1: Any, boxes2: Any) -> Any:
    """``torchvision.ops.generalized_box_iou`` (xyxy boxes).

    Parameters
    ----------
    boxes1 : torch.Tensor or array_like, shape (..., N, 4)
    boxes2 : torch.Tensor or array_like, shape (..., M, 4)

    Returns
    -------
    torch.Tensor or ndarray, shape (..., N, M)
        ``iou - (enclosing - union) / enclosing`` as torchvision computes it: NaN where
        both boxes are empty (0 / 0), unclamped for inverted boxes.

    Raises
    ------
    IndexError, RuntimeError
        As :func:`box_iou`.

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.compat.torchvision import generalized_box_iou
    >>> a = np.array([[0, 0, 2, 2]], dtype=np.float32)
    >>> b = np.array([[1, 1, 3, 3], [4, 4, 5, 5]], dtype=np.float32)
    >>> generalized_box_iou(a, b).round(4)
    array([[-0.0794, -0.8   ]], dtype=float32)
    """
    first, second = _pair_arrays(boxes1, boxes2)
    dtype = _kernel_dtype(first, second, widened=False)
    if dtype is not None:
        result = _kernel(first, second, dtype, "xyxy", MODES["giou"], 0.0)
    else:
        result = _giou(first, second)
    return T.wrap(result, (boxes1, boxes2))


def _distance_family(boxes1: Any, boxes2: Any, eps: float, mode: str) -> Any:
    eps = T.check_eps(eps)
    first, second = _pair_arrays(boxes1, boxes2)
    first, second = T.upcast(first), T.upcast(second)
    dtype = _kernel_dtype(first, second, widened=True)
    if dtype is not None:
        result = _kernel(first, second, dtype, "xyxy", MODES[mode], eps)
    elif mode == "diou":
        result = _diou_iou(first, second, eps)[0]
    else:
        result = _ciou(first, second, eps)
    return T.wrap(result, (boxes1, boxes2))


@overload
def distance_box_iou(boxes1: "Tensor", boxes2: npt.ArrayLike, eps: float = 1e-7) -> "Tensor": ...
@overload
def distance_box_iou(boxes1: npt.ArrayLike, boxes2: "Tensor", eps: float = 1e-7) -> "Tensor": ...
@overload
def distance_box_iou(boxes1: npt.ArrayLike, boxes2: npt.ArrayLike, eps: float = 1e-7) -> npt.NDArray[Any]: ...
def distance_box_iou(boxes1: Any, boxes2: Any, eps: float = 1e-7) -> Any:
    """``torchvision.ops.distance_box_iou`` (xyxy boxes).

    Parameters
    ----------
    boxes1 : torch.Tensor or array_like, shape (..., N, 4)
    boxes2 : torch.Tensor or array_like, shape (..., M, 4)
        Widened first as torchvision does (float16 to float32, small integers to int32).
    eps : float, default 1e-7
        Added to the squared diagonal of the enclosing box, in the boxes' dtype (any
        value, as torchvision).

    Returns
    -------
    torch.Tensor or ndarray, shape (..., N, M)
        ``iou - squared centre distance / (squared enclosing diagonal + eps)``; NaN where
        the IoU is 0 / 0.

    Raises
    ------
    TypeError
        A non-numeric `eps`.
    IndexError, RuntimeError
        As :func:`box_iou`.

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.compat.torchvision import distance_box_iou
    >>> a = np.array([[0, 0, 2, 2]], dtype=np.float64)
    >>> distance_box_iou(a, np.array([[1, 1, 3, 3]], dtype=np.float64)).round(6)
    array([[0.031746]])
    """
    return _distance_family(boxes1, boxes2, eps, "diou")


@overload
def complete_box_iou(boxes1: "Tensor", boxes2: npt.ArrayLike, eps: float = 1e-7) -> "Tensor": ...
@overload
def complete_box_iou(boxes1: npt.ArrayLike, boxes2: "Tensor", eps: float = 1e-7) -> "Tensor": ...
@overload
def complete_box_iou(boxes1: npt.ArrayLike, boxes2: npt.ArrayLike, eps: float = 1e-7) -> npt.NDArray[Any]: ...
def complete_box_iou(boxes1: Any, boxes2: Any, eps: float = 1e-7) -> Any:
    """``torchvision.ops.complete_box_iou`` (xyxy boxes).

    Parameters
    ----------
    boxes1 : torch.Tensor or array_like, shape (..., N, 4)
    boxes2 : torch.Tensor or array_like, shape (..., M, 4)
    eps : float, default 1e-7
        Added as torchvision adds it (to the DIoU diagonal and to ``alpha``'s denominator).

    Returns
    -------
    torch.Tensor or ndarray, shape (..., N, M)
        ``diou - alpha * v`` with ``v = 4 / pi**2 * (atan(w1 / h1) - atan(w2 / h2))**2``,
        the arctangents from ``torch.atan`` (NumPy's when torch is not installed).

    Raises
    ------
    TypeError
        A non-numeric `eps`.
    IndexError, RuntimeError
        As :func:`box_iou`.

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.compat.torchvision import complete_box_iou
    >>> a = np.array([[0, 0, 2, 2]], dtype=np.float64)
    >>> complete_box_iou(a, np.array([[1, 1, 3, 4]], dtype=np.float64)).round(6)
    array([[-0.019165]])
    """
    return _distance_family(boxes1, boxes2, eps, "ciou")
