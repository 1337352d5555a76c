"""Type stubs for the private weighted confusion-matrix kernel (``_weighted.pyx``)."""

import numpy as np
import numpy.typing as npt

from fastiou._confusion import _WeightedCounts

def weighted_confusion_counts(
    y_true: npt.NDArray[np.integer],
    y_pred: npt.NDArray[np.integer],
    weights: npt.NDArray[np.float64],
    num_classes: int,
    ignore: npt.NDArray[np.integer],
    n_threads: int,
) -> _WeightedCounts: ...
