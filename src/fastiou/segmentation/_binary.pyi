"""Type stubs for the private binary-mask kernel (``_binary.pyx``)."""

import numpy as np
import numpy.typing as npt

def mask_counts(
    pred: npt.NDArray[np.uint8],
    true: npt.NDArray[np.uint8],
    n_threads: int,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]: ...
