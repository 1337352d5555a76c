"""Calls every public function the way a user would; ``tests/test_typing.py`` runs
``mypy --strict`` on this file (each ``assert_type`` must hold exactly: a result typed
``Any`` fails it) and then runs it, so that each static type is also checked at run time."""

from __future__ import annotations

import copy
import io
import os
import sys
import tempfile
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

import fastiou
import fastiou.dask
from fastiou import metrics, plot
from fastiou.compat import cityscapes, cython_bbox, keras, mmdet, mmseg, pycocotools, sklearn, torchmetrics, torchvision

if sys.version_info >= (3, 11):
    from typing import assert_type
else:
    from typing_extensions import assert_type

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
CountArray = npt.NDArray[np.int64] | npt.NDArray[np.float64]
Floats = npt.NDArray[np.float32 | np.float64]


def is_array(value: object, dtype: type[np.generic]) -> bool:
    return isinstance(value, np.ndarray) and value.dtype == dtype


truth = np.array([[0, 1, 1], [2, 255, 2]], dtype=np.uint8)
pred = np.array([[0, 1, 2], [2, 0, 2]], dtype=np.uint8)
scores = np.random.default_rng(0).random((2, 3, 4, 4))
labels = np.random.default_rng(1).integers(0, 3, (2, 4, 4))


def core() -> None:
    cm = fastiou.confusion_matrix(truth, pred, 3, ignore_index=255)
    assert_type(cm, IntArray)
    assert is_array(cm, np.int64)
    weighted = fastiou.confusion_matrix([0, 1, 1], [0, 1, 0], 2, sample_weight=[0.5, 1.0, 2.0])
    assert_type(weighted, FloatArray)
    assert is_array(weighted, np.float64)
    weights: npt.ArrayLike | None = None
    either = fastiou.confusion_matrix([0, 1], [0, 1], np.int64(2), sample_weight=weights)
    assert_type(either, CountArray)
    per_image = fastiou.confusion_matrix(labels, scores, 3, axis=1, per_image=True)
    assert_type(per_image, IntArray)
    assert per_image.shape == (2, 3, 3)

    assert_type(fastiou.iou_from_confusion(cm), FloatArray)
    iou = fastiou.per_class_iou(truth, pred, 3, ignore_index=[255], out_of_range="miss")
    assert_type(iou, FloatArray)
    assert is_array(iou, np.float64)

    mean = fastiou.mean_iou(truth, pred, 3, ignore_index=255)
    assert_type(mean, float)
    assert isinstance(mean, float)
    means = fastiou.mean_iou(labels, scores, 3, axis=1, per_image=True)
    assert_type(means, FloatArray)
    assert is_array(means, np.float64) and means.shape == (2,)
    flag = bool(len(sys.argv))
    assert_type(fastiou.mean_iou(labels, labels, 3, per_image=flag), float | FloatArray)


def scores_and_metrics() -> None:
    score = fastiou.jaccard_score(labels, scores, 3, axis=1)
    assert_type(score, float)
    assert isinstance(score, float)
    per_class = fastiou.dice_score(labels, labels, 3, average="none")
    assert_type(per_class, FloatArray)
    assert is_array(per_class, np.float64)
    assert_type(fastiou.precision_score(labels, labels, 3, average="micro-imagewise"), float)
    assert_type(fastiou.recall_score(labels, labels, 3, average="weighted", zero_division=0.0), float)
    imagewise = fastiou.jaccard_score(labels, labels, 3, average="macro", per_image=True)
    assert_type(imagewise, float | FloatArray)
    assert is_array(imagewise, np.float64)
    assert_type(fastiou.fbeta_score(labels, labels, 3, beta=2.0), float)
    assert_type(fastiou.fbeta_score(labels, labels, 3, beta=0.5, average="none"), FloatArray)
    accuracy = fastiou.accuracy_score(truth, pred, 3, ignore_index=255)
    assert_type(accuracy, float)
    assert isinstance(accuracy, float)
    assert_type(fastiou.cohen_kappa_score(labels, labels, 3, per_image=True), FloatArray)

    cm = fastiou.confusion_matrix(labels, labels, 3)
    assert_type(metrics.iou(cm, average="none"), FloatArray)
    assert_type(metrics.iou(cm), float | FloatArray)
    assert_type(metrics.dice(cm, labels=[0, 2], zero_division=0.0), float | FloatArray)
    assert_type(metrics.precision(cm, average="none", miss=np.zeros(3)), FloatArray)
    assert_type(metrics.recall(cm, classes_in_truth_only=True), float | FloatArray)
    assert_type(metrics.fbeta(cm, 1.0, average="none"), FloatArray)
    assert_type(metrics.fbeta(cm, beta=2), float | FloatArray)
    assert_type(metrics.mean_class_accuracy(cm), float | FloatArray)
    assert_type(metrics.support(cm), CountArray)
    assert_type(metrics.pixel_accuracy(cm), float | FloatArray)
    assert_type(metrics.frequency_weighted_iou(cm), float | FloatArray)
    assert_type(metrics.cohen_kappa(cm), float | FloatArray)
    assert isinstance(metrics.cohen_kappa(cm), float)


