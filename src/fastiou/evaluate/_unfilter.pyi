"""Type stubs for the private PNG unfilter kernel (``_unfilter.pyx``)."""

import numpy as np
import numpy.typing as npt

def unfilter(
    filtered: bytes | bytearray | memoryview,
    pixels: npt.NDArray[np.uint8],
    bytes_per_pixel: int,
) -> int: ...

# the C function table Cython exports for ``cimport`` (``unfilter_rows``, see ``_unfilter.pxd``)
__pyx_capi__: dict[str, object]
