"""Type stubs for the private mask-band kernel (``_mask_bands.pyx``)."""

import numpy as np
import numpy.typing as npt

def mask_bands(masks: npt.NDArray[np.uint8], depth: int, n_threads: int) -> npt.NDArray[np.uint8]: ...
