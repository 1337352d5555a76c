"""mmdetection's 2-D box overlaps (``mmdet.core.bbox.iou_calculators``, 2.x; the same
function is ``mmdet.structures.bbox.bbox_overlaps`` in 3.x), computed by fastiou.

``bbox_overlaps`` and ``BboxOverlaps2D`` take mmdet's arguments and give its numbers to
the last bit, in the boxes' dtype, with mmdet's quirks (fastiou's :func:`fastiou.box_iou`
has none of them):

- the union (the area of the box of `bboxes1` for ``"iof"``) and GIoU's enclosing area are
  raised to `eps` (default 1e-6, rounded to the boxes' dtype) with ``torch.max``, so an
  empty pair gives 0, a NaN union stays NaN, and a union below `eps` is divided by `eps`;
- inverted boxes (x2 < x1) are not clamped: their negative width enters the areas;
- integer boxes: `eps` becomes an integer (``new_tensor([1e-6])`` is 0), so two empty
  boxes give 0 / 0 = NaN, and the quotients are float32;
- no broadcasting of the batch axes (they must be equal), an empty input returns an empty
  array of ``bboxes1``'s dtype;
- mmdet's checks are ``assert`` statements: bad `mode`, a last axis other than 4 (unless
  the first axis is empty), batch axes that differ and ``is_aligned`` with different
  counts raise ``AssertionError`` here too.

Inputs are torch tensors (the result is a tensor on their device) or, as an extension,
NumPy arrays and nested lists (the result is then a NumPy array). No autograd. bfloat16
tensors are refused (``TypeError``).
"""

import math
from typing import TYPE_CHECKING, Any, Literal, Optional, overload

import numpy as np
import numpy.typing as npt

from fastiou._shared._validation import is_tensor
from fastiou.compat import _compat_boxes
from fastiou.compat import _tensors as T

if TYPE_CHECKING:  # torch is optional: only annotations name it
    from torch import Tensor

__all__ = ["BboxOverlaps2D", "bbox_overlaps"]

MODES = ("iou", "iof", "giou")


def _overlaps_general(first: npt.NDArray[Any], second: npt.NDArray[Any], mode: str, aligned: bool,
                      eps: float) -> npt.NDArray[Any]:
    """bbox_overlaps for any dtypes, operation by operation as torch does it."""
    area1 = T.mul(T.sub(first[..., 2], first[..., 0]), T.sub(first[..., 3], first[..., 1]))
    area2 = T.mul(T.sub(second[..., 2], second[..., 0]), T.sub(second[..., 3], second[..., 1]))
    if aligned:
        p1, p2 = first, second
        a1, a2 = area1, area2
    else:
        p1, p2 = first[..., :, None, :], second[..., None, :, :]
        a1, a2 = area1[..., :, None], area2[..., None, :]
    lt = T.maximum(p1[..., :2], p2[..., :2])
    rb = T.minimum(p1[..., 2:], p2[..., 2:])
    wh = T.clamp0(T.sub(rb, lt))
    overlap = T.mul(wh[..., 0], wh[..., 1])
    union = T.sub(T.add(a1, a2), overlap) if mode != "iof" else a1
    union = np.asarray(union)
    eps_array = T.scalar_tensor(eps, union.dtype)  # union.new_tensor([eps])
    union = T.maximum(union, eps_array)
    ious = T.truediv(overlap, union)
    if mode != "giou":
        return ious
    enclosed_lt = T.minimum(p1[..., :2], p2[..., :2])
    enclosed_rb = T.maximum(p1[..., 2:], p2[..., 2:])
    enclose_wh = T.clamp0(T.sub(enclosed_rb, enclosed_lt))
    enclose_area = T.maximum(T.mul(enclose_wh[..., 0], enclose_wh[..., 1]), eps_array)
    return T.sub(ious, T.truediv(T.sub(enclose_area, union), enclose_area))


