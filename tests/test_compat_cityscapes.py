"""fastiou.compat.cityscapes, ``fastiou eval`` with the ``cityscapes`` preset and fastiou.dask
against the real cityscapesScripts 2.3.0 (``evalPixelLevelSemanticLabeling``, its NumPy path).

Label-id PNGs are generated (all 34 ids, void predictions on evaluated pixels, classes absent
from both, odd sizes, unknown ids, instance maps), then evaluated by both: integers must be
equal, floats equal (they are computed by the same operations), NaN where cityscapesScripts
gives NaN, and where it raises, fastiou raises an exception of the same built-in type.
``-m slow`` runs 10,000 generated datasets through the compat functions and 500 through the CLI.
"""

import contextlib
import io
import json
import math
import os
import subprocess
import sys
import tempfile
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastiou.cli import main
from fastiou.compat import cityscapes as compat

peer = pytest.importorskip("cityscapesscripts.evaluation.evalPixelLevelSemanticLabeling")
peer_labels = pytest.importorskip("cityscapesscripts.helpers.labels")
Image = pytest.importorskip("PIL.Image")

FAST = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
SLOW = settings(max_examples=10_000, deadline=None, suppress_health_check=list(HealthCheck))
SLOW_CLI = settings(max_examples=500, deadline=None, suppress_health_check=list(HealthCheck))

EVALUATED = [label.id for label in peer_labels.labels if label.id >= 0 and not label.ignoreInEval]
VOID = [label.id for label in peer_labels.labels if label.id >= 0 and label.ignoreInEval]
INSTANCE_CLASSES = [label.id for label in peer_labels.labels if label.hasInstances]
TRAIN_ID = {label.id: label.trainId for label in peer_labels.labels if label.id in EVALUATED}
UNKNOWN = [34, 40, 99, 254, 255]


# ------------------------------------------------------------------------------ running the peer

def _flat_in1d(values, test_values, invert=False):
    return np.isin(np.ravel(values), test_values, invert=invert)


@contextlib.contextmanager
def _peer_running():
    """cityscapesScripts as it runs with the NumPy it was written for: ``np.in1d`` (removed in
    NumPy 2.4) lent as the flat ``np.isin`` it was; its NumPy path (no compiled kernel); its
    prints and NumPy warnings kept out of the test's output."""
    lent = not hasattr(np, "in1d")
    if lent:
        np.in1d = _flat_in1d
    support, peer.CSUPPORT = peer.CSUPPORT, False
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()) as printed:
            warnings.simplefilter("ignore")
            yield printed
    finally:
        peer.CSUPPORT = support
        if lent:
            del np.in1d


def _settings(module, **changes):
    settings_ = module.CArgs()
    for name, value in vars(module.args).items():
        setattr(settings_, name, dict(value) if isinstance(value, dict) else value)
    settings_.JSONOutput, settings_.quiet, settings_.evalInstLevelScore = False, True, False
    settings_.colorized, settings_.bold, settings_.nocol = False, "", ""
    for name, value in changes.items():
        setattr(settings_, name, value)
    return settings_


def _outcome(call):
    """("ok", value) or ("raised", exception): cityscapesScripts exits and crashes."""
    try:
        return "ok", call()
    except BaseException as exc:  # noqa: B036 - SystemExit is one of the outcomes compared
        if isinstance(exc, KeyboardInterrupt):
            raise
        return "raised", exc


def _peer_outcome(call):
    with _peer_running() as printed:
        kind, value = _outcome(call)
    if kind == "raised" and isinstance(value, SystemExit):
        value.printed = printed.getvalue()
    return kind, value


# ------------------------------------------------------------------------------ comparing

def _same_float(ours, theirs):
    if isinstance(theirs, float) and math.isnan(theirs):
        return isinstance(ours, float) and math.isnan(ours)
    return ours == theirs


def _assert_same_scores(ours, theirs):
    assert list(ours) == list(theirs)
    for key in theirs:
        assert _same_float(ours[key], theirs[key]), (key, ours[key], theirs[key])


def _assert_same_result(ours, theirs):
    assert list(ours) == list(theirs)
    assert ours["confMatrix"] == theirs["confMatrix"]
    assert ours["labels"] == theirs["labels"]
    for key in ("priors", "classScores", "classInstScores", "categoryScores", "categoryInstScores"):
        _assert_same_scores(ours[key], theirs[key])
    for key in ("averageScoreClasses", "averageScoreInstClasses", "averageScoreCategories",
                "averageScoreInstCategories"):
        assert _same_float(ours[key], theirs[key]), key
    assert ours.get("perImageScores") == theirs.get("perImageScores")


def _peer_message(exc):
    if isinstance(exc, SystemExit):
        return exc.printed.strip().splitlines()[-1].removeprefix("ERROR: ")
    return str(exc)


def _assert_same_outcome(ours, theirs):
    if theirs[0] == "raised":
        assert ours[0] == "raised", f"cityscapesScripts raised {theirs[1]!r}, fastiou returned"
        assert isinstance(ours[1], type(theirs[1])), (ours[1], theirs[1])
        assert isinstance(ours[1], ValueError)
        assert str(ours[1]).startswith(_peer_message(theirs[1])), (str(ours[1]), theirs[1])
    else:
        assert ours[0] == "ok", f"fastiou raised {ours[1]!r}"
        _assert_same_result(ours[1], theirs[1])


# ------------------------------------------------------------------------------ generated data

