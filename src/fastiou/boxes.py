"""``fastiou.boxes``: box IoU and its variants, box areas, format conversion and rotated-box
IoU.

This module only re-exports the public names; the code lives in :mod:`fastiou.detection.boxes`
(the layout is described in docs/architecture.md).
"""

from fastiou.detection.boxes import box_area, box_convert, box_iou, rotated_box_iou

__all__ = ["box_area", "box_convert", "box_iou", "rotated_box_iou"]
