"""Confusion matrices on Dask: chunked arrays and label-map files read on the workers.

Needs ``pip install 'fastiou[dask]'``. Each Dask task runs the same compiled kernel as
:func:`fastiou.confusion_matrix` on one chunk (or one batch of files) and returns an exact
int64 matrix; only these small matrices travel, never the pixels, and integer sums make the
result identical to the single-process one whatever the chunking or the order.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np
import numpy.typing as npt

from fastiou._shared._threads import available_cpus
from fastiou._shared._typing import CountArray, IgnoreIndex, IntArray, Integer, OutOfRange
from fastiou._shared._validation import check_num_classes, ignore_values
from fastiou.evaluate._engine import EvalOptions, count_pair, new_miss, new_total
from fastiou.evaluate._io import LabelPair, as_label_mapping
from fastiou.evaluate._report import per_image_row
from fastiou.segmentation._core import OUT_OF_RANGE_POLICIES, count_pairs

if TYPE_CHECKING:
    from types import ModuleType

    import dask.array
    from dask.delayed import Delayed
    from distributed import Client

__all__ = ["confusion_matrix", "evaluate_files", "panoptic_quality_files"]

# a label mapping as fastiou eval's --label-map / --color-map accept it (a dict, or a spec
# string such as "cityscapes" or "7:0,8:1")
_Mapping = Mapping[Any, int] | str | None

# Chunk matrices summed per tree node.
SPLIT_EVERY = 8
# Pairs per task when the caller does not say: about this many tasks per worker thread.
TASKS_PER_THREAD = 4
MAX_BATCH = 64


def _dask() -> ModuleType:
    try:
        import dask
        import dask.array
    except ImportError:
        raise ImportError("fastiou.dask needs dask: pip install 'fastiou[dask]'") from None
    return dask


def _chunk_matrix(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, num_classes: int,
                  ignore_index: npt.NDArray[np.int64], n_threads: int | None, out_of_range: OutOfRange,
                  sample_weight: npt.ArrayLike | None = None) -> CountArray:
    return count_pairs(y_true, y_pred, num_classes, ignore_index=ignore_index,
                       sample_weight=sample_weight, n_threads=n_threads,
                       out_of_range=out_of_range).matrix


def _add_all(*parts: npt.NDArray[Any]) -> npt.NDArray[Any]:
    total = parts[0].copy() if isinstance(parts[0], np.ndarray) else parts[0]
    for part in parts[1:]:
        total = total + part
    return total


def _tree_sum(dask: ModuleType, tasks: list[Delayed], split_every: int = SPLIT_EVERY) -> Delayed:
    """Sum delayed values pairwise-by-groups: a tree of depth log_{split_every}(n)."""
    while len(tasks) > 1:
        tasks = [dask.delayed(_add_all, pure=True)(*tasks[i:i + split_every])
                 for i in range(0, len(tasks), split_every)]
    return tasks[0]


def _check_labels(array: dask.array.Array, name: str) -> None:
    if array.dtype.kind not in "biu":
        raise TypeError(f"`{name}` must hold integer or bool labels, got dtype {array.dtype}")


def confusion_matrix(y_true: dask.array.Array | npt.ArrayLike, y_pred: dask.array.Array | npt.ArrayLike,
                     num_classes: Integer, *, ignore_index: IgnoreIndex = None,
                     sample_weight: dask.array.Array | npt.ArrayLike | None = None, n_threads: int | None = 1,
                     out_of_range: OutOfRange = "raise", split_every: int = SPLIT_EVERY) -> dask.array.Array:
    """Lazy confusion matrix of two Dask (or NumPy) label arrays: one matrix per chunk, tree-summed.

    Parameters
    ----------
    y_true, y_pred : dask.array.Array or array_like of int or bool
        Labels of the same shape; `y_pred` is rechunked to `y_true`'s chunks if they differ.
    num_classes : int
        Number of classes ``C``.
    ignore_index : int or sequence of int, optional
        Truth values whose pairs are dropped.
    sample_weight : dask.array.Array or array_like of float, optional
        Non-negative weight per pair, broadcast to the labels' shape and rechunked to
        `y_true`'s chunks; the matrix is then float64 (summed per chunk, so it can differ
        from the one-process sum in the last bits).
    n_threads : int
        Kernel threads per chunk (default 1: Dask already runs chunks in parallel).
    out_of_range : {"raise", "ignore", "miss"}
        As in :func:`fastiou.confusion_matrix`; a ``ValueError`` surfaces at compute time.
    split_every : int
        How many chunk matrices one summing task adds (the fan-in of the tree).

    Returns
    -------
    dask.array.Array of shape (C, C), int64 (float64 with `sample_weight`)
        Call ``.compute()``; equal to :func:`fastiou.confusion_matrix` on the whole arrays.

    Examples
    --------
    >>> import dask.array as da, fastiou.dask
    >>> y_true = da.from_array([0, 1, 1, 2, 2, 2], chunks=2)
    >>> y_pred = da.from_array([0, 1, 2, 2, 2, 0], chunks=3)
    >>> fastiou.dask.confusion_matrix(y_true, y_pred, 3).compute()
    array([[1, 0, 0],
           [0, 1, 1],
           [1, 0, 2]])
    """
    dask = _dask()
    da = dask.array
    num_classes = check_num_classes(num_classes)
    if out_of_range not in OUT_OF_RANGE_POLICIES:
        raise ValueError(f"`out_of_range` must be one of {', '.join(map(repr, OUT_OF_RANGE_POLICIES))}, "
                         f"got {out_of_range!r}")
    if isinstance(split_every, bool) or not isinstance(split_every, int) or split_every < 2:
        raise ValueError(f"`split_every` must be an int >= 2, got {split_every!r}")
    ignore = ignore_values(ignore_index, np.int64)
    truth, pred = da.asarray(y_true), da.asarray(y_pred)
    _check_labels(truth, "y_true")
    _check_labels(pred, "y_pred")
    if truth.shape != pred.shape:
        raise ValueError(f"`y_pred` has shape {pred.shape} but `y_true` has shape {truth.shape}; "
                         "they must be equal")
    if truth.ndim == 0:
        raise ValueError("`y_true` must be an array with at least one dimension, got a 0-d array")
    if pred.chunks != truth.chunks:
        pred = pred.rechunk(truth.chunks)
    chunks = [truth.to_delayed().ravel(), pred.to_delayed().ravel()]
    dtype: type[np.int64 | np.float64] = np.int64
    if sample_weight is not None:
        chunks.append(_weight_chunks(da, sample_weight, truth))
        dtype = np.float64
    chunk = dask.delayed(_chunk_matrix, pure=True)
    parts = [chunk(t, p, num_classes, ignore, n_threads, out_of_range, *w)
             for t, p, *w in zip(*chunks)]
    if not parts:
        return da.zeros((num_classes, num_classes), dtype=dtype)
    total = _tree_sum(dask, parts, split_every)
    return da.from_delayed(total, shape=(num_classes, num_classes), dtype=dtype)


def _weight_chunks(da: ModuleType, sample_weight: dask.array.Array | npt.ArrayLike,
                   truth: dask.array.Array) -> npt.NDArray[np.object_]:
    """`sample_weight` broadcast to `truth`'s shape and chunks, as delayed chunks (their
    values are checked by the kernel's wrapper at compute time)."""
    weights = da.asarray(sample_weight)
    if weights.dtype.kind not in "biuf":
        raise TypeError(f"`sample_weight` must hold real numbers, got dtype {weights.dtype}")
    try:
        weights = da.broadcast_to(weights, truth.shape)
    except ValueError:
        raise ValueError(f"`sample_weight` has shape {weights.shape}, which does not broadcast to "
                         f"the labels' shape {truth.shape}") from None
    return weights.rechunk(truth.chunks).to_delayed().ravel()


