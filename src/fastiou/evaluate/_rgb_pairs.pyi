"""Type stubs for the private RGB PNG-pair overlap kernel (``_rgb_pairs.pyx``)."""

import numpy as np
import numpy.typing as npt

TABLE_FULL: int
COUNTED: int

def compact_rows(
    data: npt.NDArray[np.uint8], height: int, width: int, bpp: int
) -> tuple[int, npt.NDArray[np.int64], int]: ...
def count_rgb_png_pair(
    gt: npt.NDArray[np.uint8],
    gt_offsets: npt.NDArray[np.int64],
    pred: npt.NDArray[np.uint8] | bytes | bytearray,
    height: int,
    width: int,
    gt_bpp: int,
    pred_bpp: int,
    capacity: int,
) -> tuple[int, npt.NDArray[np.uint64], npt.NDArray[np.int64]]: ...
