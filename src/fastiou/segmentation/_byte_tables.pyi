"""Type stubs for the private byte-table kernels (``_byte_tables.pyx``)."""

import numpy as np
import numpy.typing as npt

from fastiou.segmentation._confusion import _Counts

_Int64 = npt.NDArray[np.int64]

def fold_counts(counts: _Int64, truth_classes: _Int64, pred_classes: _Int64,
                num_classes: int) -> _Counts: ...

# private test hooks (tests/test_kernel_paths.py, tests/test_png_counting.py)
def _set_byte_flush_interval(pairs: int) -> int: ...
def _byte_tables_are_zero() -> bool: ...

# the C function table Cython exports for ``cimport`` (see ``_byte_tables.pxd``)
__pyx_capi__: dict[str, object]
