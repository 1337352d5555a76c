"""Type stubs for the private byte-table kernels (``_byte_tables.pyx``)."""

import numpy as np
import numpy.typing as npt

from fastiou._confusion import _Counts

def fold_counts(
    counts: npt.NDArray[np.int64],
    truth_classes: npt.NDArray[np.int64],
    pred_classes: npt.NDArray[np.int64],
    num_classes: int,
) -> _Counts: ...

# private test hooks (tests/test_kernel_paths.py, tests/test_png_counting.py)
def _set_byte_flush_interval(pairs: int) -> int: ...
def _byte_tables_are_zero() -> bool: ...