def _save(path, labels, mode):
    if mode == "P":  # palette PNG: the pixel values are the palette indices
        image = Image.fromarray(labels.astype(np.uint8))
        image.putpalette([v for i in range(256) for v in (i, (3 * i) % 256, 255 - i)])
    elif mode == "I;16":
        image = Image.fromarray(labels.astype(np.uint16))
    else:
        image = Image.fromarray(labels.astype(np.uint8))
    image.save(path)


def _instances(rng, truth, broken):
    """A Cityscapes instance map of `truth`: instance classes get ids label * 1000 + k (some
    pixels keep the bare label id, as groups do), the others their label id; `broken` adds an
    instance of a class without instances, of an unknown id, of a void class, or another size."""
    instances = truth.astype(np.uint16)
    has_instances = np.isin(truth, INSTANCE_CLASSES) & (rng.random(truth.shape) < 0.8)
    instances[has_instances] = truth[has_instances] * 1000 + rng.integers(0, 4, truth.shape)[has_instances]
    y, x = rng.integers(0, truth.shape[0]), rng.integers(0, truth.shape[1])
    if broken == "no-instance-class":
        instances[y, x] = 7001
    elif broken == "unknown-id":
        instances[y, x] = 40001
    elif broken == "void-class":
        instances[y, x] = rng.choice([1001, 29002, 30000])
    elif broken == "size":
        instances = np.pad(instances, ((0, 1), (0, 0)), mode="edge")
    return instances


@st.composite
def datasets(draw, max_images=3, max_side=9, errors=True, instances=False):
    """Label-id images of 1-3 pairs: (truth, prediction, instance map or None, modes)."""
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    ids = st.sampled_from(range(34))
    truth_pool = draw(st.lists(ids, min_size=1, max_size=10, unique=True))
    pred_pool = draw(st.lists(ids, min_size=1, max_size=10, unique=True))
    if draw(st.booleans()):  # void predictions on evaluated pixels
        pred_pool += draw(st.lists(st.sampled_from(VOID), min_size=1, max_size=4))
    keep = draw(st.sampled_from([0.0, 0.5, 0.9, 1.0]))
    images = []
    for _ in range(draw(st.integers(1, max_images))):
        shape = (draw(st.integers(1, max_side)), draw(st.integers(1, max_side)))
        truth = rng.choice(truth_pool, shape)
        pred = np.where(rng.random(shape) < keep, truth, rng.choice(pred_pool, shape))
        modes = [draw(st.sampled_from(["L", "P", "I;16"])) for _ in range(2)]
        if errors and draw(st.integers(0, 9)) == 0:
            where = draw(st.sampled_from(["truth", "pred", "both"]))
            big = modes[0] == "I;16" if where == "truth" else modes[1] == "I;16"
            value = draw(st.sampled_from(UNKNOWN + ([300, 40000, 65535] if big else [])))
            for target in ([truth] if where == "truth" else [pred] if where == "pred" else [truth, pred]):
                target[rng.integers(0, shape[0]), rng.integers(0, shape[1])] = value
        instance_map = None
        if instances:
            broken = draw(st.sampled_from([None] * 6 + ["no-instance-class", "unknown-id",
                                                        "void-class", "size"])) if errors else None
            instance_map = _instances(rng, truth, broken)
        images.append((truth, pred, instance_map, modes))
    return images


def _write(folder, images):
    """Write the images as Cityscapes names; returns (prediction files, ground-truth files)."""
    os.makedirs(os.path.join(folder, "gt"), exist_ok=True)
    os.makedirs(os.path.join(folder, "pred"), exist_ok=True)
    preds, gts = [], []
    for index, (truth, pred, instances, (truth_mode, pred_mode)) in enumerate(images):
        stem = f"city_{index:06d}_000019"
        gt = os.path.join(folder, "gt", f"{stem}_gtFine_labelIds.png")
        prediction = os.path.join(folder, "pred", f"{stem}_pred.png")
        _save(gt, truth, truth_mode if truth.max() < 256 or truth_mode == "I;16" else "I;16")
        _save(prediction, pred, pred_mode if pred.max() < 256 or pred_mode == "I;16" else "I;16")
        if instances is not None:
            Image.fromarray(instances).save(gt.replace("labelIds", "instanceIds"))
        preds.append(prediction)
        gts.append(gt)
    return preds, gts


def _evaluate_both(preds, gts, **changes):
    ours = _outcome(lambda: compat.evaluateImgLists(preds, gts, _settings(compat, **changes)))
    theirs = _peer_outcome(lambda: peer.evaluateImgLists(preds, gts, _settings(peer, **changes)))
    return ours, theirs


# ------------------------------------------------------------------------------ evaluateImgLists

def _files_case(images, instance_level, pixel_accuracy):
    with tempfile.TemporaryDirectory() as folder:
        preds, gts = _write(folder, images)
        ours, theirs = _evaluate_both(preds, gts, evalInstLevelScore=instance_level,
                                      evalPixelAccuracy=pixel_accuracy)
        _assert_same_outcome(ours, theirs)


@FAST
@given(datasets(), st.booleans())
def test_evaluate_img_lists_matches_cityscapes_scripts(images, pixel_accuracy):
    _files_case(images, False, pixel_accuracy)


@FAST
@given(datasets(instances=True), st.booleans())
def test_instance_scores_match_cityscapes_scripts(images, pixel_accuracy):
    _files_case(images, True, pixel_accuracy)


