"""fastiou: fast, exact confusion matrices and IoU (Jaccard) metrics.

A Cython/OpenMP kernel counts two integer label arrays into an exact int64 confusion
matrix in one pass; the functions here derive IoU and mean IoU from it. Box IoU (axis
aligned and rotated) and instance-mask IoU come from fused pairwise kernels.
"""

from fastiou import metrics
from fastiou._config import show_config
from fastiou._shared._openmp_info import openmp_enabled
from fastiou._version import __version__
from fastiou.binary import binary_iou, soft_iou, thresholded_iou
from fastiou.boxes import box_area, box_convert, box_iou, rotated_box_iou
from fastiou.masks import mask_iou, rle_decode, rle_encode
from fastiou.metrics import (
    accuracy_score,
    cohen_kappa_score,
    dice_score,
    fbeta_score,
    jaccard_score,
    precision_score,
    recall_score,
)
from fastiou.panoptic import (
    PanopticQuality,
    panoptic_quality,
    panoptic_quality_from_labels,
    segment_overlaps,
)
from fastiou.segmentation._accumulator import ConfusionMatrix, SegmentationMetrics
from fastiou.segmentation.bfscore import bf_tolerance, boundary_fscore
from fastiou.segmentation.boundary import BoundaryIoU, BoundaryMetrics, boundary_depth, boundary_iou
from fastiou.segmentation._core import (
    confusion_matrix,
    iou_from_confusion,
    mean_iou,
    per_class_iou,
)

__all__ = [
    "BoundaryIoU",
    "BoundaryMetrics",
    "ConfusionMatrix",
    "PanopticQuality",
    "SegmentationMetrics",
    "__version__",
    "binary_iou",
    "soft_iou",
    "thresholded_iou",
    "accuracy_score",
    "cohen_kappa_score",
    "dice_score",
    "fbeta_score",
    "jaccard_score",
    "metrics",
    "precision_score",
    "recall_score",
    "bf_tolerance",
    "boundary_depth",
    "boundary_fscore",
    "boundary_iou",
    "box_area",
    "box_convert",
    "box_iou",
    "confusion_matrix",
    "iou_from_confusion",
    "mask_iou",
    "mean_iou",
    "openmp_enabled",
    "panoptic_quality",
    "panoptic_quality_from_labels",
    "per_class_iou",
    "rle_decode",
    "rle_encode",
    "rotated_box_iou",
    "segment_overlaps",
    "show_config",
]
