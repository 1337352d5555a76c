"""``fastiou.plot``: the confusion-matrix and per-class plots.

This module only re-exports the public names; the code lives in :mod:`fastiou.evaluate.plot`
(the layout is described in docs/architecture.md).
"""

from fastiou.evaluate.plot import confusion_matrix, per_class

__all__ = ["confusion_matrix", "per_class"]