def _arrays_case(images):
    """evaluatePair on arrays (instance maps as arrays) then the score functions, against
    cityscapesScripts' evaluateImgLists on the same images written as files."""
    settings_ = _settings(compat, evalInstLevelScore=True)

    def ours():
        matrix = compat.generateMatrix(settings_)
        stats = compat.generateInstanceStats(settings_)
        def narrow(labels):  # as Pillow reads 8-bit files (the kernel's fast path)
            return labels.astype(np.uint8) if labels.max() < 256 else labels

        pixels = sum(compat.evaluatePair(narrow(pred), narrow(truth), matrix, stats, {}, settings_,
                                         instanceImg=inst)
                     for truth, pred, inst, _ in images)
        assert pixels == int(matrix.sum())
        classes = {compat.id2label[i].name: compat.getIouScoreForLabel(i, matrix, settings_)
                   for i in settings_.evalLabels}
        inst_classes = {compat.id2label[i].name:
                        compat.getInstanceIouScoreForLabel(i, matrix, stats, settings_)
                        for i in settings_.evalLabels}
        categories = {c: compat.getIouScoreForCategory(c, matrix, settings_)
                      for c in compat.category2labels}
        inst_categories = {c: compat.getInstanceIouScoreForCategory(c, matrix, stats, settings_)
                           for c in compat.category2labels}
        return compat.createResultDict(matrix, classes, inst_classes, categories,
                                       inst_categories, {}, settings_)

    with tempfile.TemporaryDirectory() as folder:
        preds, gts = _write(folder, images)
        theirs = _peer_outcome(lambda: peer.evaluateImgLists(
            preds, gts, _settings(peer, evalInstLevelScore=True)))
    _assert_same_outcome(_outcome(ours), theirs)


@FAST
@given(datasets(instances=True))
def test_evaluate_pair_on_arrays_matches_cityscapes_scripts(images):
    _arrays_case(images)


@pytest.mark.slow
@SLOW
@given(datasets(instances=True))
def test_evaluate_pair_on_arrays_matches_cityscapes_scripts_10k(images):
    _arrays_case(images)


@pytest.mark.slow
@SLOW_CLI
@given(datasets(instances=True), st.booleans())
def test_evaluate_img_lists_on_files_matches_cityscapes_scripts_500(images, pixel_accuracy):
    _files_case(images, True, pixel_accuracy)


# ------------------------------------------------------------------------------ score functions

@st.composite
def matrices(draw):
    """A (34, 34) uint64 matrix of small counts (rows and columns often empty), instance
    statistics and an ``evalLabels`` list (the usual 34 ids, none, or some)."""
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    density = draw(st.sampled_from([0.0, 0.02, 0.2, 1.0]))
    matrix = (rng.integers(0, 50, (34, 34)) * (rng.random((34, 34)) < density)).astype(np.ulonglong)
    labels = draw(st.sampled_from(["all", "none", "some"]))
    eval_labels = list(range(34)) if labels == "all" else [] if labels == "none" else \
        sorted(rng.choice(34, rng.integers(1, 34), replace=False).tolist())
    stats = peer.generateInstanceStats(None)
    for group in ("classes", "categories"):
        for entry in stats[group].values():
            for field in ("tp", "tpWeighted", "fn", "fnWeighted"):
                entry[field] = float(rng.choice([0.0, rng.random() * 100]))
    return matrix, eval_labels, stats


def _score_case(case, data):
    matrix, eval_labels, stats = case
    ours_settings, their_settings = _settings(compat), _settings(peer)
    ours_settings.evalLabels, their_settings.evalLabels = list(eval_labels), list(eval_labels)
    with _peer_running():
        for label in range(34):
            assert _same_float(compat.getIouScoreForLabel(label, matrix, ours_settings),
                               peer.getIouScoreForLabel(label, matrix, their_settings))
            assert _same_float(
                compat.getInstanceIouScoreForLabel(label, matrix, stats, ours_settings),
                peer.getInstanceIouScoreForLabel(label, matrix, stats, their_settings))
            if matrix.sum():
                assert _same_float(compat.getPrior(label, matrix), peer.getPrior(label, matrix))
        for category in compat.category2labels:
            assert _same_float(compat.getIouScoreForCategory(category, matrix, ours_settings),
                               peer.getIouScoreForCategory(category, matrix, their_settings))
            assert _same_float(
                compat.getInstanceIouScoreForCategory(category, matrix, stats, ours_settings),
                peer.getInstanceIouScoreForCategory(category, matrix, stats, their_settings))
        row, column = data.draw(st.integers(0, 33)), data.draw(st.integers(0, 33))
        for normalized in (True, False):
            ours_settings.normalized = their_settings.normalized = normalized
            assert _same_float(compat.getMatrixFieldValue(matrix, row, column, ours_settings),
                               peer.getMatrixFieldValue(matrix, row, column, their_settings))
        scores = data.draw(st.dictionaries(st.text(max_size=3), st.one_of(
            st.floats(allow_infinity=False), st.just(float("nan"))), max_size=40))
        assert _same_float(compat.getScoreAverage(scores, ours_settings),
                           peer.getScoreAverage(scores, their_settings))


@FAST
@given(matrices(), st.data())
def test_score_functions_match_cityscapes_scripts(case, data):
    _score_case(case, data)


@pytest.mark.slow
@SLOW
@given(matrices(), st.data())
def test_score_functions_match_cityscapes_scripts_10k(case, data):
    _score_case(case, data)


