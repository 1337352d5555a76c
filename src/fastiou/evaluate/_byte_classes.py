"""8-bit label maps counted by byte value, the values then mapped to classes: the wrapper of
the kernels :func:`fastiou.evaluate._png_pairs.count_png_pairs` (two 8-bit PNGs decoded and counted
together, a few rows at a time) and :func:`fastiou.segmentation._byte_tables.fold_counts` (a matrix of
counted value pairs mapped to classes).

Both kernels take what each of the 256 byte values counts as in their own encoding,
:class:`ByteClasses`, which only :func:`byte_classes` prepares; ``fastiou eval`` gives it
the label each byte value stands for (after its label maps) and calls the functions here.
:func:`count_png_pair` inflates both images whole with :func:`fastiou.evaluate._png.inflater` (into
the caller's reusable buffers) before the kernel unfilters and counts them a few rows at a
time (see ``benchmarks/README.md``, issue 15).
"""

from typing import NamedTuple

import numpy as np

from fastiou.segmentation._byte_tables import fold_counts
from fastiou.segmentation._core import Counts
from fastiou.evaluate._png import PngError, inflate_png, inflater
from fastiou.evaluate._png_pairs import count_png_pairs


class ByteClasses(NamedTuple):
    """What each byte value counts as, in the kernels' encoding (see :func:`byte_classes`)."""

    truth: np.ndarray  # int64 (256,): the class as ground truth; -1 ignored, num_classes out of range
    pred: np.ndarray  # int64 (256,): the class as prediction; -1 out of range
    num_classes: int  # the classes counted: C, or C + 1 with a class for predictions told apart


def byte_classes(truth_labels, pred_labels, ignore_index, num_classes, *, unknown_truth=None,
                 pred_apart=None):
    """The kernels' encoding of the classes the 256 byte values stand for.

    Parameters
    ----------
    truth_labels, pred_labels : array_like of int, shape (256,)
        The label byte value ``v`` stands for in the ground truth and in the prediction
        (``v`` itself, or what a label map makes of it).
    ignore_index : sequence of int
        Ground-truth labels whose pixels are not counted.
    num_classes : int
        ``C``: labels outside ``[0, C)`` are out of range.
    unknown_truth : array_like of bool, shape (256,), optional
        Byte values that are out of range as ground truth whatever they map to (values a
        closed label map does not list).
    pred_apart : array_like of bool, shape (256,), optional
        Byte values whose predictions are counted apart, in an extra class ``C``, from the
        other out-of-range predictions (which are misses): ``fastiou eval`` tells void
        predictions (misses) from unknown ones (errors) this way. Ignored ground truth is
        then counted too, in row ``C``, so that such predictions are found there as well.

    Returns
    -------
    ByteClasses
        ``truth[v]``: the class, -1 when ignored, ``num_classes`` when out of range;
        ``pred[v]``: the class, -1 when out of range; ``num_classes``: ``C``, or ``C + 1``
        with `pred_apart`.

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.evaluate._byte_classes import byte_classes
    >>> classes = byte_classes(np.arange(256), np.arange(256), [255], 3)
    >>> classes.truth[[0, 2, 3, 255]].tolist(), classes.pred[[2, 3, 255]].tolist()
    ([0, 2, 3, -1], [2, -1, -1])
    >>> apart = byte_classes(np.arange(256), np.arange(256), [255], 3,
    ...                      pred_apart=np.arange(256) > 200)
    >>> apart.num_classes, int(apart.truth[255]), apart.pred[[2, 3, 201]].tolist()
    (4, 3, [2, -1, 3])
    """
    truth = np.asarray(truth_labels, dtype=np.int64)
    pred = np.asarray(pred_labels, dtype=np.int64)
    if truth.shape != (256,) or pred.shape != (256,):
        raise ValueError(f"`truth_labels` and `pred_labels` must give the labels of the 256 byte "
                         f"values, got shapes {truth.shape} and {pred.shape}")
    counted = num_classes + (pred_apart is not None)
    truth_classes = np.where((truth >= 0) & (truth < num_classes), truth, counted)
    truth_classes[np.isin(truth, list(ignore_index))] = -1 if pred_apart is None else num_classes
    if unknown_truth is not None:
        truth_classes[np.asarray(unknown_truth, dtype=bool)] = counted
    pred_classes = np.where((pred >= 0) & (pred < num_classes), pred, -1)
    if pred_apart is not None:
        pred_classes[np.asarray(pred_apart, dtype=bool)] = num_classes
    return ByteClasses(truth_classes, pred_classes, counted)