def _count_batch(batch: Sequence[LabelPair], options: EvalOptions, n_threads: int | None,
                 metric_names: Sequence[str] | None) -> tuple[IntArray, IntArray, int, int, list[list[Any]] | None]:
    """One task: read and count a batch of pairs on the worker.

    Returns ``(int64 matrix, int64 misses per class, pixels, number of pairs, per-image rows
    or None)``.
    """
    total, missed = new_total(options), new_miss(options)
    pixels = 0
    rows = [] if metric_names is not None else None
    for pair in batch:
        result = count_pair(pair, options, n_threads)
        total += result.matrix
        missed += result.miss
        pixels += result.pixels
        if rows is not None:
            rows.append(per_image_row(pair, result, metric_names, options))
    return total, missed, pixels, len(batch), rows


def _batch_counts(batch: Sequence[LabelPair], options: EvalOptions, n_threads: int | None) -> IntArray:
    """The (C, C + 1) counts of a batch: its matrix, then its misses as the last column."""
    total, missed = _count_batch(batch, options, n_threads, None)[:2]
    return np.column_stack([total, missed])


def _as_pairs(pairs: Sequence[tuple[str, str] | LabelPair]) -> list[LabelPair]:
    checked = []
    for position, pair in enumerate(pairs):
        if isinstance(pair, LabelPair):
            checked.append(pair)
            continue
        try:
            gt, pred = pair
        except (TypeError, ValueError):
            raise TypeError(f"`pairs` must hold (ground truth path, prediction path) pairs; item "
                            f"{position} is {pair!r}") from None
        checked.append(LabelPair(str(gt), str(gt), str(pred)))
    return checked