def test_prior_of_an_empty_matrix_is_nan_without_a_warning():
    assert math.isnan(compat.getPrior(7, compat.generateMatrix(compat.CArgs())))


def test_the_label_table_and_settings_are_cityscapes_scripts():
    assert compat.labels == [tuple(label) for label in peer_labels.labels]
    assert list(compat.category2labels) == list(peer_labels.category2labels)
    assert {k: tuple(v) for k, v in compat.trainId2label.items()} == \
        {k: tuple(v) for k, v in peer_labels.trainId2label.items()}
    assert compat.args.avgClassSize == peer.args.avgClassSize
    ours, theirs = compat.CArgs(), peer.CArgs()
    assert compat.generateMatrix(ours).dtype == peer.generateMatrix(theirs).dtype
    assert ours.evalLabels == theirs.evalLabels
    assert compat.generateInstanceStats(ours) == peer.generateInstanceStats(theirs)
    for name in vars(peer.args):
        assert hasattr(compat.args, name), name
    for name in ("evalInstLevelScore", "evalPixelAccuracy", "printRow", "normalized", "JSONOutput",
                 "quiet", "predictionPath", "predictionWalk", "colorized", "bold", "nocol"):
        assert getattr(compat.args, name) == getattr(peer.args, name), name


# ------------------------------------------------------------------------------ fastiou eval

def _cli_case(images, out_of_range=()):
    """``fastiou eval`` with the preset on label-id files: its JSON against cityscapesScripts'
    evaluateImgLists (class IoU by train id, their mean, the counts)."""
    with tempfile.TemporaryDirectory() as folder:
        preds, gts = _write(folder, images)
        report_file = os.path.join(folder, "report.json")
        code = main(["eval", os.path.join(folder, "gt"), os.path.join(folder, "pred"), "-n", "19",
                     "--label-map", "cityscapes", "--pred-label-map", "cityscapes",
                     "--ignore-index", "255", "--gt-suffix", "_gtFine_labelIds",
                     "--pred-suffix", "_pred", "--format", "json", "--no-progress",
                     "--out", report_file, *out_of_range])
        report = None
        if code == 0:
            with open(report_file) as fh:
                report = json.load(fh)
        theirs = _peer_outcome(lambda: peer.evaluateImgLists(preds, gts, _settings(peer)))
    if theirs[0] == "raised":
        assert code == 6, f"cityscapesScripts raised {theirs[1]!r}, fastiou eval exited {code}"
        return
    assert code == 0
    _assert_report_is_cityscapes(report, theirs[1])


def _assert_report_is_cityscapes(report, result):
    matrix = np.array(result["confMatrix"])
    names = {label.id: label.name for label in peer_labels.labels}
    for label_id, train_id in TRAIN_ID.items():
        entry = report["classes"][train_id]
        theirs = result["classScores"][names[label_id]]
        assert (entry["iou"] is None) if math.isnan(theirs) else entry["iou"] == theirs
        assert entry["gt_pixels"] == int(matrix[label_id].sum())
        assert entry["pred_pixels"] == int(matrix[EVALUATED, label_id].sum())
    mean = report["mean"]["iou"]
    average = result["averageScoreClasses"]
    if math.isnan(average):
        assert mean is None
    else:
        assert mean == pytest.approx(average, rel=1e-12, abs=0)
    assert report["confusion_matrix"] == [[int(matrix[t, p]) for p in EVALUATED] for t in EVALUATED]
    assert report["counts"]["counted_pixels"] == int(matrix[EVALUATED].sum())


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(datasets())
def test_fastiou_eval_with_the_preset_matches_cityscapes_scripts(images):
    _cli_case(images)


@pytest.mark.slow
@SLOW_CLI
@given(datasets())
def test_fastiou_eval_with_the_preset_matches_cityscapes_scripts_500(images):
    _cli_case(images)


def _scene(seed=5, shape=(24, 40)):
    """One pair: every evaluated class, void ids on evaluated pixels, an absent class."""
    rng = np.random.default_rng(seed)
    truth = rng.choice([i for i in range(34) if i != 31], shape)  # no train (absent from both)
    pred = np.where(rng.random(shape) < 0.6, truth, rng.choice([0, 4, 7, 26, 33], shape))
    pred[pred == 31] = 32
    return truth, pred


