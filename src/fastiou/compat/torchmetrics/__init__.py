"""torchmetrics' Jaccard index and confusion matrices (functions and Metric classes), counted
by fastiou, with torchmetrics' numbers.

Same names, signatures, defaults and results as torchmetrics 1.x
(``torchmetrics.functional.classification`` and ``torchmetrics.classification``):

- functions: ``binary_jaccard_index``, ``multiclass_jaccard_index``,
  ``multilabel_jaccard_index``, ``jaccard_index(task=...)``, ``binary_confusion_matrix``,
  ``multiclass_confusion_matrix``, ``multilabel_confusion_matrix``,
  ``confusion_matrix(task=...)``;
- classes: ``BinaryJaccardIndex``, ``MulticlassJaccardIndex``, ``MultilabelJaccardIndex``,
  ``JaccardIndex(task=...)``, ``BinaryConfusionMatrix``, ``MulticlassConfusionMatrix``,
  ``MultilabelConfusionMatrix``, ``ConfusionMatrix(task=...)``, with ``update``,
  ``compute``, ``forward`` / ``__call__``, ``reset``, ``merge_state``, ``clone``, pickling.

Inputs are NumPy arrays, nested lists or CPU torch tensors (bfloat16 included); torch is
never imported. Outputs are NumPy, in torchmetrics' dtype: int64 count matrices, float32
scores (a 0-d result is a ``numpy.float32``), equal to torchmetrics' float32 results bit for
bit, torch's float32 summation order included. Where torchmetrics raises, the same exception
type is raised (a torch ``RuntimeError`` for bad values comes as an error that is both a
``RuntimeError`` and a ``ValueError``).

torchmetrics' behaviours kept (see docs/compat/torchmetrics.md for the full list):

- float `preds` with any value outside [0, 1] (or NaN) are logits: a sigmoid is applied
  before ``> threshold``; the test covers the kept entries in the binary task and the whole
  tensor, ignored entries included, in the multilabel task. The comparison is made in the
  dtype of `preds`, as torch does.
- multiclass ``"macro"`` leaves out classes absent from target and prediction and an
  `ignore_index` inside ``[0, C)``; ``"micro"`` subtracts that class's union; ``"none"``
  shows `zero_division` for absent classes.
- multilabel functions leave label number `ignore_index` out of the macro mean and its union
  out of the micro ratio (an ignore *value* used as a label index); the Metric class does not.
- ``zero_division`` is applied where it is a Python number; NaN propagates through macro and
  weighted means; a string other than ``"warn"`` gives NaN.
- with ``validate_args=False``, a label outside the classes is counted where torchmetrics'
  ``target * C + preds`` mapping puts it, or raises torch's error.

Where it deliberately differs: tensors of uint16/uint32/uint64 (torch 2.13 has no kernels
for them there and raises NotImplementedError) are counted; an error inside ``forward``
leaves the accumulated state as it was (torchmetrics has already reset it).
"""

from fastiou.compat.torchmetrics._functional import (
    binary_confusion_matrix,
    binary_jaccard_index,
    confusion_matrix,
    jaccard_index,
    multiclass_confusion_matrix,
    multiclass_jaccard_index,
    multilabel_confusion_matrix,
    multilabel_jaccard_index,
)
from fastiou.compat.torchmetrics._metrics import (
    BinaryConfusionMatrix,
    BinaryJaccardIndex,
    ConfusionMatrix,
    JaccardIndex,
    Metric,
    MulticlassConfusionMatrix,
    MulticlassJaccardIndex,
    MultilabelConfusionMatrix,
    MultilabelJaccardIndex,
)

__all__ = [
    "BinaryConfusionMatrix", "BinaryJaccardIndex", "ConfusionMatrix", "JaccardIndex", "Metric",
    "MulticlassConfusionMatrix", "MulticlassJaccardIndex", "MultilabelConfusionMatrix",
    "MultilabelJaccardIndex", "binary_confusion_matrix", "binary_jaccard_index", "confusion_matrix",
    "jaccard_index", "multiclass_confusion_matrix", "multiclass_jaccard_index",
    "multilabel_confusion_matrix", "multilabel_jaccard_index",
]
