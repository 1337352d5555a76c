"""``fastiou.masks``: instance-mask IoU (arrays or COCO RLE) and COCO run-length encoding.

This module only re-exports the public names; the code lives in :mod:`fastiou.detection.masks`
(the layout is described in docs/architecture.md).
"""

from fastiou.detection.masks import mask_iou, rle_decode, rle_encode

__all__ = ["mask_iou", "rle_decode", "rle_encode"]
