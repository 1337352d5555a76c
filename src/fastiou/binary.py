"""``fastiou.binary``: per-image binary IoU, the Kaggle/TGS thresholded IoU and soft IoU.

This module only re-exports the public names; the code lives in :mod:`fastiou.segmentation.binary`
(the layout is described in docs/architecture.md).
"""

from fastiou.segmentation.binary import binary_iou, soft_iou, thresholded_iou

__all__ = ["binary_iou", "soft_iou", "thresholded_iou"]
