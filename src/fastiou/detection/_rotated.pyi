"""Type stubs for the private rotated-box kernel (``_rotated.pyx``)."""

import numpy as np
import numpy.typing as npt

def rotated_overlaps(
    boxes1: npt.NDArray[np.float64],
    boxes2: npt.NDArray[np.float64],
    to_radians: float,
    aligned: bool,
    out: npt.NDArray[np.float64],
    n_threads: int,
) -> None: ...
