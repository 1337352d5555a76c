"""Type stubs for the private scores / one-hot / multilabel / per-image counting kernel (``_scores.pyx``)."""

import numpy as np
import numpy.typing as npt

DTYPE_CODES: dict[np.dtype, int]

def tile_counts(
    truth: npt.NDArray[np.generic],
    truth_kind: int,
    pred: npt.NDArray[np.generic],
    pred_kind: int,
    channels: int,
    inner: int,
    n_pixels: int,
    num_classes: int,
    groups: int,
    multilabel: bool,
    n_images: int,
    ignore: npt.NDArray[np.int64],
    threshold: float,
    n_threads: int,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], int, int, int]: ...
