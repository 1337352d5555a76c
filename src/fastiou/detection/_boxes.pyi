"""Type stubs for the private axis-aligned box kernels (``_boxes.pyx``)."""

import numpy as np
import numpy.typing as npt

_Real = np.float32 | np.float64

def box_overlaps(
    boxes1: npt.NDArray[_Real],
    boxes2: npt.NDArray[_Real],
    fmt: int,
    mode: int,
    offset: float,
    eps: float,
    crowd: npt.NDArray[np.uint8] | None,
    aligned: bool,
    out: npt.NDArray[_Real],
    n_threads: int,
) -> None: ...
def plain_iou(
    boxes1: np.ndarray,
    boxes2: np.ndarray,
    offset: float,
    n_threads: int,
) -> npt.NDArray[_Real] | None: ...