def accumulator() -> None:
    state = fastiou.ConfusionMatrix(3, ignore_index=255, out_of_range="ignore")
    assert_type(state.update(truth, pred), None)
    assert_type(state.matrix, CountArray)
    assert_type(state.miss, CountArray)
    assert_type(state.n_out_of_range, tuple[int, int])
    other = fastiou.ConfusionMatrix(3, ignore_index=255, out_of_range="ignore")
    assert_type(state.merge(other), fastiou.ConfusionMatrix)
    assert_type(state + other, fastiou.ConfusionMatrix)
    total = sum([state, other])  # 0 + state + other
    assert_type(total, fastiou.ConfusionMatrix | Literal[0])
    assert isinstance(total, fastiou.ConfusionMatrix)
    assert_type(state.add_counts(fastiou.confusion_matrix(truth, pred, 3, ignore_index=255)),
                fastiou.ConfusionMatrix)
    assert_type(state.copy(), fastiou.ConfusionMatrix)
    saved = state.to_dict()
    assert_type(saved, dict[str, Any])
    assert_type(fastiou.ConfusionMatrix.from_dict(saved), fastiou.ConfusionMatrix)
    result = state.compute()
    assert_type(result, fastiou.SegmentationMetrics)
    assert_type(result.iou, FloatArray)
    assert_type(result.support, CountArray)
    assert_type(result.mean_iou, float)
    assert isinstance(result.mean_iou, float) and isinstance(result.pixel_accuracy, float)
    assert_type(result.as_dict(), dict[str, Any])
    assert_type(state.report(format="markdown", class_names=["a", "b", "c"]), str)
    assert_type(state.reset(), None)


def binary() -> None:
    true_masks = np.zeros((2, 4, 4), bool)
    pred_masks = np.ones((2, 1, 4, 4), bool)
    assert_type(fastiou.binary_iou(true_masks, pred_masks, smooth=1e-6), FloatArray)
    assert_type(fastiou.thresholded_iou(y_true=true_masks, y_pred=pred_masks, rounding="snippet"), FloatArray)
    soft = fastiou.soft_iou(np.eye(3)[labels], np.random.default_rng(2).random((2, 4, 4, 3)), mode="standard")
    assert_type(soft, FloatArray)
    assert is_array(soft, np.float64)


def boxes_and_masks() -> None:
    boxes = np.array([[0, 0, 2, 2], [1, 1, 3, 3]], dtype=np.float32)
    overlaps = fastiou.box_iou(boxes, boxes, mode="giou", fmt="xyxy")
    assert_type(overlaps, Floats)
    assert is_array(overlaps, np.float32)
    assert_type(fastiou.box_area([[0, 0, 2, 3]], fmt="xywh"), Floats)
    assert_type(fastiou.box_convert(boxes, "xyxy", "cxcywh"), Floats)
    assert_type(fastiou.rotated_box_iou([[0, 0, 2, 2, 0]], [[0, 0, 2, 2, 45]], angle_unit="degrees"), Floats)
    masks = np.zeros((2, 4, 4), bool)
    masks[0, :2] = True
    rles = fastiou.rle_encode(masks)
    assert_type(rles, list[dict[str, list[int] | bytes]] | dict[str, list[int] | bytes])
    assert isinstance(rles, list)
    assert_type(fastiou.mask_iou(rles, masks, iscrowd=[False, True]), FloatArray)
    assert_type(fastiou.rle_decode(rles), npt.NDArray[np.bool_])
    assert_type(fastiou.rle_decode({"size": [2, 2], "counts": [1, 3]}), npt.NDArray[np.bool_])


