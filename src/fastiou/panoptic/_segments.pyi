"""Type stubs for the private segment-overlap kernel (``_segments.pyx``)."""

import numpy as np
import numpy.typing as npt

MIN_CHUNK: int
MAX_WIDTH: int

_IdArray = npt.NDArray[np.uint8 | np.uint16 | np.uint32 | np.int32 | np.int64]

def pair_counts(
    gt: _IdArray, pred: _IdArray, rgb: int, width: int, n_threads: int, capacity: int
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]] | None: ...
