"""``fastiou.metrics``: the metrics derived from a confusion matrix (``iou``, ``dice``, ...)
and their one-shot forms from arrays (``jaccard_score``, ...).

This module only re-exports the public names; the code lives in :mod:`fastiou.segmentation.metrics`
(the layout is described in docs/architecture.md).
"""

from fastiou.segmentation.metrics import (accuracy_score, cohen_kappa, cohen_kappa_score, dice,
                                          dice_score, fbeta, fbeta_score, frequency_weighted_iou,
                                          iou, jaccard_score, mean_class_accuracy, pixel_accuracy,
                                          precision, precision_score, recall, recall_score, support)

__all__ = [
    "accuracy_score", "cohen_kappa", "cohen_kappa_score", "dice", "dice_score", "fbeta",
    "fbeta_score", "frequency_weighted_iou", "iou", "jaccard_score", "mean_class_accuracy",
    "pixel_accuracy", "precision", "precision_score", "recall", "recall_score", "support",
]