@overload
def bbox_overlaps(bboxes1: "Tensor", bboxes2: npt.ArrayLike, mode: Literal["iou", "iof", "giou"] = "iou", is_aligned: bool = False, eps: float = 1e-6) -> "Tensor": ...
@overload
def bbox_overlaps(bboxes1: npt.ArrayLike, bboxes2: "Tensor", mode: Literal["iou", "iof", "giou"] = "iou", is_aligned: bool = False, eps: float = 1e-6) -> "Tensor": ...
@overload
def bbox_overlaps(bboxes1: npt.ArrayLike, bboxes2: npt.ArrayLike, mode: Literal["iou", "iof", "giou"] = "iou", is_aligned: bool = False, eps: float = 1e-6) -> npt.NDArray[Any]: ...
def bbox_overlaps(bboxes1: Any, bboxes2: Any, mode: Literal["iou", "iof", "giou"] = "iou", is_aligned: bool = False, eps: float = 1e-6) -> Any:
    """``mmdet.core.bbox.bbox_overlaps``: IoU, IoF or GIoU of every pair (or aligned pair).

    Parameters
    ----------
    bboxes1 : torch.Tensor or array_like, shape (..., m, 4)
        xyxy boxes, or empty.
    bboxes2 : torch.Tensor or array_like, shape (..., n, 4)
        Same batch axes as `bboxes1` (no broadcasting). Two float32 (or two float64)
        inputs run the compiled kernel; other dtypes follow torch's rules.
    mode : {"iou", "iof", "giou"}, default "iou"
        ``"iof"``: intersection over the area of the box of `bboxes1`.
    is_aligned : bool, default False
        Pair box i of `bboxes1` with box i of `bboxes2` only (m must equal n).
    eps : float, default 1e-6
        The smallest union and enclosing area (``torch.max(union, eps)``), in the boxes'
        dtype.

    Returns
    -------
    torch.Tensor or ndarray, shape (..., m, n), or (..., m) when `is_aligned`
        Float32 for float32 and integer boxes, float64 for float64.

    Raises
    ------
    AssertionError
        Where mmdet's asserts fail: unknown `mode`, a last axis other than 4 with a
        non-empty first axis, different batch axes, `is_aligned` with m != n.
    IndexError
        A 0-d or 1-d input (mmdet reads ``size(-2)``).

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.compat.mmdet import bbox_overlaps
    >>> a = np.array([[0, 0, 10, 10], [10, 10, 20, 20]], dtype=np.float32)
    >>> b = np.array([[0, 0, 10, 20], [5, 5, 5, 5]], dtype=np.float32)
    >>> bbox_overlaps(a, b)
    array([[0.5, 0. ],
           [0. , 0. ]], dtype=float32)
    >>> bbox_overlaps(a, b, mode="giou").round(4)
    array([[ 0.5   ,  0.    ],
           [-0.25  , -0.5556]], dtype=float32)
    """
    if not (isinstance(mode, str) and mode in MODES):
        raise AssertionError(f"`mode` must be one of {MODES}, got {mode!r}")
    first = T.unwrap(bboxes1, "bboxes1")
    second = T.unwrap(bboxes2, "bboxes2")
    if mode == "iou" and not is_aligned and first.dtype in (np.float32, np.float64):
        # fastiou's own kernel where it provably agrees: two (n, 4) sets of regular boxes
        # whose areas are at least twice eps, so that no union is raised to eps (every
        # check below passes for such input)
        least = 2 * float(T.scalar_tensor(T.check_eps(eps), first.dtype))
        if not math.isnan(least):  # a NaN eps makes every value NaN (torch.max)
            result = T.core_iou(first, second, 0.0, max(least, 0.0))
            if result is not None:
                return T.wrap(result, (bboxes1, bboxes2))
    for array in (first, second):
        if array.ndim == 0:
            raise IndexError("a 0-d input has no last axis")
        if not (array.shape[-1] == 4 or array.shape[0] == 0):
            raise AssertionError(f"boxes must have shape (..., 4) (or an empty first axis), got {array.shape}")
    if first.shape[:-2] != second.shape[:-2]:
        raise AssertionError(f"the batch axes must be equal, got {first.shape[:-2]} and {second.shape[:-2]}")
    if first.ndim < 2 or second.ndim < 2:
        raise IndexError("`bboxes1` and `bboxes2` need a box axis: shape (..., n, 4)")
    batch = first.shape[:-2]
    rows, cols = first.shape[-2], second.shape[-2]
    if is_aligned:
        if rows != cols:
            raise AssertionError(f"`is_aligned` needs as many boxes in both, got {rows} and {cols}")
    if rows * cols == 0:
        shape = batch + ((rows,) if is_aligned else (rows, cols))
        return T.wrap(np.zeros(shape, dtype=first.dtype), (bboxes1, bboxes2))
    eps = T.check_eps(eps)
    dtype = first.dtype
    if dtype == second.dtype and dtype in (np.float32, np.float64) and first.shape[-1] == 4 \
            and second.shape[-1] == 4:
        n_batches = math.prod(batch)
        rows_array = np.ascontiguousarray(first, dtype=dtype).reshape(n_batches, rows, 4)
        cols_array = np.ascontiguousarray(second, dtype=dtype).reshape(n_batches, cols, 4)
        out = np.empty(n_batches * rows * (1 if is_aligned else cols), dtype=dtype)
        _compat_boxes.mmdet_overlaps(rows_array, cols_array, MODES.index(mode), bool(is_aligned),
                                     float(T.scalar_tensor(eps, dtype)), out, T.threads_for(out.size))
        result = out.reshape(batch + ((rows,) if is_aligned else (rows, cols)))
    else:
        result = _overlaps_general(first, second, mode, bool(is_aligned), eps)
    return T.wrap(result, (bboxes1, bboxes2))