def boundary() -> None:
    maps = np.zeros((2, 8, 8), np.uint8)
    maps[:, :, 4:] = 1
    assert_type(fastiou.boundary_iou(maps, maps, 2, dilation_ratio=0.05, ignore_index=255), FloatArray)
    assert_type(fastiou.boundary_fscore(maps[0], maps[0], 2, out_of_range="miss"), FloatArray)
    assert_type(fastiou.boundary_fscore(maps, maps, 2, tolerance=2.5, average="dataset",
                                        return_precision_recall=True),
                tuple[FloatArray, FloatArray, FloatArray])
    assert_type(fastiou.bf_tolerance(1024, 2048), float)
    assert_type(fastiou.boundary_depth(1024, 2048), int)
    acc = fastiou.BoundaryIoU(2, n_threads=1)
    acc.update(maps, maps)
    result = acc.compute()
    assert_type(result, fastiou.BoundaryMetrics)
    assert_type(result.mean_iou, float)
    assert_type(result.fscore, FloatArray)
    assert_type(result.image_mean_fscore, float)
    assert_type(acc.counts, npt.NDArray[np.int64])
    assert_type(acc + acc, fastiou.BoundaryIoU)
    assert_type(fastiou.mask_iou(maps, maps, boundary=True, dilation_ratio=0.1), FloatArray)


def build_facts() -> None:
    assert_type(fastiou.openmp_enabled(), bool)
    assert_type(fastiou.show_config(file=io.StringIO()), None)
    assert_type(fastiou.__version__, str)


def plots() -> None:
    from matplotlib.axes import Axes

    cm = fastiou.confusion_matrix(truth, pred, 3, ignore_index=255)
    ax = plot.confusion_matrix(cm, class_names=["a", "b", "c"], normalize="true")
    assert_type(ax, Axes)
    assert isinstance(ax, Axes)
    assert_type(plot.per_class(fastiou.per_class_iou(truth, pred, 3, ignore_index=255), sort=True), Axes)


def dask_evaluation() -> None:
    import dask.array as da

    lazy = fastiou.dask.confusion_matrix(da.from_array(labels, chunks=1), labels, 3)
    assert_type(lazy, da.Array)
    computed = lazy.compute()
    assert is_array(computed, np.int64)
    with tempfile.TemporaryDirectory() as folder:
        gt, predicted = os.path.join(folder, "gt.npy"), os.path.join(folder, "pred.npy")
        np.save(gt, labels[0])
        np.save(predicted, labels[1])
        matrix = fastiou.dask.evaluate_files([(gt, predicted)], 3)
    assert_type(matrix, IntArray)
    assert is_array(matrix, np.int64)


