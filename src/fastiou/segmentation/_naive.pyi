"""Type stubs for the private oracle of the confusion-matrix kernels (``_naive.pyx``)."""

import numpy as np
import numpy.typing as npt

from fastiou.segmentation._confusion import _Counts, _Labels, _WeightedCounts

def naive_confusion_counts(
    y_true: _Labels, y_pred: _Labels, num_classes: int, ignore: _Labels,
    weights: npt.NDArray[np.float64] | None = None,
) -> _Counts | _WeightedCounts: ...