class BboxOverlaps2D:
    """``mmdet.core.bbox.iou_calculators.BboxOverlaps2D``: the callable mmdet's assigners use.

    Parameters
    ----------
    scale : float, default 1.0
        With ``dtype="fp16"`` the boxes are divided by `scale` before they become float16.
    dtype : {None, "fp16"}, default None
        ``"fp16"``: compute in float16 (on the boxes divided by `scale`) and return float32,
        as mmdet does on the CPU.

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.compat.mmdet import BboxOverlaps2D
    >>> calculator = BboxOverlaps2D()
    >>> calculator(np.array([[0, 0, 10, 10, 0.9]], dtype=np.float32),
    ...            np.array([[0, 0, 10, 20]], dtype=np.float32))
    array([[0.5]], dtype=float32)
    """

    def __init__(self, scale: float = 1., dtype: Optional[Literal["fp16"]] = None) -> None:
        self.scale = scale
        self.dtype = dtype

    @overload
    def __call__(self, bboxes1: "Tensor", bboxes2: npt.ArrayLike, mode: Literal["iou", "iof", "giou"] = "iou",
                 is_aligned: bool = False) -> "Tensor": ...
    @overload
    def __call__(self, bboxes1: npt.ArrayLike, bboxes2: "Tensor", mode: Literal["iou", "iof", "giou"] = "iou",
                 is_aligned: bool = False) -> "Tensor": ...
    @overload
    def __call__(self, bboxes1: npt.ArrayLike, bboxes2: npt.ArrayLike, mode: Literal["iou", "iof", "giou"] = "iou",
                 is_aligned: bool = False) -> npt.NDArray[Any]: ...
    def __call__(self, bboxes1: Any, bboxes2: Any, mode: Literal["iou", "iof", "giou"] = "iou",
                 is_aligned: bool = False) -> Any:
        """The overlaps of `bboxes1` and `bboxes2`, shape ``(m, 4)`` or ``(m, 5)`` (a
        trailing score is dropped), as :func:`bbox_overlaps`.

        Parameters
        ----------
        bboxes1, bboxes2 : torch.Tensor or array_like, shape (..., m, 4 or 5)
        mode : {"iou", "iof", "giou"}, default "iou"
        is_aligned : bool, default False

        Returns
        -------
        torch.Tensor or ndarray
            float32 when ``dtype="fp16"``.

        Raises
        ------
        AssertionError
            A last axis other than 0, 4 or 5, and every case :func:`bbox_overlaps` asserts.
        """
        first = T.unwrap(bboxes1, "bboxes1")
        second = T.unwrap(bboxes2, "bboxes2")
        for array in (first, second):
            if array.ndim == 0:
                raise IndexError("a 0-d input has no last axis")
            if array.shape[-1] not in (0, 4, 5):
                raise AssertionError(f"boxes must have 0, 4 or 5 values in the last axis, got {array.shape}")
        if second.shape[-1] == 5:
            second = second[..., :4]
        if first.shape[-1] == 5:
            first = first[..., :4]
        template = next((b for b in (bboxes1, bboxes2) if is_tensor(b)), None)
        if self.dtype == "fp16":
            first = self._to_half(first)
            second = self._to_half(second)
            overlaps = T.unwrap(bbox_overlaps(first, second, mode, is_aligned), "overlaps")
            if overlaps.dtype == np.float16:
                overlaps = overlaps.astype(np.float32)
            return T.wrap(overlaps, (template,) if template is not None else ())
        result = bbox_overlaps(first, second, mode, is_aligned)
        return T.wrap(result, (template,) if template is not None else ())

    def _to_half(self, array: npt.NDArray[Any]) -> npt.NDArray[Any]:
        """mmdet's ``cast_tensor_type``: ``(x / scale).half()``."""
        with np.errstate(over="ignore", invalid="ignore"):
            return T.with_scalar(array, float(self.scale), np.true_divide).astype(np.float16)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(scale={self.scale}, dtype={self.dtype})"