def compat() -> None:
    assert_type(sklearn.confusion_matrix([0, 1, 1], [0, 1, 0]), CountArray)
    assert_type(sklearn.confusion_matrix([0, 1, 1], [0, 1, 0], normalize="true"), CountArray)
    assert_type(sklearn.jaccard_score([0, 1, 1], [0, 1, 0], average=None), float | FloatArray)
    assert_type(sklearn.jaccard_score(["a", "b"], ["a", "a"], pos_label="a", zero_division=0.0), float | FloatArray)
    multilabel = sklearn.multilabel_confusion_matrix([[0, 1], [1, 1]], [[1, 1], [0, 1]], samplewise=True)
    assert_type(multilabel, CountArray)
    assert is_array(multilabel, np.int64) and multilabel.shape == (2, 2, 2)
    jaccard = torchmetrics.multiclass_jaccard_index(pred, truth, 3, ignore_index=255)
    assert_type(jaccard, np.float32 | npt.NDArray[np.float32])
    assert isinstance(jaccard, np.float32)
    assert_type(torchmetrics.multiclass_confusion_matrix(pred, truth, 3, ignore_index=255), npt.NDArray[Any])
    assert_type(torchmetrics.binary_jaccard_index(np.array([0.2, 0.8]), np.array([0, 1])),
                np.float32 | npt.NDArray[np.float32])
    assert_type(torchmetrics.multilabel_jaccard_index(np.ones((2, 3)), np.ones((2, 3), int), 3),
                np.float32 | npt.NDArray[np.float32])
    assert_type(torchmetrics.jaccard_index(pred, truth, "multiclass", num_classes=3, average=None,
                                           ignore_index=255),
                np.float32 | npt.NDArray[np.float32])
    mean_iou = keras.MeanIoU(num_classes=3)
    state = mean_iou.update_state([0, 1, 2], [0, 1, 1])
    assert_type(state, npt.NDArray[Any])
    assert is_array(state, np.int32)  # Keras' default int32 state
    KerasResult = np.float32 | npt.NDArray[np.float32]  # an array only with axis=()
    result = mean_iou.result()
    assert_type(result, KerasResult)
    assert isinstance(result, np.float32)
    assert_type(mean_iou([0, 1], [0, 1], sample_weight=[1, 2]), KerasResult)
    assert_type(mean_iou.total_cm, npt.NDArray[Any])
    assert_type(mean_iou.variables, list[npt.NDArray[Any]])
    assert_type(mean_iou.dtype, str)
    config = mean_iou.get_config()
    assert_type(config, dict[str, Any])
    assert_type(keras.MeanIoU.from_config(config), keras.MeanIoU)
    other = keras.MeanIoU(num_classes=3)
    assert_type(mean_iou.merge_state([other]), None)
    stateless = mean_iou.stateless_update_state(mean_iou.stateless_reset_state(), [0], [1])
    assert_type(stateless, list[npt.NDArray[Any]])
    assert_type(mean_iou.stateless_result(stateless), KerasResult)
    assert_type(mean_iou.reset_state(), None)
    assert_type(keras.epsilon(), float)
    assert_type(keras.set_epsilon(1e-7), None)
    for metric in (keras.IoU(3, [0, 2]), keras.BinaryIoU(threshold=0.3), keras.OneHotIoU(3, [1]),
                   keras.OneHotMeanIoU(3)):
        assert_type(metric.result(), KerasResult)
        assert isinstance(metric.result(), np.float32)
    Float32Array = npt.NDArray[np.float32]
    areas = mmseg.intersect_and_union(pred, truth, 3, 255)
    assert_type(areas, tuple[Float32Array, Float32Array, Float32Array, Float32Array])
    assert all(is_array(area, np.float32) for area in areas)
    totals = mmseg.total_intersect_and_union([pred], [truth], 3, 255, label_map={1: 2})
    assert_type(totals, tuple[FloatArray, FloatArray, FloatArray, FloatArray])
    assert all(is_array(total, np.float64) for total in totals)
    MmsegMetrics = dict[str, FloatArray | np.float64]  # aAcc: a float64 scalar with nan_to_num
    results = mmseg.eval_metrics([pred], [truth], 3, 255, metrics=["mIoU", "mDice"], nan_to_num=0)
    assert_type(results, MmsegMetrics)
    assert is_array(results["IoU"], np.float64) and isinstance(results["aAcc"], np.float64)
    assert_type(mmseg.mean_iou([pred], [truth], 3, 255), MmsegMetrics)
    assert_type(mmseg.mean_dice([pred], [truth], 3, 255, reduce_zero_label=True), MmsegMetrics)
    assert_type(mmseg.mean_fscore([pred], [truth], 3, 255, beta=2), MmsegMetrics)
    Floating = npt.NDArray[np.floating[Any]] | np.floating[Any]
    from_areas = mmseg.pre_eval_to_metrics([areas, areas], metrics="mFscore")
    assert_type(from_areas, dict[str, Floating])
    assert is_array(from_areas["Fscore"], np.float32)  # float32 areas give float32 metrics
    assert_type(mmseg.total_area_to_metrics(*totals, metrics=["mIoU"], nan_to_num=0.0), dict[str, Floating])
    assert_type(mmseg.f_score(0.5, 1.0), float)
    assert_type(mmseg.f_score(areas[0], areas[3], beta=2), Floating)


def box_profiles() -> None:
    xyxy = np.array([[0, 0, 2, 2], [1, 1, 3, 3]], dtype=np.float32)
    Boxes = npt.NDArray[Any]  # the dtype torch's promotion gives (float32 here)
    for overlaps in (torchvision.box_iou(xyxy, xyxy), torchvision.generalized_box_iou(xyxy, xyxy),
                     torchvision.distance_box_iou(xyxy, xyxy, eps=1e-7), torchvision.complete_box_iou(xyxy, xyxy),
                     torchvision.box_iou(xyxy, xyxy, fmt="xywh"), mmdet.bbox_overlaps(xyxy, xyxy, mode="giou"),
                     mmdet.BboxOverlaps2D()(xyxy, xyxy, is_aligned=True)):
        assert_type(overlaps, Boxes)
        assert is_array(overlaps, np.float32)
    assert_type(torchvision.box_area(xyxy), Boxes)
    assert_type(torchvision.box_convert(xyxy, in_fmt="xyxy", out_fmt="cxcywh"), Boxes)
    assert_type(mmdet.bbox_overlaps([[0, 0, 2, 2]], [[1, 1, 3, 3]]), Boxes)
    doubles = xyxy.astype(np.float64)
    assert_type(cython_bbox.bbox_overlaps(doubles, doubles), FloatArray)
    coco = pycocotools.iou(doubles, doubles, [0, 1])
    assert_type(coco, FloatArray | list[Any])
    assert is_array(coco, np.float64)
    rles = [{"size": [2, 2], "counts": b"04"}]
    assert_type(pycocotools.iou(rles, rles, [False]), FloatArray | list[Any])
    assert pycocotools.iou([], rles, [False]) == []


