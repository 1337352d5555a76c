"""The depth of the inner boundary bands (Boundary IoU), shared by the label-map and the
instance-mask forms: ``d = max(1, round(dilation_ratio * image diagonal))``, as
boundary-iou-api's ``mask_to_boundary`` and detectron2's ``SemSegEvaluator``."""

from __future__ import annotations

import math
import numbers

import numpy as np

DEFAULT_DILATION_RATIO = 0.02


def check_distance(value: object, name: str) -> float:
    """Return `value` (the argument `name`: a band depth or tolerance, absolute or as a
    share of the diagonal) as a finite non-negative float."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be a non-negative number, got "
                        f"{type(value).__name__} {value!r}")
    number = float(value)
    if not (math.isfinite(number) and number >= 0):
        raise ValueError(f"`{name}` must be a finite number >= 0, got {value!r}")
    return number


def check_dilation_ratio(dilation_ratio: object) -> float:
    """Return `dilation_ratio` as a finite non-negative float."""
    return check_distance(dilation_ratio, "dilation_ratio")


def check_image_size(height: object, width: object) -> None:
    """Raise unless `height` and `width` are non-negative ints."""
    for name, value in (("height", height), ("width", width)):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < 0:
            raise ValueError(f"`{name}` must be a non-negative int, got {value!r}")


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
    check_image_size(height, width)
    diagonal = float(np.sqrt(float(height) ** 2 + float(width) ** 2))
    return max(1, int(round(ratio_value * diagonal)))
