"""Type stubs for the private segments_info reader (``_columns.pyx``)."""

import numpy as np
import numpy.typing as npt

_Int64 = npt.NDArray[np.int64]

def segment_columns(
    segments: list[object], listed_area: bool, category_ids: _Int64, category_position: _Int64
) -> tuple[_Int64, _Int64, npt.NDArray[np.bool_], _Int64 | None, _Int64] | None: ...

def json_segment_columns(
    values: _Int64,
    states: npt.NDArray[np.uint16],
    listed_area: bool,
    category_ids: _Int64,
    category_position: _Int64,
) -> tuple[_Int64, _Int64, npt.NDArray[np.bool_], _Int64 | None, _Int64] | None: ...

KEY_ABSENT: int
KEY_INT: int
KEY_OTHER: int
NOT_AN_OBJECT: int
