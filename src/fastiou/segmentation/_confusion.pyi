"""Type stubs for the private confusion-matrix kernels (``_confusion.pyx``)."""

import numpy as np
import numpy.typing as npt

from fastiou.evaluate._png import StreamingInflater

_Counts = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], int, int]
_WeightedCounts = tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], int, int]

def confusion_counts(
    y_true: npt.NDArray[np.integer],
    y_pred: npt.NDArray[np.integer],
    num_classes: int,
    ignore: npt.NDArray[np.integer],
    n_threads: int,
) -> _Counts: ...
def weighted_confusion_counts(
    y_true: npt.NDArray[np.integer],
    y_pred: npt.NDArray[np.integer],
    weights: npt.NDArray[np.float64],
    num_classes: int,
    ignore: npt.NDArray[np.integer],
    n_threads: int,
) -> _WeightedCounts: ...
def count_png_pairs(
    truth: npt.NDArray[np.uint8] | bytes | bytearray,
    pred: npt.NDArray[np.uint8] | bytes | bytearray,
    height: int,
    width: int,
    truth_classes: npt.NDArray[np.int64],
    pred_classes: npt.NDArray[np.int64],
    num_classes: int,
    inflater: StreamingInflater | None = None,
) -> _Counts | None: ...
def fold_counts(
    counts: npt.NDArray[np.int64],
    truth_classes: npt.NDArray[np.int64],
    pred_classes: npt.NDArray[np.int64],
    num_classes: int,
) -> _Counts: ...
def naive_confusion_counts(
    y_true: npt.NDArray[np.integer],
    y_pred: npt.NDArray[np.integer],
    num_classes: int,
    ignore: npt.NDArray[np.integer],
    weights: npt.NDArray[np.float64] | None = None,
) -> _Counts | _WeightedCounts: ...

# private test hooks (tests/test_kernel_paths.py)
def _set_byte_flush_interval(pairs: int) -> int: ...
def _byte_tables_are_zero() -> bool: ...
def _byte_table_min_pairs() -> int: ...
SIMD_PATHS: tuple[str, ...]

def simd_path() -> str: ...
def _simd_levels() -> list[int]: ...
def _set_simd_cap(level: int) -> int: ...
