"""The depth of the inner boundary bands (Boundary IoU), shared by the label-map and the
instance-mask forms: ``d = max(1, round(dilation_ratio * image diagonal))``, as
boundary-iou-api's ``mask_to_boundary`` and detectron2's ``SemSegEvaluator``."""

from __future__ import annotations

import math
import numbers

import numpy as np

DEFAULT_DILATION_RATIO = 0.02


def check_dilation_ratio(dilation_ratio: object) -> float:
    """Return `dilation_ratio` as a finite non-negative float."""
    if isinstance(dilation_ratio, (bool, np.bool_)) or not isinstance(dilation_ratio, numbers.Real):
        raise TypeError("`dilation_ratio` must be a non-negative number, got "
                        f"{type(dilation_ratio).__name__} {dilation_ratio!r}")
    value = float(dilation_ratio)
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"`dilation_ratio` must be a finite number >= 0, got {dilation_ratio!r}")
    return value


def boundary_depth(height: int, width: int, dilation_ratio: float = DEFAULT_DILATION_RATIO) -> int:
    """The band depth d of an ``height x width`` image, as boundary-iou-api and detectron2.

    Parameters
    ----------
    height, width : int
        The image size.
    dilation_ratio : float
        The band depth as a fraction of the image diagonal (default 0.02).

    Returns
    -------
    int
        ``max(1, round(dilation_ratio * sqrt(height**2 + width**2)))``, with Python's
        ``round`` (halves to even) as in the peers.

    Examples
    --------
    >>> import fastiou
    >>> fastiou.boundary_depth(1024, 2048)
    46
    >>> fastiou.boundary_depth(10, 10)
    1
    """
    ratio_value = check_dilation_ratio(dilation_ratio)
    for name, value in (("height", height), ("width", width)):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < 0:
            raise ValueError(f"`{name}` must be a non-negative int, got {value!r}")
    diagonal = float(np.sqrt(float(height) ** 2 + float(width) ** 2))
    return max(1, int(round(ratio_value * diagonal)))
