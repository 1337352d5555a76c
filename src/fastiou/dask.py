"""``fastiou.dask``: confusion matrices on Dask (chunked arrays, label-map files read on
the workers).

This module only re-exports the public names; the code lives in :mod:`fastiou.evaluate.dask`
(the layout is described in docs/architecture.md).
"""

from fastiou.evaluate.dask import confusion_matrix, evaluate_files

__all__ = ["confusion_matrix", "evaluate_files"]
