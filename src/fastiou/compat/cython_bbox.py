"""cython_bbox's ``bbox_overlaps``, computed by fastiou.

Same signature, same float64 values to the last bit, and cython_bbox's quirks (fastiou's
own ``box_iou(..., offset=1)`` clamps and caps where cython_bbox does not):

- the legacy pixel convention: ``w = x2 - x1 + 1``, so a zero-width box against itself
  gives 1.0, and two boxes that share only an edge overlap by one pixel;
- a pair whose ``iw`` or ``ih`` is not positive is 0; no other clamping (the union of
  overlapping boxes is computed from unclamped areas);
- NaN: cython_bbox's ``min(a, b)`` / ``max(a, b)`` keep a NaN of `boxes` and drop one of
  `query_boxes`, so a NaN x2 in `boxes` gives 0 where the same NaN in `query_boxes` gives
  NaN; infinities follow IEEE arithmetic (``inf - inf`` is NaN);
- inputs must be float64 NumPy arrays with two axes (ndarray subclasses, strided and
  read-only arrays are fine): anything else raises ``TypeError`` (not an ndarray) or
  ``ValueError`` (other dtype, byte order or number of axes), as cython_bbox;
- only the first four columns are read (``(N, 5)`` boxes with a score work); too few
  columns raise ``IndexError`` where cython_bbox would read past them: for a non-empty
  `query_boxes` (its areas are computed first, even when `boxes` is empty), for `boxes`
  with fewer than 3 columns when both sets are non-empty, and for `boxes` with exactly 3
  only when some pair overlaps in x (cython_bbox reads the fourth column only then);
- ``None`` raises ``TypeError`` (cython_bbox crashes the interpreter).
"""

from typing import Any

import numpy as np
import numpy.typing as npt

from fastiou.compat import _compat_boxes
from fastiou.compat._tensors import core_iou, threads_for

__all__ = ["bbox_overlaps"]


def _check(values: object, name: str) -> None:
    if not isinstance(values, np.ndarray):
        raise TypeError(f"`{name}` must be a numpy.ndarray (cython_bbox takes nothing else), "
                        f"got {type(values).__name__}")


def _check_buffer(values: npt.NDArray[Any], name: str) -> None:
    if values.ndim != 2:
        raise ValueError(f"`{name}` must have 2 axes (N, 4), got {values.ndim}")
    if values.dtype != np.float64:
        raise ValueError(f"`{name}` must be native float64 (cython_bbox's only dtype), got {values.dtype}")


def bbox_overlaps(boxes: npt.NDArray[np.float64],
                  query_boxes: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """``cython_bbox.bbox_overlaps``: IoU with the +1 pixel convention.

    Parameters
    ----------
    boxes : numpy.ndarray of float64, shape (N, >= 4)
        xyxy boxes (columns after the fourth are ignored).
    query_boxes : numpy.ndarray of float64, shape (K, >= 4)

    Returns
    -------
    numpy.ndarray of float64, shape (N, K)
        ``iw * ih / ua`` with ``iw = min(x2) - max(x1) + 1`` (0 unless ``iw > 0`` and
        ``ih > 0``) and ``ua`` the sum of the two +1 areas minus ``iw * ih``.

    Raises
    ------
    TypeError
        An argument that is not an ndarray (None included).
    ValueError
        An array that is not float64 in native byte order, or does not have 2 axes.
    IndexError
        Fewer columns than cython_bbox reads.
    ZeroDivisionError
        Where cython_bbox divides by a zero union (never for finite boxes).

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.compat.cython_bbox import bbox_overlaps
    >>> bbox_overlaps(np.array([[0.0, 0.0, 9.0, 9.0], [3.0, 3.0, 3.0, 3.0]]),
    ...               np.array([[0.0, 0.0, 4.0, 9.0], [3.0, 3.0, 3.0, 3.0]]))
    array([[0.5 , 0.01],
           [0.02, 1.  ]])
    """
    _check(boxes, "boxes")
    _check(query_boxes, "query_boxes")
    _check_buffer(boxes, "boxes")
    _check_buffer(query_boxes, "query_boxes")
    n, k = boxes.shape[0], query_boxes.shape[0]
    if k > 0 and query_boxes.shape[1] < 4:
        raise IndexError(f"`query_boxes` needs 4 columns, got shape {query_boxes.shape}")
    if n == 0 or k == 0:
        return np.zeros((n, k), dtype=np.float64)
    if boxes.shape[1] < 3:
        raise IndexError(f"`boxes` needs 4 columns, got shape {boxes.shape}")
    if boxes.shape[1] == 3:
        # cython_bbox reads the fourth column of `boxes` only for a pair that overlaps in x
        x2 = boxes[:, 2, None]
        q2 = query_boxes[None, :, 2]
        x1 = boxes[:, 0, None]
        q1 = query_boxes[None, :, 0]
        with np.errstate(invalid="ignore"):
            iw = np.where(q2 < x2, q2, x2) - np.where(q1 > x1, q1, x1) + 1
        if np.any(iw > 0):
            raise IndexError(f"`boxes` needs 4 columns, got shape {boxes.shape}")
        return np.zeros((n, k), dtype=np.float64)
    first = np.ascontiguousarray(boxes[:, :4])
    second = np.ascontiguousarray(query_boxes[:, :4])
    # fastiou's own kernel with offset=1 gives the same values for regular boxes (finite,
    # x2 - x1 + 1 > 0, y2 - y1 + 1 > 0, finite area) and is faster
    result = core_iou(first, second, 1.0)
    if result is not None:
        return result
    out = np.empty((n, k), dtype=np.float64)
    if _compat_boxes.cython_bbox_overlaps(first, second, out, threads_for(n * k)):
        raise ZeroDivisionError("float division (a pair's union is 0)")
    return out
