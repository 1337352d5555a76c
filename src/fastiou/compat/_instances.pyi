"""Type stubs for the private per-instance counting kernel (``_instances.pyx``)."""

import numpy as np
import numpy.typing as npt

MAX_SPAN: int

def instance_counts(
    instances: npt.NDArray[np.uint16 | np.int32 | np.int64],
    pred: npt.NDArray[np.uint8 | np.uint16 | np.int32 | np.int64],
    low: int,
    high: int,
    n_columns: int,
    capacity: int,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]] | None: ...
