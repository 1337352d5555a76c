"""Type stubs for the private oracle of the confusion-matrix kernels (``_naive.pyx``)."""

import numpy as np
import numpy.typing as npt

_Labels = npt.NDArray[np.integer]
_Counts = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], int, int]
_WeightedCounts = tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], int, int]

def naive_confusion_counts(
    y_true: _Labels, y_pred: _Labels, num_classes: int, ignore: _Labels,
    weights: npt.NDArray[np.float64] | None = None,
) -> _Counts | _WeightedCounts: ...