def _cluster_threads(client: Client | None) -> int:
    if client is None:
        return available_cpus()
    try:
        return max(1, sum(client.nthreads().values()))
    except Exception:  # a client whose scheduler does not answer: fall back to this machine
        return available_cpus()


def batches(pairs: list[LabelPair], batch_size: int | None, threads: int) -> list[list[LabelPair]]:
    """Split `pairs` into batches of `batch_size` (default: ~4 tasks per cluster thread)."""
    if batch_size is None:
        batch_size = max(1, min(MAX_BATCH, math.ceil(len(pairs) / (TASKS_PER_THREAD * threads))))
    elif isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"`batch_size` must be a positive int, got {batch_size!r}")
    return [pairs[i:i + batch_size] for i in range(0, len(pairs), batch_size)]


def make_options(num_classes: Integer, ignore_index: IgnoreIndex = None, label_map: _Mapping = None,
                 pred_label_map: _Mapping = None, reduce_zero_label: bool = False,
                 color_map: _Mapping = None, out_of_range: OutOfRange | None = None) -> EvalOptions:
    """The picklable reading/counting options every worker receives.

    `out_of_range` None is ``"raise"``, except with the ``"cityscapes"`` preset, which counts
    as cityscapesScripts: a prediction the `pred_label_map` preset declares void (an id
    cityscapesScripts does not evaluate) is a miss of the true class, and a value a preset
    does not list (no Cityscapes label id) is out of range. A policy given explicitly
    applies to every out-of-range label, and preset values not listed stay as they are.
    """
    ignore = tuple(int(v) for v in ignore_values(ignore_index, np.int64))
    if reduce_zero_label and 255 not in ignore:
        ignore += (255,)
    pred_mapping = as_label_mapping(pred_label_map, "pred_label_map")
    if out_of_range is not None and out_of_range not in OUT_OF_RANGE_POLICIES:
        raise ValueError(f"`out_of_range` must be None or one of "
                         f"{', '.join(map(repr, OUT_OF_RANGE_POLICIES))}, got {out_of_range!r}")
    truth_mapping = as_label_mapping(label_map, "label_map")
    void = pred_mapping.void if out_of_range is None and pred_mapping is not None else ()
    closed = out_of_range is None and truth_mapping is not None and bool(truth_mapping.void)
    return EvalOptions(check_num_classes(num_classes), ignore, truth_mapping, pred_mapping,
                       bool(reduce_zero_label), as_label_mapping(color_map, "color_map", colours=True),
                       out_of_range or "raise", tuple(void), closed)


@overload
def evaluate_files(pairs: Sequence[tuple[str, str]], num_classes: Integer, *, ignore_index: IgnoreIndex = None,
                   label_map: _Mapping = None, pred_label_map: _Mapping = None,
                   reduce_zero_label: bool = False, color_map: _Mapping = None, client: Client | None = None,
                   batch_size: int | None = None, n_threads: int | None = 1,
                   out_of_range: OutOfRange | None = None, return_miss: Literal[False] = False) -> IntArray: ...
