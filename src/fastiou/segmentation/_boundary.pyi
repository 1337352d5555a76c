"""Type stubs for the private Boundary IoU kernel (``_boundary.pyx``)."""

import numpy as np
import numpy.typing as npt

_Labels = npt.NDArray[np.integer]
_Ints = npt.NDArray[np.int64]

def band_counts(truth: _Labels, pred: _Labels, num_classes: int, ignore: _Labels, depth: int,
                block_rows: int, truth_on_bad_pred: bool, n_threads: int
                ) -> tuple[_Ints, _Ints, _Ints, int, int]: ...
