"""Type stubs for the private panoptic matching kernel (``_match.pyx``)."""

import numpy as np
import numpy.typing as npt

_Int64 = npt.NDArray[np.int64]

def match_segments(
    g: _Int64, p: _Int64, counts: _Int64, gt_ids: _Int64, gt_category: _Int64,
    gt_crowd: npt.NDArray[np.uint8], gt_listed_area: _Int64, gt_listed: _Int64,
    pred_ids: _Int64, pred_category: _Int64, n_categories: int,
) -> tuple[_Int64, npt.NDArray[np.float64], _Int64, _Int64] | None: ...
