"""Type stubs for the private PNG-pair counting kernel (``_png_pairs.pyx``)."""

import numpy as np
import numpy.typing as npt

from fastiou.segmentation._confusion import _Counts

def count_png_pairs(
    truth: npt.NDArray[np.uint8] | bytes | bytearray,
    pred: npt.NDArray[np.uint8] | bytes | bytearray,
    height: int,
    width: int,
    truth_classes: npt.NDArray[np.int64],
    pred_classes: npt.NDArray[np.int64],
    num_classes: int,
) -> _Counts | None: ...