@overload
def evaluate_files(pairs: Sequence[tuple[str, str]], num_classes: Integer, *, ignore_index: IgnoreIndex = None,
                   label_map: _Mapping = None, pred_label_map: _Mapping = None,
                   reduce_zero_label: bool = False, color_map: _Mapping = None, client: Client | None = None,
                   batch_size: int | None = None, n_threads: int | None = 1,
                   out_of_range: OutOfRange | None = None, return_miss: Literal[True]) -> tuple[IntArray, IntArray]: ...
def evaluate_files(pairs: Sequence[tuple[str, str]], num_classes: Integer, *, ignore_index: IgnoreIndex = None,
                   label_map: _Mapping = None, pred_label_map: _Mapping = None,
                   reduce_zero_label: bool = False, color_map: _Mapping = None, client: Client | None = None,
                   batch_size: int | None = None, n_threads: int | None = 1,
                   out_of_range: OutOfRange | None = None,
                   return_miss: bool = False) -> IntArray | tuple[IntArray, IntArray]:
    """Confusion matrix of label-map files, read and counted on Dask workers.

    Each task reads a batch of pairs where it runs and returns one matrix; the matrices
    are tree-summed, so pixels never travel through the scheduler.

    Parameters
    ----------
    pairs : sequence of (str, str)
        (ground-truth path, prediction path) pairs the workers can read (PNG, TIFF, .npy).
    num_classes : int
        Number of classes ``C``.
    ignore_index : int or sequence of int, optional
        Ground-truth values left out.
    label_map, pred_label_map : dict or str, optional
        Value -> class id mappings for the ground truth / the predictions (values not listed
        stay); a str is anything ``fastiou eval --label-map`` accepts (e.g. ``"cityscapes"``).
    reduce_zero_label : bool
        mmseg's convention for the ground truth: 0 becomes 255 (ignored), others shift down by one.
    color_map : dict or str, optional
        ``{(r, g, b): class id}`` for RGB label images.
    client : dask.distributed.Client, optional
        Where to run; by default Dask's current scheduler (a running ``Client`` if any).
    batch_size : int, optional
        Pairs per task (default: about four tasks per worker thread, at most 64 pairs).
    n_threads : int
        Kernel threads per task (default 1: workers already run tasks in parallel).
    out_of_range : {None, "raise", "ignore", "miss"}
        A label outside ``[0, C)`` once mapped, as in :func:`fastiou.confusion_matrix`
        (``fastiou eval --out-of-range``). None (default) is ``"raise"``, except that a
        prediction the `pred_label_map` preset declares void (``"cityscapes"``: the ids
        cityscapesScripts does not evaluate) is a miss of the true class, as in
        cityscapesScripts.
    return_miss : bool
        Also return the misses: predictions outside ``[0, C)`` counted as false negatives
        of the true class, which the ``(C, C)`` matrix cannot hold.

    Returns
    -------
    ndarray of shape (C, C), int64
        With `return_miss`, ``(matrix, miss)`` with `miss` of shape (C,), int64:
        ``fastiou.ConfusionMatrix(C, out_of_range="miss").add_counts(matrix, miss)``
        gives every metric.

    Raises
    ------
    ValueError
        A missing or unreadable file, a size mismatch or an out-of-range label, with the
        file named (raised on the worker, re-raised here); a prediction counted as a miss
        without `return_miss`; bad arguments.
    TypeError
        `pairs` items that are not pairs, a mapping of the wrong type.

    Examples
    --------
    >>> import os, tempfile, numpy as np, fastiou.dask
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     gt, pred = os.path.join(folder, "gt.npy"), os.path.join(folder, "pred.npy")
    ...     np.save(gt, np.array([[0, 1], [1, 255]], dtype=np.uint8))
    ...     np.save(pred, np.array([[0, 1], [0, 1]], dtype=np.uint8))
    ...     matrix = fastiou.dask.evaluate_files([(gt, pred)], 2, ignore_index=255)
    >>> matrix
    array([[1, 0],
           [1, 1]])
    """
    dask = _dask()
    options = make_options(num_classes, ignore_index, label_map, pred_label_map,
                           reduce_zero_label, color_map, out_of_range)
    checked = _as_pairs(pairs)
    if not checked:
        counts = np.zeros((options.num_classes, options.num_classes + 1), dtype=np.int64)
    else:
        task = dask.delayed(_batch_counts, pure=True)
        parts = [task(batch, options, n_threads)
                 for batch in batches(checked, batch_size, _cluster_threads(client))]
        total = _tree_sum(dask, parts)
        if client is not None:
            counts = client.compute(total).result()
        else:
            (counts,) = dask.compute(total)
    matrix, miss = np.ascontiguousarray(counts[:, :-1]), np.ascontiguousarray(counts[:, -1])
    if return_miss:
        return matrix, miss
    if miss.any():
        raise ValueError(f"{int(miss.sum())} prediction(s) outside [0, {options.num_classes}) "
                         f"were counted as misses of their true class, which the (C, C) matrix "
                         f"cannot hold: pass return_miss=True to get (matrix, miss), or "
                         f"out_of_range='ignore' to leave such pixels out")
    return matrix


