"""Type stubs for the private weighted confusion-matrix kernel (``_weighted.pyx``)."""

import numpy as np
import numpy.typing as npt

from fastiou.segmentation._confusion import _Labels, _WeightedCounts

def weighted_confusion_counts(
    y_true: _Labels, y_pred: _Labels, weights: npt.NDArray[np.float64], num_classes: int,
    ignore: _Labels, n_threads: int,
) -> _WeightedCounts: ...
