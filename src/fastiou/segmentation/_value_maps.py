"""Value mappings of label maps, written once for ``fastiou eval`` (``--label-map``,
``--pred-label-map``, ``--reduce-zero-label``: :mod:`fastiou.evaluate._engine`) and for
:mod:`fastiou.compat.mmseg` (``label_map``, ``reduce_zero_label``).

Each caller decides its dtype rules (``fastiou eval`` widens to a dtype that holds every
result; mmseg computes in the label's own dtype, as torch does) and its checks; the mapping
itself is here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from fastiou._shared._validation import bool_as_uint8

# the integer dtypes a mapped label map may take, smallest first
_INTEGER_DTYPES = (np.uint8, np.int16, np.uint16, np.int32, np.int64)


def smallest_dtype(low: Any, high: Any) -> type[np.integer[Any]]:
    """The smallest of uint8, int16, uint16, int32 and int64 that holds `low` and `high`."""
    for dtype in _INTEGER_DTYPES:
        info = np.iinfo(dtype)
        if info.min <= low and high <= info.max:
            return dtype
    return np.int64


def map_values(labels: npt.NDArray[Any], source: npt.ArrayLike, target: npt.ArrayLike,
               dtype: npt.DTypeLike | None = None) -> npt.NDArray[Any]:
    """`labels` with every value listed in `source` replaced by the `target` at the same
    position, every other value kept; returns a new array.

    `source` is sorted. The result has `dtype`, by default the smallest integer dtype that
    holds both the labels and the targets (:func:`smallest_dtype`). Unsigned and bool labels
    of up to 16 bits are mapped through a table of every value; other labels (wider
    integers, floats) through a binary search in `source`.
    """
    source, target = np.asarray(source), np.asarray(target)
    if labels.dtype == bool:
        labels = bool_as_uint8(labels)
    if labels.dtype.itemsize <= 2 and labels.dtype.kind == "u":
        table = np.arange(1 << (8 * labels.dtype.itemsize), dtype=np.int64)
        inside = (source >= 0) & (source < table.size)
        table[source[inside].astype(np.int64)] = target[inside]
        out_dtype = smallest_dtype(table.min(), table.max()) if dtype is None else dtype
        mapped: npt.NDArray[Any] = table.astype(out_dtype)[labels]
        return mapped
    if dtype is None:
        low = min(int(labels.min(initial=0)), int(target.min(initial=0)))
        high = max(int(labels.max(initial=0)), int(target.max(initial=0)))
        dtype = smallest_dtype(low, high)
    result = labels.astype(dtype)
    if source.size:
        position = np.searchsorted(source, labels).clip(0, source.size - 1)
        hit = source[position] == labels
        result[hit] = target[position[hit]]
    return result


def reduce_zero_label(labels: npt.NDArray[Any], dtype: npt.DTypeLike | None = None) -> npt.NDArray[Any]:
    """mmseg's ``reduce_zero_label``: label 0 (the background) becomes 255, the value mmseg
    ignores, every other label v becomes v - 1, and 255 stays 255. Computed in `dtype`
    (default: the labels' own), where v - 1 wraps around as integers do; returns a new array.
    """
    shifted: npt.NDArray[Any] = np.subtract(labels, 1, dtype=labels.dtype if dtype is None else dtype)
    shifted[(labels == 0) | (labels == 255)] = 255
    return shifted