def stream_batches(pairs: Sequence[tuple[str, str] | LabelPair], options: EvalOptions, client: Client, *,
                   batch_size: int | None = None, n_threads: int | None = 1,
                   metric_names: Sequence[str] | None = None
                   ) -> Iterator[tuple[IntArray, IntArray, int, int, list[list[Any]] | None]]:
    """Submit every batch to `client` and yield what :func:`_count_batch` returns, in order.

    Used by ``fastiou eval --dask-scheduler``: results are consumed as they arrive, so the
    client holds one batch result at a time.
    """
    parts = batches(_as_pairs(pairs), batch_size, _cluster_threads(client))
    futures = client.map(_count_batch, parts, options=options, n_threads=n_threads,
                         metric_names=metric_names, pure=False)
    for future in futures:
        yield future.result()
        future.release()


def panoptic_quality_files(gt_json_file: str, pred_json_file: str, gt_folder: str | None = None,
                           pred_folder: str | None = None, *, client: Client | None = None,
                           batch_size: int | None = None) -> dict[str, Any]:
    """Panoptic quality of COCO panoptic files, the PNGs read and matched on Dask workers.

    The result of :func:`fastiou.compat.panopticapi.pq_compute` (panopticapi's numbers, bit
    for bit): each task reads and matches a batch of images where it runs and returns their
    per-category counts and matched IoUs (a few hundred numbers an image); this process adds
    them in panopticapi's order.

    Parameters
    ----------
    gt_json_file, pred_json_file : str
        COCO panoptic JSON files (read here).
    gt_folder, pred_folder : str, optional
        The PNG folders, as the workers see them; by default the JSON paths without ``.json``.
    client : dask.distributed.Client, optional
        Where to run; by default Dask's current scheduler.
    batch_size : int, optional
        Images per task (default: about four tasks per worker thread, at most 64 images).

    Returns
    -------
    dict
        ``All`` / ``Things`` / ``Stuff`` (``pq``, ``sq``, ``rq``, ``n``) and ``per_class``.

    Raises
    ------
    ValueError, FileNotFoundError
        What :func:`fastiou.compat.panopticapi.pq_compute` raises (from the worker for a PNG).

    Examples
    --------
    >>> import fastiou.dask
    >>> result = fastiou.dask.panoptic_quality_files("gt.json", "pred.json")  # doctest: +SKIP
    >>> result["All"]["pq"]  # doctest: +SKIP
    0.4213...
    """
    from fastiou.compat.panopticapi import image_batch, load_evaluation, sum_in_order

    dask = _dask()
    gt_folder = gt_json_file.replace(".json", "") if gt_folder is None else gt_folder
    pred_folder = pred_json_file.replace(".json", "") if pred_folder is None else pred_folder
    categories, pairs = load_evaluation(gt_json_file, pred_json_file, gt_folder, pred_folder)
    if batch_size is None:
        batch_size = max(1, min(MAX_BATCH, math.ceil(
            len(pairs) / (TASKS_PER_THREAD * _cluster_threads(client)))))
    elif isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"`batch_size` must be a positive int, got {batch_size!r}")
    task = dask.delayed(image_batch, pure=True)
    parts = [task(pairs[i:i + batch_size], gt_folder, pred_folder, categories)
             for i in range(0, len(pairs), batch_size)]
    if client is not None:
        results = client.gather(client.compute(parts))
    else:
        results = dask.compute(*parts)
    stats = [image for batch in results for image in batch]
    return sum_in_order(categories, stats).compute()
