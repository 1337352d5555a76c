"""Type stubs for the private peer-exact box kernels (``_compat_boxes.pyx``)."""

import numpy as np
import numpy.typing as npt

_Real = np.float32 | np.float64

TV_CIOU: int  # the `mode` value of torchvision's complete IoU

def torchvision_overlaps(
    boxes1: npt.NDArray[_Real],
    boxes2: npt.NDArray[_Real],
    fmt: int,
    mode: int,
    eps: float,
    angles1: npt.NDArray[_Real] | None,
    angles2: npt.NDArray[_Real] | None,
    out: npt.NDArray[_Real],
    n_threads: int,
) -> None: ...
def mmdet_overlaps(
    boxes1: npt.NDArray[_Real],
    boxes2: npt.NDArray[_Real],
    mode: int,
    aligned: bool,
    eps: float,
    out: npt.NDArray[_Real],
    n_threads: int,
) -> None: ...
def cython_bbox_overlaps(
    boxes: npt.NDArray[np.float64],
    query_boxes: npt.NDArray[np.float64],
    out: npt.NDArray[np.float64],
    n_threads: int,
) -> bool: ...
def coco_box_overlaps(
    dt: npt.NDArray[np.float64],
    gt: npt.NDArray[np.float64],
    iscrowd: npt.NDArray[np.uint8],
    out: npt.NDArray[np.float64],
    n_threads: int,
) -> None: ...
def regular_iou(
    boxes1: np.ndarray,
    boxes2: np.ndarray,
    offset: float,
    min_area: float,
    n_threads: int,
) -> npt.NDArray[_Real] | None: ...
def convert(boxes: np.ndarray, in_fmt: int, out_fmt: int) -> npt.NDArray[_Real] | None: ...
def area(boxes: np.ndarray, fmt: int) -> npt.NDArray[_Real] | None: ...
