"""Calls ``mypy --strict`` must reject: ``tests/test_typing.py`` checks that mypy reports an
error on every line marked ``# E`` and on no other line. (Never run: most would raise.)"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

import fastiou
from fastiou import metrics
from fastiou.compat import keras

labels = np.zeros((2, 2), np.uint8)

fastiou.mean_iou(labels, labels, 3, out_of_range="drop")  # E: not an out_of_range policy
fastiou.confusion_matrix(labels, labels, 3, ignore_index="255")  # E: a str is no ignore value
fastiou.confusion_matrix(labels, labels, 3, n_thread=2)  # E: misspelt keyword
fastiou.per_class_iou(labels, labels, 3, threshold="0.5")  # E: threshold is a number
fastiou.jaccard_score(labels, labels, 3, average="mean")  # E: not an average
fastiou.dice_score(labels, labels, 3, axes=1)  # E: misspelt count keyword
fastiou.accuracy_score(labels, labels, 3, average="macro")  # E: accuracy takes no average
fastiou.fbeta_score(labels, labels, 3)  # E: beta is required
metrics.iou(labels, average="samples")  # E: not an average
metrics.fbeta(labels, beta="2")  # E: beta is a number
fastiou.binary_iou(labels, labels, smooth="1e-6")  # E: smooth is a number
fastiou.thresholded_iou(labels, labels, rounding="ceil")  # E: not a rounding
fastiou.soft_iou(labels, labels, mode="hard")  # E: not a mode
fastiou.box_iou(labels, labels, fmt="xywhr")  # E: not a box format
fastiou.box_iou(labels, labels, mode="kiou")  # E: not a mode
fastiou.rotated_box_iou(labels, labels, angle_unit="turns")  # E: not an angle unit
fastiou.ConfusionMatrix(3).report(format="html")  # E: not a report format
fastiou.ConfusionMatrix(3, out_of_range="clip")  # E: not an out_of_range policy
keras.IoU(3, target_class_ids=[0]).update_state(labels)  # E: y_pred is missing
score: float = fastiou.jaccard_score(labels, labels, 3, average="none")  # E: per-class array
value: float = fastiou.mean_iou(labels, labels, 3, per_image=True)  # E: one value per image
counts: npt.NDArray[np.int64] = fastiou.confusion_matrix(labels, labels, 3, sample_weight=[1.0])  # E: float64
fine: npt.NDArray[np.float64] = fastiou.per_class_iou(labels, labels, 3)