def test_void_predictions_are_misses_and_the_mean_is_get_score_average(tmp_path, capsys):
    truth, pred = _scene()
    images = [(truth, pred, None, ("L", "L"))]
    preds, gts = _write(str(tmp_path), images)
    kind, result = _peer_outcome(lambda: peer.evaluateImgLists(preds, gts, _settings(peer)))
    assert kind == "ok" and math.isnan(result["classScores"]["train"])
    argv = ["eval", str(tmp_path / "gt"), str(tmp_path / "pred"), "-n", "19", "--label-map",
            "cityscapes", "--pred-label-map", "cityscapes", "--ignore-index", "255",
            "--gt-suffix", "_gtFine_labelIds", "--pred-suffix", "_pred"]
    assert main(argv + ["--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    _assert_report_is_cityscapes(report, result)
    assert report["mean"]["iou"] == result["averageScoreClasses"]
    misses = int((np.isin(truth, EVALUATED) & np.isin(pred, VOID)).sum())
    in_matrix = sum(sum(row) for row in report["confusion_matrix"])
    assert report["counts"]["counted_pixels"] - in_matrix == misses > 0
    # the CSV and Markdown outputs carry the same numbers
    assert main(argv + ["--format", "csv"]) == 0
    rows = [line.split(",") for line in capsys.readouterr().out.splitlines()]
    assert float(next(r for r in rows if r[0] == "mean" and r[3] == "iou")[4]) == report["mean"]["iou"]
    assert main(argv + ["--format", "markdown"]) == 0
    assert f"{100 * report['mean']['iou']:.2f}" in capsys.readouterr().out
    # an explicit policy overrides the preset's
    assert main(argv + ["--out-of-range", "raise"]) == 6
    assert "outside [0, 19): 255" in capsys.readouterr().err


def test_the_per_image_csv_counts_the_misses(tmp_path, capsys):
    truth, pred = _scene(7, (9, 11))
    preds, gts = _write(str(tmp_path), [(truth, pred, None, ("L", "L"))])
    _, result = _peer_outcome(lambda: peer.evaluateImgLists(preds, gts, _settings(peer)))
    assert main(["eval", str(tmp_path / "gt"), str(tmp_path / "pred"), "-n", "19", "--label-map",
                 "cityscapes", "--pred-label-map", "cityscapes", "--ignore-index", "255",
                 "--gt-suffix", "_gtFine_labelIds", "--pred-suffix", "_pred", "--per-image",
                 str(tmp_path / "images.csv"), "--metrics", "iou"]) == 0
    capsys.readouterr()
    header, row = (line.split(",") for line in (tmp_path / "images.csv").read_text().splitlines())
    matrix = np.array(result["confMatrix"])
    assert int(row[header.index("counted")]) == int(matrix[EVALUATED].sum())
    assert float(row[header.index("mean_iou")]) == pytest.approx(result["averageScoreClasses"],
                                                                  rel=1e-12)


@pytest.mark.parametrize("truth_value,pred_value,expected", [
    (255, 7, "value(s) that --label-map does not list: 255"),
    (40, 7, "value(s) that --label-map does not list: 40"),
    (7, 40, "value(s) that --pred-label-map maps to no class in [0, 19) and does not declare void: 40"),
    (7, 255, "does not declare void: 255"),
])
def test_ids_cityscapes_scripts_stops_on_exit_6(tmp_path, capsys, truth_value, pred_value, expected):
    truth, pred = _scene(3, (6, 7))
    truth[2, 3], pred[2, 3] = truth_value, pred_value
    preds, gts = _write(str(tmp_path), [(truth, pred, None, ("L", "L"))])
    kind, error = _peer_outcome(lambda: peer.evaluateImgLists(preds, gts, _settings(peer)))
    assert kind == "raised"
    assert main(["eval", str(tmp_path / "gt"), str(tmp_path / "pred"), "-n", "19", "--label-map",
                 "cityscapes", "--pred-label-map", "cityscapes", "--ignore-index", "255",
                 "--gt-suffix", "_gtFine_labelIds", "--pred-suffix", "_pred"]) == 6
    err = capsys.readouterr().err
    assert expected in err and "cityscapesScripts stops" in err


# ------------------------------------------------------------------------------ fastiou.dask

def test_dask_evaluate_files_returns_the_misses(tmp_path):
    pytest.importorskip("dask")
    from fastiou.dask import evaluate_files

    images = [(*_scene(seed, (12, 17)), None, ("L", "L")) for seed in range(3)]
    preds, gts = _write(str(tmp_path), images)
    _, result = _peer_outcome(lambda: peer.evaluateImgLists(preds, gts, _settings(peer)))
    pairs = list(zip(gts, preds))
    matrix, miss = evaluate_files(pairs, 19, ignore_index=255, label_map="cityscapes",
                                  pred_label_map="cityscapes", return_miss=True, batch_size=2)
    theirs = np.array(result["confMatrix"])
    np.testing.assert_array_equal(matrix, theirs[np.ix_(EVALUATED, EVALUATED)])
    np.testing.assert_array_equal(miss, theirs[EVALUATED].sum(axis=1) - matrix.sum(axis=1))
    import fastiou

    scores = fastiou.ConfusionMatrix(19, out_of_range="miss").add_counts(matrix, miss).compute()
    for label_id, train_id in TRAIN_ID.items():
        assert _same_float(float(scores.iou[train_id]),
                           result["classScores"][compat.id2label[label_id].name])
    with pytest.raises(ValueError, match=r"counted as misses .* pass return_miss=True"):
        evaluate_files(pairs, 19, ignore_index=255, label_map="cityscapes", pred_label_map="cityscapes")
    ignored = evaluate_files(pairs, 19, ignore_index=255, label_map="cityscapes",
                             pred_label_map="cityscapes", out_of_range="ignore")
    np.testing.assert_array_equal(ignored, matrix)
    with pytest.raises(ValueError, match="`out_of_range` must be None or one of"):
        evaluate_files(pairs, 19, out_of_range="drop")


def test_fastiou_eval_on_a_dask_cluster_counts_the_misses(tmp_path, capsys):
    distributed = pytest.importorskip("distributed")
    images = [(*_scene(seed, (10, 13)), None, ("L", "L")) for seed in range(4)]
    preds, gts = _write(str(tmp_path), images)
    _, result = _peer_outcome(lambda: peer.evaluateImgLists(preds, gts, _settings(peer)))
    argv = ["eval", str(tmp_path / "gt"), str(tmp_path / "pred"), "-n", "19", "--label-map",
            "cityscapes", "--pred-label-map", "cityscapes", "--ignore-index", "255",
            "--gt-suffix", "_gtFine_labelIds", "--pred-suffix", "_pred", "--format", "json"]
    # the scheduler's HTTP server on a free port: 8787, its default, may be taken
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                       dashboard_address=":0", silence_logs=50)
    try:
        assert main(argv + ["--dask-scheduler", cluster.scheduler_address, "--batch-size", "3"]) == 0
    finally:
        cluster.close()
    report = json.loads(capsys.readouterr().out)
    _assert_report_is_cityscapes(report, result)


# ------------------------------------------------------------------------------ errors and quirks

def _one_pair(tmp_path, truth, pred, truth_mode="L", pred_mode="L", instances=None):
    return _write(str(tmp_path), [(truth, pred, instances, (truth_mode, pred_mode))])


@pytest.mark.parametrize("truth,pred,error", [
    ([[7, 40]], [[7, 8]], SystemExit),                 # unknown ground-truth id: it exits
    ([[7, 8]], [[7, 255]], IndexError),                # unknown prediction id
    ([[26, 40]], [[50, 26]], IndexError),              # the first in its (truth, pred) order wins
    ([[7, 40]], [[50, 7]], IndexError),
    ([[40, 7]], [[7, 7]], SystemExit),
])
def test_unknown_ids_raise_what_cityscapes_scripts_raises(tmp_path, truth, pred, error):
    preds, gts = _one_pair(tmp_path, np.array(truth), np.array(pred))
    ours, theirs = _evaluate_both(preds, gts)
    assert isinstance(theirs[1], error)
    _assert_same_outcome(ours, theirs)


def test_large_16_bit_ids_wrap_as_in_cityscapes_scripts(tmp_path):
    truth = np.array([[7, 50000, 7]])
    pred = np.array([[40, 7, 7]])
    preds, gts = _one_pair(tmp_path, truth, pred, "I;16", "I;16")
    ours, theirs = _evaluate_both(preds, gts)
    assert isinstance(theirs[1], SystemExit)  # 50000 * 50001 wraps in int32: its code comes first
    _assert_same_outcome(ours, theirs)


def test_other_failures_raise_the_same_type(tmp_path):
    truth, pred = _scene(1, (5, 6))
    preds, gts = _one_pair(tmp_path, truth, pred)
    for changed in (lambda: (preds + preds, gts),                       # lists of other lengths
                    lambda: ([str(tmp_path / "missing.png")], gts),       # no such file
                    lambda: (preds, [str(tmp_path / "missing_labelIds.png")])):
        ours, theirs = _evaluate_both(*changed())
        _assert_same_outcome(ours, theirs)
    Image.fromarray(pred[:, :5].astype(np.uint8)).save(preds[0])         # another width
    _assert_same_outcome(*_evaluate_both(preds, gts))
    Image.fromarray(pred[:4].astype(np.uint8)).save(preds[0])           # another height
    _assert_same_outcome(*_evaluate_both(preds, gts))
    Image.fromarray(np.zeros((5, 6, 3), np.uint8)).save(preds[0])       # RGB
    ours, theirs = _evaluate_both(preds, gts)
    assert isinstance(ours[1], SystemExit) and isinstance(theirs[1], SystemExit)
    Image.fromarray(pred.astype(np.uint8)).save(preds[0])
    ours, theirs = _evaluate_both(preds, gts, evalInstLevelScore=True)  # no instance file
    _assert_same_outcome(ours, theirs)


def test_instance_failures_raise_the_same_type(tmp_path):
    truth = np.array([[26, 26, 7], [24, 7, 7]])
    pred = np.array([[26, 0, 7], [25, 7, 7]])
    for broken, error in (("no-instance-class", KeyError), ("unknown-id", KeyError),
                          ("size", IndexError)):
        instances = _instances(np.random.default_rng(0), truth, broken)
        if broken != "size":
            instances[0, 0] = 26001
            instances[1, 2] = 7001 if broken == "no-instance-class" else 40001
        else:
            instances[0, 0] = 26001
        preds, gts = _one_pair(tmp_path, truth, pred, instances=instances)
        ours, theirs = _evaluate_both(preds, gts, evalInstLevelScore=True)
        assert isinstance(theirs[1], error), theirs
        _assert_same_outcome(ours, theirs)
        stats = compat.generateInstanceStats(compat.args)
        missing_size = _settings(compat, evalInstLevelScore=True, avgClassSize={})
        theirs_missing = _settings(peer, evalInstLevelScore=True, avgClassSize={})
        ours = _outcome(lambda: compat.evaluateImgLists(preds, gts, missing_size))
        theirs = _peer_outcome(lambda: peer.evaluateImgLists(preds, gts, theirs_missing))
        _assert_same_outcome(ours, theirs)
        assert stats == compat.generateInstanceStats(compat.args)


def test_a_failing_pair_modifies_nothing(tmp_path):
    settings_ = _settings(compat, evalInstLevelScore=True)
    matrix = compat.generateMatrix(settings_)
    stats = compat.generateInstanceStats(settings_)
    truth = np.array([[26, 26], [24, 24]])
    pred = np.array([[26, 24], [24, 24]])
    instances = np.array([[26001, 26001], [24001, 40001]], np.uint16)
    before = (matrix.copy(), json.dumps(stats, sort_keys=True))
    with pytest.raises(KeyError):
        compat.evaluatePair(pred, truth, matrix, stats, {}, settings_, instanceImg=instances)
    assert (matrix == before[0]).all() and json.dumps(stats, sort_keys=True) == before[1]
    arrays = (truth.copy(), pred.copy(), instances.copy())
    instances[1, 1] = 24001
    assert compat.evaluatePair(pred, truth, matrix, stats, {}, settings_, instanceImg=instances) == 4
    assert (truth == arrays[0]).all() and (pred == arrays[1]).all()
    assert stats["classes"]["person"]["tp"] == 2.0 and stats["classes"]["car"]["tp"] == 1.0
    assert stats["categories"]["vehicle"]["tp"] == 1.0 and stats["categories"]["human"]["tp"] == 2.0


@pytest.mark.parametrize("call,error,message", [
    (lambda s, m: compat.evaluatePair([[7, -1]], [[7, 7]], m, {}, {}, s), ValueError,
     "negative label ids"),
    (lambda s, m: compat.evaluatePair([[7.0]], [[7]], m, {}, {}, s), TypeError,
     "`predictionImgFileName` must hold integer label ids, got dtype float64"),
    (lambda s, m: compat.evaluatePair([7], [7], m, {}, {}, s), ValueError,
     "`predictionImgFileName` must be an image (2-D), got shape (1,)"),
    (lambda s, m: compat.evaluatePair(np.zeros((2, 2, 3), int), np.zeros((2, 2), int), m, {}, {}, s),
     SystemExit, "Predicted image has multiple channels."),
    (lambda s, m: compat.evaluatePair([[7, 7]], [[7]], m, {}, {}, s), SystemExit,
     "Image widths of the prediction and the ground truth are not equal."),
    (lambda s, m: compat.evaluatePair([[7]], [[7]], np.zeros((19, 19)), {}, {}, s), ValueError,
     "`confMatrix` must be the (34, 34) array generateMatrix makes"),
])
def test_array_input_errors(call, error, message):
    settings_ = _settings(compat)
    matrix = compat.generateMatrix(settings_)
    with pytest.raises(error) as caught:
        call(settings_, matrix)
    assert message in str(caught.value) and isinstance(caught.value, ValueError | TypeError)
    assert not matrix.any()


def test_arrays_need_names_for_what_is_keyed_or_derived_from_file_names():
    with pytest.raises(TypeError, match="give `instanceImg`"):
        compat.evaluateImgLists([[[7]]], [[[7]]], _settings(compat, evalInstLevelScore=True))
    with pytest.raises(TypeError, match="keys the per-image statistics by the prediction's file"):
        compat.evaluateImgLists([[[7]]], [[[7]]], _settings(compat, evalPixelAccuracy=True))


def test_negative_predictions_that_would_alias_are_refused():
    settings_ = _settings(compat)
    with pytest.raises(ValueError, match="negative label ids") as caught:
        compat.evaluateImgLists([np.array([[7, -1]])], [np.array([[7, 7]])], settings_)
    assert not isinstance(caught.value, SystemExit)


def test_an_uncaught_exit_ends_the_program_with_its_message():
    code = "from fastiou.compat.cityscapes import CityscapesExit; raise CityscapesExit('Unknown label with id 40')"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert done.returncode == 1 and done.stderr.strip() == "Unknown label with id 40"


def test_json_file_and_printed_tables_equal_cityscapes_scripts(tmp_path):
    truth, pred = _scene(9, (14, 15))
    instances = _instances(np.random.default_rng(2), truth, None)
    preds, gts = _one_pair(tmp_path, truth, pred, instances=instances)
    files = {}
    printed = {}
    for name, module in (("ours", compat), ("theirs", peer)):
        settings_ = _settings(module, JSONOutput=True, quiet=False, evalInstLevelScore=True,
                              exportFile=str(tmp_path / name / "result.json"))
        if module is peer:
            with _peer_running() as out:
                module.evaluateImgLists(preds, gts, settings_)
            printed[name] = out.getvalue()
        else:
            with contextlib.redirect_stdout(io.StringIO()) as out:
                module.evaluateImgLists(preds, gts, settings_)
            printed[name] = out.getvalue()
        files[name] = (tmp_path / name / "result.json").read_text()
    assert files["ours"] == files["theirs"]
    tables = {name: text[text.index("classes          IoU"):] for name, text in printed.items()}
    assert tables["ours"] == tables["theirs"]
    assert printed["ours"].startswith("Evaluating 1 pairs of images...")


def test_the_json_file_holds_the_per_image_statistics(tmp_path):
    """cityscapesScripts stores np.count_nonzero's NumPy integers there, which its JSON
    writer cannot serialise under NumPy 2 (AttributeError); this module writes the ints."""
    truth, pred = _scene(6, (5, 9))
    preds, gts = _one_pair(tmp_path, truth, pred)
    changes = dict(JSONOutput=True, evalPixelAccuracy=True, exportFile=str(tmp_path / "r.json"))
    ours = compat.evaluateImgLists(preds, gts, _settings(compat, **changes))
    with open(tmp_path / "r.json") as fh:
        assert json.load(fh)["perImageScores"] == ours["perImageScores"]
    void = np.isin(truth, VOID)
    assert ours["perImageScores"] == {preds[0]: {"nbNotIgnoredPixels": int(void.sum()),
                                                 "nbCorrectPixels": int((void & (pred != truth)).sum())}}
    kind, error = _peer_outcome(lambda: peer.evaluateImgLists(preds, gts, _settings(peer, **changes)))
    if kind == "raised":
        assert isinstance(error, AttributeError) and np.__version__ >= "2"
    else:
        _assert_same_result(ours, error)


def test_cityscapes_scripts_args_object_works_with_the_compat_functions(tmp_path):
    truth, pred = _scene(4, (8, 8))
    preds, gts = _one_pair(tmp_path, truth, pred)
    their_settings = _settings(peer)
    ours = compat.evaluateImgLists(preds, gts, their_settings)
    _, theirs = _peer_outcome(lambda: peer.evaluateImgLists(preds, gts, _settings(peer)))
    _assert_same_result(ours, theirs)


def test_default_args_follow_the_environment(monkeypatch, tmp_path):
    import importlib

    monkeypatch.setenv("CITYSCAPES_DATASET", str(tmp_path))
    monkeypatch.delenv("CITYSCAPES_EXPORT_DIR", raising=False)
    defaults = compat._default_args()
    assert defaults.exportFile == os.path.join(str(tmp_path), "evaluationResults",
                                               "resultPixelLevelSemanticLabeling.json")
    monkeypatch.setenv("CITYSCAPES_EXPORT_DIR", str(tmp_path))
    assert compat._default_args().exportFile == f"{tmp_path}/resultPixelLevelSemanticLabeling.json"
    monkeypatch.setenv("CITYSCAPES_EXPORT_DIR", str(tmp_path / "missing"))
    with pytest.raises(ValueError, match="is not a directory"):
        compat._default_args()
    assert importlib.import_module("fastiou.compat.cityscapes") is compat


# ------------------------------------------------------------------------------ the kernel

def _instance_reference(instances, pred, low, high, n_columns):
    keep = (instances >= low) & (instances <= high)
    ids = np.unique(instances[keep]).astype(np.int64)
    table = np.array([[np.sum(keep & (instances == i) & (pred == c)) for c in range(n_columns)]
                      for i in ids], dtype=np.int64).reshape(ids.size, n_columns)
    sizes = np.array([np.sum(instances == i) for i in ids], dtype=np.int64)
    return ids, sizes, table


@FAST
@given(st.integers(0, 2 ** 32 - 1), st.sampled_from([np.uint16, np.int32, np.int64]),
       st.sampled_from([np.uint8, np.uint16, np.int32, np.int64]), st.integers(0, 1000),
       st.sampled_from([1, 3, 1024]))
def test_the_instance_kernel_counts_every_id_and_prediction(seed, instance_dtype, pred_dtype, size,
                                                            capacity):
    from fastiou.compat._instances import instance_counts

    rng = np.random.default_rng(seed)
    values = rng.choice([0, 7, 1000, 1001, 24000, 24001, 26003, 33999, 250], 4)
    instances = np.repeat(rng.choice(values, size // 4 + 1), 4)[:size]  # runs, as label maps
    pred = np.repeat(rng.integers(-2, 36, size // 3 + 1), 3)[:size]
    if np.dtype(pred_dtype).kind == "u":
        pred = np.abs(pred)
    instances = instances.astype(instance_dtype)
    low, high = 1001, 33999
    pred = pred.astype(pred_dtype)
    counted = instance_counts(instances, pred, low, high, 34, capacity)
    expected = _instance_reference(instances.astype(np.int64), pred.astype(np.int64), low, high, 34)
    if expected[0].size > capacity:
        assert counted is None
        return
    for ours, theirs in zip(counted, expected):
        np.testing.assert_array_equal(ours, theirs)
        assert ours.dtype == np.int64


def test_the_instance_kernel_refuses_what_makes_no_table():
    from fastiou.compat._instances import MAX_SPAN, instance_counts

    ids, labels = np.zeros(4, np.uint16), np.zeros(4, np.uint8)
    for arguments in ((5, 4, 34, 8), (0, MAX_SPAN, 34, 8), (0, 9, 0, 8), (0, 9, 34, 0)):
        with pytest.raises(ValueError, match="do not make a table"):
            instance_counts(ids, labels, *arguments)
    with pytest.raises(ValueError, match="4 instance ids but 3 predictions"):
        instance_counts(ids, labels[:3], 0, 9, 34, 8)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int32, np.int64, np.uint32, np.int16])
def test_instance_tables_agree_on_every_path(dtype):
    """The kernel (with its row table grown when full) and the NumPy grouping (other dtypes,
    ids spanning more than a table) give the same table; a uint8 map holds no instance id."""
    rng = np.random.default_rng(3)
    truth = rng.choice(INSTANCE_CLASSES + [7, 8], (40, 60))
    instances = _instances(rng, truth, None).astype(dtype)
    pred = rng.choice(range(34), truth.shape).astype(np.uint8)
    ids, table = compat._instance_table(instances, pred)
    flat = instances.astype(np.int64).ravel()
    expected = _instance_reference(flat, pred.astype(np.int64).ravel(), 1001, flat.max(), 34)
    np.testing.assert_array_equal(ids, expected[0])
    np.testing.assert_array_equal(table, expected[2])
    if dtype in (np.int32, np.int64):
        wide = instances.astype(np.int64)
        wide[0, 0] = 10 ** 9                              # ids spanning more than a table
        ids, table = compat._instance_table(wide, pred)
        assert ids[-1] == 10 ** 9 and table[-1].sum() == 1
    many = (np.arange(40 * 60).reshape(40, 60) + 1001).astype(np.uint16)  # 2400 instances
    ids, table = compat._instance_table(many, pred)
    assert ids.size == 2400 and (table.sum(axis=1) == 1).all()
