"""Type stubs for the private BF score kernel (``_bfscore.pyx``)."""

import numpy as np
import numpy.typing as npt

_Labels = npt.NDArray[np.integer]

def contour_counts(truth: _Labels, pred: _Labels, num_classes: int, ignore: _Labels,
                   half: npt.NDArray[np.int32], image_border: bool, truth_on_bad_pred: bool,
                   n_threads: int) -> tuple[npt.NDArray[np.int64], int, int]: ...
