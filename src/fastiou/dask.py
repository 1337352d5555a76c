"""``fastiou.dask``: confusion matrices on Dask (chunked arrays, label-map files read on
the workers), and panoptic quality of COCO panoptic files.

This module only re-exports the public names; the code lives in :mod:`fastiou.evaluate.dask`
(the layout is described in docs/architecture.md).
"""

from fastiou.evaluate.dask import confusion_matrix, evaluate_files, panoptic_quality_files

__all__ = ["confusion_matrix", "evaluate_files", "panoptic_quality_files"]