def fold_value_counts(counts, classes):
    """Map a matrix of counted byte-value pairs to classes.

    Parameters
    ----------
    counts : numpy.ndarray
        ``(V, V)`` int64, C-contiguous, ``V <= 256``: ``counts[t, p]`` pairs of truth value
        ``t`` and prediction value ``p``.
    classes : ByteClasses
        What each value counts as (:func:`byte_classes`).

    Returns
    -------
    fastiou.segmentation._core.Counts
        The ``(C, C)`` matrix of the mapped pairs, ``miss`` and the out-of-range counts.

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.evaluate._byte_classes import byte_classes, fold_value_counts
    >>> counts = np.array([[3, 1], [0, 2]], dtype=np.int64)
    >>> fold_value_counts(counts, byte_classes(np.arange(256), np.zeros(256), [], 2)).matrix.tolist()
    [[4, 0], [2, 0]]
    """
    return Counts(*fold_counts(counts, classes.truth, classes.pred, classes.num_classes))


def pair_inflate_path() -> str:
    """How :func:`count_png_pair` inflates, for ``fastiou.show_config()`` and ``fastiou eval -v``.

    Returns
    -------
    str
        The inflater (:func:`fastiou.evaluate._png.inflater`); each image is inflated whole, then
        unfiltered and counted a few rows at a time.

    Examples
    --------
    >>> from fastiou.evaluate._byte_classes import pair_inflate_path
    >>> pair_inflate_path().endswith(", whole")
    True
    """
    return f"{inflater().name}, whole"


def count_png_pair(truth, pred, classes, paths, scratch):
    """Decode and count an 8-bit PNG pair together, on one thread: both images inflated,
    then unfiltered and counted a few rows at a time.

    Parameters
    ----------
    truth, pred : fastiou.evaluate._png.PngImage
        The two images as :func:`fastiou.evaluate._png.parse_png` read them: 8 bits, not interlaced
        (``one_byte_rows``), one size.
    classes : ByteClasses
        What each byte value counts as (:func:`byte_classes`).
    paths : tuple of str
        The files of `truth` and `pred`.
    scratch : tuple of fastiou.evaluate._png.Scratch
        Reusable buffers that `truth` and `pred` are inflated into.

    Returns
    -------
    fastiou.segmentation._core.Counts or None
        The ``(C, C)`` counts of the mapped pixels; None when the data of either image is
        corrupt (a decode of the files says what is wrong).

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from fastiou.evaluate._byte_classes import byte_classes, count_png_pair
    >>> from fastiou.evaluate._png import Scratch, parse_png, write_png
    >>> path = os.path.join(tempfile.mkdtemp(), "labels.png")
    >>> write_png(path, np.array([[0, 1, 1], [1, 1, 255]], dtype=np.uint8))
    >>> image = parse_png(path)
    >>> classes = byte_classes(np.arange(256), np.arange(256), [255], 2)
    >>> count_png_pair(image, image, classes, (path, path), (Scratch(), Scratch())).matrix.tolist()
    [[1, 0], [0, 4]]
    """
    try:
        truth = inflate_png(truth, paths[0], scratch[0])
        pred = inflate_png(pred, paths[1], scratch[1])
    except PngError:
        return None
    counts = count_png_pairs(truth.data, pred.data, truth.height, truth.width, classes.truth,
                             classes.pred, classes.num_classes)
    return None if counts is None else Counts(*counts)
