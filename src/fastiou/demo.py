"""``fastiou.demo``: the Cityscapes-like demo dataset of ``fastiou eval --demo``.

This module only re-exports the public names; the code lives in :mod:`fastiou.evaluate.demo`
(the layout is described in docs/architecture.md).
"""

from fastiou.evaluate.demo import (CITYSCAPES_CLASSES, CITYSCAPES_COLOURS, DemoDataset,
                                   make_dataset, make_prediction, make_scene, palette)

__all__ = [
    "CITYSCAPES_CLASSES", "CITYSCAPES_COLOURS", "DemoDataset", "make_dataset",
    "make_prediction", "make_scene", "palette",
]