def cityscapes_scripts() -> None:
    settings = copy.copy(cityscapes.args)
    settings.evalInstLevelScore, settings.quiet, settings.JSONOutput = False, True, False
    assert_type(settings, cityscapes.CArgs)
    matrix = cityscapes.generateMatrix(settings)
    assert_type(matrix, npt.NDArray[np.uint64])
    assert is_array(matrix, np.uint64)
    stats = cityscapes.generateInstanceStats(settings)
    assert_type(stats, dict[str, Any])
    ground_truth = np.full((4, 4), 7, np.uint8)
    ground_truth[:2] = 26
    prediction = ground_truth.copy()
    prediction[0] = 7
    per_image: dict[str, Any] = {}
    assert_type(cityscapes.evaluatePair(prediction, ground_truth, matrix, stats, per_image, settings), int)
    assert_type(cityscapes.getMatrixFieldValue(matrix, 7, 7, settings), float | np.integer[Any])
    iou = cityscapes.getIouScoreForLabel(7, matrix, settings)
    assert_type(iou, float)
    assert isinstance(iou, float)
    assert_type(cityscapes.getInstanceIouScoreForLabel(26, matrix, stats, settings), float)
    assert_type(cityscapes.getPrior(7, matrix), float)
    assert_type(cityscapes.getIouScoreForCategory("flat", matrix, settings), float)
    assert_type(cityscapes.getInstanceIouScoreForCategory("vehicle", matrix, stats, settings), float)
    scores = {cityscapes.id2label[i].name: cityscapes.getIouScoreForLabel(i, matrix, settings)
              for i in settings.evalLabels}
    assert_type(cityscapes.getScoreAverage(scores, settings), float)
    assert_type(cityscapes.name2label["car"], cityscapes.Label)
    assert_type(cityscapes.category2labels["flat"], list[cityscapes.Label])
    results = cityscapes.evaluateImgLists([prediction], [ground_truth], settings)
    assert_type(results, dict[str, Any])
    assert set(results) >= {"confMatrix", "classScores"}


def panoptic() -> None:
    categories = [{"id": 1, "isthing": 1}, {"id": 2, "isthing": 0}]
    ids = np.array([[1, 1, 2, 0]], dtype=np.uint32)
    segments = [{"id": 1, "category_id": 1}, {"id": 2, "category_id": 2}]
    overlaps = fastiou.segment_overlaps(ids, ids, n_threads=1)
    assert_type(overlaps.counts, IntArray)
    assert_type(fastiou.panoptic_quality(ids, ids, segments, segments, categories), dict[str, Any])
    pairs = np.zeros((1, 2, 3, 2), dtype=np.int64)
    assert_type(fastiou.panoptic_quality_from_labels(pairs, pairs, [1], [2]), dict[str, Any])
    state = fastiou.PanopticQuality(things=[1], stuffs=[2])
    assert_type(state.update_labels(pairs[..., 0] * 10, pairs[..., 0] * 10, label_divisor=10), None)
    assert_type(state.update(ids, ids, segments, segments), None)
    assert_type(state.merge(state.copy()), fastiou.PanopticQuality)
    assert_type(state + state, fastiou.PanopticQuality)
    assert_type(state.compute()["All"], Any)
    assert_type(state.category_ids, tuple[int, ...])


def main() -> None:
    core()
    scores_and_metrics()
    accumulator()
    binary()
    boxes_and_masks()
    boundary()
    build_facts()
    plots()
    dask_evaluation()
    compat()
    box_profiles()
    cityscapes_scripts()
    panoptic()


if __name__ == "__main__":
    main()
