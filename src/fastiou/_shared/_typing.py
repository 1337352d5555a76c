"""Type aliases shared by the annotations of fastiou's public functions.

Inputs are ``numpy.typing.ArrayLike`` (lists, arrays, CPU torch tensors); outputs are
``NDArray[np.int64]`` counts and ``NDArray[np.float64]`` metrics. String options are
``Literal`` types; ``tests/test_typing.py`` checks that each holds exactly the values
the runtime check of that option accepts.
"""

import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypedDict, Union

import numpy as np
import numpy.typing as npt

if sys.version_info >= (3, 11):
    from typing import TypeAlias, Unpack
else:
    from typing import TypeAlias

    if TYPE_CHECKING:  # only annotations use it, and they are never evaluated
        from typing_extensions import Unpack

__all__ = [
    "RLE", "ArrayLike", "Average", "BoxFormat", "BoxMode", "Classes", "CountArray", "CountOptions",
    "EncodedRLE", "FloatArray", "IgnoreIndex", "IntArray", "Integer", "LabelOptions", "OutOfRange",
]

ArrayLike: TypeAlias = npt.ArrayLike
IntArray: TypeAlias = npt.NDArray[np.int64]
FloatArray: TypeAlias = npt.NDArray[np.float64]
# exact int64 counts, or float64 sums of weights
CountArray: TypeAlias = Union[IntArray, FloatArray]
# a Python int or a NumPy integer scalar (``labels.max() + 1``)
Integer: TypeAlias = Union[int, np.integer[Any]]
IgnoreIndex: TypeAlias = Union[Integer, Iterable[Integer], None]
# class indices to report (``labels=``)
Classes: TypeAlias = Union[Integer, Sequence[Integer], npt.NDArray[np.integer[Any]]]

OutOfRange: TypeAlias = Literal["raise", "ignore", "miss"]
Average: TypeAlias = Literal["macro", "micro", "weighted", "none", "binary", "micro-imagewise",
                             "macro-imagewise"]
BoxFormat: TypeAlias = Literal["xyxy", "xywh", "cxcywh"]
BoxMode: TypeAlias = Literal["iou", "iof", "giou", "diou", "ciou"]
# a COCO run-length encoding: {"size": [h, w], "counts": bytes | str | list of int}
RLE: TypeAlias = Mapping[str, Any]
# what rle_encode returns: pycocotools' compressed counts, as bytes
EncodedRLE: TypeAlias = dict[str, Union[list[int], bytes]]


class LabelOptions(TypedDict, total=False):
    """The keywords of :func:`fastiou.confusion_matrix` other than `sample_weight` and
    `per_image` (the two that change what it returns)."""

    ignore_index: IgnoreIndex
    n_threads: Union[int, None]
    out_of_range: OutOfRange
    axis: Union[int, None]
    threshold: Union[float, None]
    multilabel: bool


class CountOptions(LabelOptions, total=False):
    """Every keyword of :func:`fastiou.confusion_matrix` but `per_image`."""

    sample_weight: Union[ArrayLike, None]
