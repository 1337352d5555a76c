"""Drop-in replacements for the IoU metrics of other libraries: same signatures, same
numbers, NumPy in and out (CPU torch tensors are accepted where the peer takes them).

- :mod:`fastiou.compat.sklearn`: ``confusion_matrix``, ``jaccard_score``
- :mod:`fastiou.compat.torchmetrics`: the Jaccard-index and confusion-matrix functions
  (binary / multiclass / multilabel, ``task=`` dispatchers) and Metric classes, with
  torchmetrics' float32 results bit for bit (docs/compat/torchmetrics.md)
- :mod:`fastiou.compat.keras`: ``IoU``, ``MeanIoU``, ``BinaryIoU``, ``OneHotIoU``,
  ``OneHotMeanIoU``
- :mod:`fastiou.compat.mmseg`: ``intersect_and_union``, ``mean_iou``, ``eval_metrics``

Each module's docstring lists where it deliberately differs from its peer (a bug or a
precision loss it does not reproduce). The peers are never imported.
"""

import numpy as np


def to_numpy(values, name):
    """`values` as an ndarray; torch tensors (CPU, with or without grad) are detached."""
    if hasattr(values, "detach") and hasattr(values, "cpu"):
        values = values.detach().cpu().numpy()
    try:
        return np.asarray(values)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"`{name}` must be array-like; could not convert it: {exc}") from exc
