"""Drop-in replacements for the IoU metrics of other libraries: same signatures, same
numbers, NumPy in and out (torch tensors are accepted where the peer takes them).

- :mod:`fastiou.compat.sklearn`: ``confusion_matrix``, ``multilabel_confusion_matrix``, ``jaccard_score``
- :mod:`fastiou.compat.torchmetrics`: the Jaccard-index and confusion-matrix functions
  (binary / multiclass / multilabel, ``task=`` dispatchers) and Metric classes, with
  torchmetrics' float32 results bit for bit (docs/compat/torchmetrics.md)
- :mod:`fastiou.compat.keras`: ``IoU``, ``MeanIoU``, ``BinaryIoU``, ``OneHotIoU``,
  ``OneHotMeanIoU``, bit for bit as Keras 3 (torch backend), quirks included (docs/compat/keras.md)
- :mod:`fastiou.compat.mmseg`: every function of mmseg 0.x's ``metrics.py`` (``eval_metrics``, ...)
- :mod:`fastiou.compat.torchvision`: ``box_iou``, ``generalized_box_iou``, ``distance_box_iou``, ``complete_box_iou``, ``box_area``, ``box_convert``
- :mod:`fastiou.compat.mmdet`: ``bbox_overlaps``, ``BboxOverlaps2D``
- :mod:`fastiou.compat.cython_bbox`: ``bbox_overlaps``
- :mod:`fastiou.compat.pycocotools`: ``iou``
- :mod:`fastiou.compat.detectron2`: ``SemSegEvaluator``'s Boundary IoU (``boundary_iou``,
  ``boundary_confusion_matrix``, ``boundary_iou_from_matrix``), quirks included (docs/compat/detectron2.md)
- :mod:`fastiou.compat.cityscapes`: cityscapesScripts' ``evaluateImgLists``, ``evaluatePair``
  and score functions (``getIouScoreForLabel``, ``getScoreAverage``, ...)
- :mod:`fastiou.compat.panopticapi`: COCO panopticapi's ``pq_compute``
- :mod:`fastiou.compat.cityscapes_panoptic`: cityscapesScripts' ``evaluatePanoptic``

Each module's docstring lists where it deliberately differs from its peer (a bug or a
precision loss it does not reproduce). The peers are never imported.
"""

from __future__ import annotations

from typing import Any

import numpy.typing as npt

from fastiou._shared._validation import as_array


def to_numpy(values: object, name: str) -> npt.NDArray[Any]:
    """`values` as an ndarray: a torch tensor is detached and read on the CPU (copied only
    from another device; see :func:`fastiou._shared._validation.tensor_as_numpy`)."""
    return as_array(values, name, "array-like")
