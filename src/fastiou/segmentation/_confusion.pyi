"""Type stubs for the private confusion-matrix kernels (``_confusion.pyx``)."""

import numpy as np
import numpy.typing as npt

_Labels = npt.NDArray[np.integer]
_Counts = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], int, int]
_WeightedCounts = tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], int, int]

def confusion_counts(y_true: _Labels, y_pred: _Labels, num_classes: int, ignore: _Labels,
                     n_threads: int) -> _Counts: ...
def uses_narrow_tables(num_classes: int) -> bool: ...

# private test hooks (tests/test_kernel_paths.py)
def _byte_table_min_pairs() -> int: ...
def _set_chunk_pairs(pairs: int) -> int: ...
