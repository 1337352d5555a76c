"""cityscapesScripts' pixel-level evaluation (``cityscapesscripts.evaluation.
evalPixelLevelSemanticLabeling``, checked against 2.3.0), counted by fastiou.

The same functions, arguments and results: ``evaluateImgLists(predictionImgList,
groundTruthImgList, args)`` returns the same dictionary (confusion matrix over the 34 label
ids, priors, class and category IoU, the instance-weighted iIoU, their averages and the
per-image statistics), writes the same JSON file and prints the same score tables; the
score functions (``getIouScoreForLabel``, ``getScoreAverage``, ...) take and return what
cityscapesScripts' take and return. ``args`` is this module's :data:`args` (cityscapesScripts'
defaults) or any object with the same attributes, cityscapesScripts' own ``args`` included.

What cityscapesScripts counts, reproduced: a prediction of a void id (``ignoreInEval``) on
an evaluated pixel is a false negative of the true class; a ground-truth id outside the
label ids stops the evaluation (cityscapesScripts calls ``sys.exit(-1)``: here
:class:`CityscapesExit`, a ``SystemExit`` and a ``ValueError``), and so does a prediction
id outside them on a pixel counted before it (cityscapesScripts indexes its matrix with
it: :class:`CityscapesIndexError`, an ``IndexError``); an unknown instance label is a
``KeyError`` (:class:`CityscapesKeyError`). The quirks kept are listed in
``docs/compat/cityscapes.md``.

Where it deliberately differs
-----------------------------
- Nothing is modified when a pair fails: cityscapesScripts has already added part of it to
  ``confMatrix`` and ``instanceStats``. Nothing is printed for an error: the message is the
  exception's (cityscapesScripts prints ``ERROR: ...`` to stdout, then exits).
- Label maps are read by fastiou's reader (PNG, TIFF, ``.npy``; what Pillow gives for label
  images): JPEG and other lossy or non-label formats are refused (cityscapesScripts reads
  anything Pillow opens). Arrays (and CPU tensors) are accepted wherever a file name is.
- A negative prediction id that would not stop cityscapesScripts raises a ``ValueError``:
  its NumPy path would count the pixel under another pair of ids.
- cityscapesScripts 2.3.0 calls ``np.in1d``, which NumPy 2.4 removed: with NumPy >= 2.4 its
  ``evaluatePair`` raises ``AttributeError`` whenever ``args.evalInstLevelScore`` (its
  default) or ``args.evalPixelAccuracy`` is set. This module computes what it computes
  with the NumPy it was written for.
- Not printed: the progress lines and the confusion matrix (the score tables are).
"""

import json
import math
import os
import platform
import sys
import tempfile
import threading
from collections import namedtuple
from collections.abc import Mapping, Sequence
from typing import Any, Optional, Union

import numpy as np
import numpy.typing as npt

from fastiou.compat import to_numpy
from fastiou.compat._instances import MAX_SPAN, instance_counts
from fastiou.evaluate._engine import EvalOptions, count_pair, map_in_order, thread_budget
from fastiou.evaluate._io import EvalError, LabelPair, read_label_map
from fastiou.evaluate._png import Scratch
from fastiou.segmentation._core import count_pairs

__all__ = [
    "CArgs", "CityscapesExit", "CityscapesIndexError", "CityscapesKeyError", "Label", "args",
    "category2labels", "createResultDict", "evaluateImgLists", "evaluatePair",
    "generateInstanceStats", "generateMatrix", "getInstanceIouScoreForCategory",
    "getInstanceIouScoreForLabel", "getIouScoreForCategory", "getIouScoreForLabel",
    "getMatrixFieldValue", "getPrior", "getScoreAverage", "id2label", "labels", "name2label",
    "printCategoryScores", "printClassScores", "trainId2label", "writeJSONFile",
]

# ---------------------------------------------------------------------------------------
# The Cityscapes label table (cityscapesscripts.helpers.labels)

Label = namedtuple("Label", ["name", "id", "trainId", "category", "categoryId", "hasInstances",
                             "ignoreInEval", "color"])
Label.__doc__ = """One Cityscapes label, as ``cityscapesscripts.helpers.labels.Label``.

Parameters
----------
name : str
    The class name (``"road"``).
id : int
    The label id of ``*_labelIds.png`` (-1 for ``"license plate"``, which has none).
trainId : int
    The id used for training (255: not trained).
category : str
    The category name (``"flat"``).
categoryId : int
    The category id.
hasInstances : bool
    Whether ``*_instanceIds.png`` separates its instances.
ignoreInEval : bool
    Whether evaluation leaves its ground-truth pixels out (a void class).
color : tuple of int
    Its colour in ``*_color.png``.

Examples
--------
>>> from fastiou.compat import cityscapes
>>> cityscapes.name2label["car"].id, cityscapes.id2label[26].trainId
(26, 13)
"""

# name, id, trainId, category, categoryId, hasInstances, ignoreInEval, color
_TABLE = """\
unlabeled              0 255 void         0 0 1   0   0   0
ego vehicle            1 255 void         0 0 1   0   0   0
rectification border   2 255 void         0 0 1   0   0   0
out of roi             3 255 void         0 0 1   0   0   0
static                 4 255 void         0 0 1   0   0   0
dynamic                5 255 void         0 0 1 111  74   0
ground                 6 255 void         0 0 1  81   0  81
road                   7   0 flat         1 0 0 128  64 128
sidewalk               8   1 flat         1 0 0 244  35 232
parking                9 255 flat         1 0 1 250 170 160
rail track            10 255 flat         1 0 1 230 150 140
building              11   2 construction 2 0 0  70  70  70
wall                  12   3 construction 2 0 0 102 102 156
fence                 13   4 construction 2 0 0 190 153 153
guard rail            14 255 construction 2 0 1 180 165 180
bridge                15 255 construction 2 0 1 150 100 100
tunnel                16 255 construction 2 0 1 150 120  90
pole                  17   5 object       3 0 0 153 153 153
polegroup             18 255 object       3 0 1 153 153 153
traffic light         19   6 object       3 0 0 250 170  30
traffic sign          20   7 object       3 0 0 220 220   0
vegetation            21   8 nature       4 0 0 107 142  35
terrain               22   9 nature       4 0 0 152 251 152
sky                   23  10 sky          5 0 0  70 130 180
person                24  11 human        6 1 0 220  20  60
rider                 25  12 human        6 1 0 255   0   0
car                   26  13 vehicle      7 1 0   0   0 142
truck                 27  14 vehicle      7 1 0   0   0  70
bus                   28  15 vehicle      7 1 0   0  60 100
caravan               29 255 vehicle      7 1 1   0   0  90
trailer               30 255 vehicle      7 1 1   0   0 110
train                 31  16 vehicle      7 1 0   0  80 100
motorcycle            32  17 vehicle      7 1 0   0   0 230
bicycle               33  18 vehicle      7 1 0 119  11  32
license plate         -1  -1 vehicle      7 0 1   0   0 142
"""


def _parse_table(text: str) -> "list[Label]":
    rows = []
    for line in text.splitlines():
        fields = line.split()
        name = " ".join(fields[:-9])
        number, train, category, category_id, instances, ignored, *colour = fields[-9:]
        rows.append(Label(name, int(number), int(train), category, int(category_id),
                          instances == "1", ignored == "1", tuple(int(c) for c in colour)))
    return rows


labels = _parse_table(_TABLE)
name2label = {label.name: label for label in labels}
id2label = {label.id: label for label in labels}
trainId2label = {label.trainId: label for label in reversed(labels)}
category2labels: dict[str, list[Label]] = {}
for _label in labels:
    category2labels.setdefault(_label.category, []).append(_label)
del _label

N_IDS = max(label.id for label in labels) + 1  # the confusion matrix is N_IDS x N_IDS (34)
_ALL_IDS = list(range(N_IDS))  # args.evalLabels as generateMatrix sets it
INSTANCE_OFFSET = 1000  # instance ids are label id * 1000 + k; pixels > 1000 are instances
INSTANCE_ROWS = 1024  # instances of one image the per-instance table holds at first


# ---------------------------------------------------------------------------------------
# Settings (cityscapesScripts' module-level ``args``)

class CArgs:
    """A bag of evaluation settings, as cityscapesScripts' ``CArgs`` (see :data:`args` for
    the attributes the functions read).

    Attributes
    ----------
    evalLabels : list of int
        The label ids evaluated; ``evalInstLevelScore``, ``evalPixelAccuracy``, ``quiet``,
        ``JSONOutput``, ``exportFile``, ``avgClassSize`` and the printing settings
        (``printRow``, ``normalized``, ``colorized``, ``bold``, ``nocol``) as in
        cityscapesScripts' ``args``; a fresh instance holds none of them.

    Examples
    --------
    >>> from fastiou.compat import cityscapes
    >>> settings = cityscapes.CArgs()
    >>> settings.evalInstLevelScore = False
    """

    # the settings the functions read (set by :data:`args`; a fresh instance has none)
    cityscapesPath: str
    exportFile: str
    groundTruthSearch: str
    evalInstLevelScore: bool
    evalPixelAccuracy: bool
    evalLabels: list[int]
    printRow: int
    normalized: bool
    colorized: bool
    bold: str
    nocol: str
    JSONOutput: bool
    quiet: bool
    avgClassSize: dict[str, float]
    predictionPath: Optional[str]
    predictionWalk: Any


def _colorized():
    return hasattr(sys.stderr, "isatty") and sys.stderr.isatty() and platform.system() == "Linux"


_BOLD, _END = "\033[1m", "\033[0m"
_SCORE_COLOURS = ((0.20, "\033[31;1m"), (0.40, "\033[33;1m"), (0.60, "\033[34;1m"),
                  (0.80, "\033[36;1m"))
_GREEN = "\033[32;1m"

# Mean pixel count of an instance of each class on Cityscapes' training set: iIoU weighs an
# instance's true positives and false negatives by this over its size.
AVERAGE_CLASS_SIZE = {
    "bicycle": 4672.3249222261, "caravan": 36771.8241758242, "motorcycle": 6298.7200839748,
    "rider": 3930.4788056518, "bus": 35732.1511111111, "train": 67583.7075812274,
    "car": 12794.0202738185, "person": 3462.4756337644, "truck": 27855.1264367816,
    "trailer": 16926.9763313609,
}


def _default_args() -> CArgs:
    """cityscapesScripts' defaults; the dataset folder falls back to the current folder
    (cityscapesScripts: two folders above its own module, i.e. ``site-packages``)."""
    settings = CArgs()
    settings.cityscapesPath = os.environ.get("CITYSCAPES_DATASET", os.path.abspath(os.curdir))
    if "CITYSCAPES_EXPORT_DIR" in os.environ:
        export_dir = os.environ["CITYSCAPES_EXPORT_DIR"]
        if not os.path.isdir(export_dir):
            raise ValueError(f"CITYSCAPES_EXPORT_DIR {export_dir} is not a directory")
        settings.exportFile = f"{export_dir}/resultPixelLevelSemanticLabeling.json"
    else:
        settings.exportFile = os.path.join(settings.cityscapesPath, "evaluationResults",
                                           "resultPixelLevelSemanticLabeling.json")
    settings.groundTruthSearch = os.path.join(settings.cityscapesPath, "gtFine", "val", "*",
                                              "*_gtFine_labelIds.png")
    settings.evalInstLevelScore = True
    settings.evalPixelAccuracy = False
    settings.evalLabels = []
    settings.printRow = 5
    settings.normalized = True
    settings.colorized = _colorized()
    settings.bold = _BOLD if settings.colorized else ""
    settings.nocol = _END if settings.colorized else ""
    settings.JSONOutput = True
    settings.quiet = False
    settings.avgClassSize = dict(AVERAGE_CLASS_SIZE)
    settings.predictionPath = None
    settings.predictionWalk = None
    return settings


args = _default_args()


# ---------------------------------------------------------------------------------------
# Errors: the built-in type cityscapesScripts raises, and a ValueError

class CityscapesExit(ValueError, SystemExit):
    """Where cityscapesScripts prints ``ERROR: <message>`` and calls ``sys.exit(-1)``.

    A ``SystemExit`` (code that caught cityscapesScripts' exit keeps working; uncaught, it
    ends the program with the message, exit status 1) and a ``ValueError``.

    Parameters
    ----------
    message : str
        What went wrong (cityscapesScripts' message, with the reason where it has none).

    Examples
    --------
    >>> from fastiou.compat import cityscapes
    >>> error = cityscapes.CityscapesExit("Unknown label with id 40")
    >>> isinstance(error, SystemExit), isinstance(error, ValueError), error.code
    (True, True, 'Unknown label with id 40')
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.code = message


class CityscapesIndexError(ValueError, IndexError):
    """Where cityscapesScripts' NumPy path raises ``IndexError`` (a prediction id outside its
    matrix; an instance map of another size than the prediction).

    Parameters
    ----------
    message : str
        NumPy's message, then what it means.

    Examples
    --------
    >>> from fastiou.compat import cityscapes
    >>> isinstance(cityscapes.CityscapesIndexError("index 40 is out of bounds"), IndexError)
    True
    """


class CityscapesKeyError(ValueError, KeyError):
    """Where cityscapesScripts raises ``KeyError`` (an instance of an unknown label id, of a
    class without instances, or missing from ``args.avgClassSize``).

    Parameters
    ----------
    message : str
        The key cityscapesScripts misses, then what it means (printed as it is).

    Examples
    --------
    >>> from fastiou.compat import cityscapes
    >>> print(cityscapes.CityscapesKeyError("'road': not an instance class"))
    'road': not an instance class
    """

    def __str__(self) -> str:
        return str(self.args[0])


# ---------------------------------------------------------------------------------------
# Scores from the confusion matrix

def generateMatrix(args: Any) -> npt.NDArray[np.uint64]:
    """A zero ``(34, 34)`` uint64 confusion matrix; sets ``args.evalLabels`` to the label ids.

    Parameters
    ----------
    args : CArgs
        Settings; its ``evalLabels`` becomes the ids 0..33 (every label with an id, void
        ones included).

    Returns
    -------
    numpy.ndarray of shape (34, 34), uint64
        Rows are ground-truth label ids, columns predicted ids.

    Examples
    --------
    >>> from fastiou.compat import cityscapes
    >>> settings = cityscapes.CArgs()
    >>> cityscapes.generateMatrix(settings).shape, settings.evalLabels[-1]
    ((34, 34), 33)
    """
    args.evalLabels = [label.id for label in labels if label.id >= 0]
    size = max(args.evalLabels) + 1
    return np.zeros((size, size), dtype=np.ulonglong)


def generateInstanceStats(args: Any) -> dict[str, Any]:
    """Empty instance statistics: per instance class and per category whose labels all have
    instances (``human``, ``vehicle``), ``tp``, ``tpWeighted``, ``fn``, ``fnWeighted`` = 0.0.

    Parameters
    ----------
    args : CArgs
        Unused (cityscapesScripts' signature).

    Returns
    -------
    dict
        ``{"classes": {name: {...}}, "categories": {name: {..., "labelIds": [...]}}}``.

    Examples
    --------
    >>> from fastiou.compat import cityscapes
    >>> stats = cityscapes.generateInstanceStats(cityscapes.args)
    >>> sorted(stats["categories"]), stats["categories"]["human"]["labelIds"]
    (['human', 'vehicle'], [24, 25])
    """
    def zero():
        return {"tp": 0.0, "tpWeighted": 0.0, "fn": 0.0, "fnWeighted": 0.0}

    stats = {"classes": {}, "categories": {}}
    for label in labels:
        if label.hasInstances and not label.ignoreInEval:
            stats["classes"][label.name] = zero()
    for category, members in category2labels.items():
        with_id = [label for label in members if label.id >= 0]
        if all(label.hasInstances for label in with_id):
            stats["categories"][category] = {**zero(), "labelIds": [label.id for label in with_id]}
    return stats


def getMatrixFieldValue(confMatrix: npt.NDArray[Any], i: int, j: int, args: Any) -> Union[float, np.integer[Any]]:
    """Cell ``(i, j)`` of the matrix, divided by its row sum when ``args.normalized`` (NaN for
    an empty row).

    Parameters
    ----------
    confMatrix : numpy.ndarray
        The confusion matrix.
    i, j : int
        Ground-truth and predicted label id.
    args : CArgs
        Reads ``normalized``.

    Returns
    -------
    float or numpy integer

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.compat import cityscapes
    >>> cityscapes.getMatrixFieldValue(np.array([[1, 3], [0, 0]]), 0, 1, cityscapes.args)
    0.75
    """
    if not args.normalized:
        return confMatrix[i][j]
    row = confMatrix[i].sum()
    return float("nan") if row == 0 else float(confMatrix[i][j]) / int(row)


def _evaluated(args, keep):
    """The ids of ``args.evalLabels`` that are evaluated and for which ``keep(label)``."""
    return [i for i in args.evalLabels if not id2label[i].ignoreInEval and keep(id2label[i])]


def _ratio(tp, denominator):
    return float("nan") if denominator == 0 else float(tp) / denominator


def _label_false_positives(confMatrix, label, args):
    """Pixels of the other evaluated ids of ``args.evalLabels`` predicted as `label`."""
    return int(confMatrix[_evaluated(args, lambda other: other.id != label), label].sum())


def _category_false_positives(confMatrix, category, ids, args):
    """Pixels of the evaluated ids of the other categories predicted as one of `ids`."""
    others = _evaluated(args, lambda other: other.category != category)
    return int(confMatrix[others, :][:, ids].sum())


def getIouScoreForLabel(label: int, confMatrix: npt.NDArray[Any], args: Any) -> float:
    """IoU of one label id: ``tp / (tp + fp + fn)``, NaN for an id not evaluated or 0 / 0.

    A prediction of any other id (void ones included) on the label's pixels is a false
    negative; false positives come only from the rows of evaluated ids in
    ``args.evalLabels`` (an empty list, before :func:`generateMatrix`, gives none).

    Parameters
    ----------
    label : int
        A label id (an unknown one raises ``KeyError``).
    confMatrix : numpy.ndarray
        The ``(34, 34)`` matrix of label ids.
    args : CArgs
        Reads ``evalLabels``.

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.compat import cityscapes
    >>> settings = cityscapes.CArgs()
    >>> matrix = cityscapes.generateMatrix(settings)
    >>> matrix[7, 7], matrix[7, 0], matrix[8, 7] = 6, 2, 2   # road: 2 void predictions
    >>> cityscapes.getIouScoreForLabel(7, matrix, settings)
    0.6
    """
    if id2label[label].ignoreInEval:
        return float("nan")
    tp = int(confMatrix[label, label])
    fn = int(confMatrix[label, :].sum()) - tp
    return _ratio(tp, tp + _label_false_positives(confMatrix, label, args) + fn)


def getInstanceIouScoreForLabel(label: int, confMatrix: npt.NDArray[Any], instStats: Mapping[str, Any], args: Any) -> float:
    """Instance-weighted IoU (iIoU) of one label id: weighted true positives over weighted
    true positives, plain false positives and weighted false negatives; NaN for an id not
    evaluated, without instances, or 0 / 0.

    Parameters
    ----------
    label : int
        A label id.
    confMatrix : numpy.ndarray
        The ``(34, 34)`` matrix (gives the false positives).
    instStats : dict
        Accumulated instance statistics (:func:`generateInstanceStats`).
    args : CArgs
        Reads ``evalLabels``.

    Returns
    -------
    float

    Examples
    --------
    >>> from fastiou.compat import cityscapes
    >>> settings = cityscapes.CArgs()
    >>> matrix = cityscapes.generateMatrix(settings)
    >>> stats = cityscapes.generateInstanceStats(settings)
    >>> stats["classes"]["car"].update(tpWeighted=3.0, fnWeighted=1.0)
    >>> cityscapes.getInstanceIouScoreForLabel(26, matrix, stats, settings)
    0.75
    """
    entry = id2label[label]
    if entry.ignoreInEval or entry.name not in instStats["classes"]:
        return float("nan")
    tp = instStats["classes"][entry.name]["tpWeighted"]
    fn = instStats["classes"][entry.name]["fnWeighted"]
    return _ratio(tp, tp + _label_false_positives(confMatrix, label, args) + fn)


def getPrior(label: int, confMatrix: npt.NDArray[Any]) -> float:
    """The share of all counted pixels whose ground truth is `label` (NaN for an empty
    matrix, without a warning).

    Parameters
    ----------
    label : int
        A label id.
    confMatrix : numpy.ndarray
        The confusion matrix.

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.compat import cityscapes
    >>> cityscapes.getPrior(0, np.array([[1, 2], [0, 1]]))
    0.75
    """
    total = int(confMatrix.sum())
    return _ratio(int(confMatrix[label, :].sum()), total)


def getScoreAverage(scoreList: Mapping[str, float], args: Any) -> float:
    """The mean of the scores that are not NaN (NaN if none), summed in the dictionary's
    order as cityscapesScripts sums them.

    Parameters
    ----------
    scoreList : dict
        Name -> score (e.g. the IoU of each of the 34 label ids, NaN for the 15 not
        evaluated).
    args : CArgs
        Unused.

    Returns
    -------
    float

    Examples
    --------
    >>> from fastiou.compat import cityscapes
    >>> cityscapes.getScoreAverage({"road": 0.5, "unlabeled": float("nan"), "car": 1.0},
    ...                            cityscapes.args)
    0.75
    """
    total, count = 0.0, 0
    for key in scoreList:
        score = scoreList[key]
        if not math.isnan(score):
            total += score
            count += 1
    return float("nan") if count == 0 else total / count


def getIouScoreForCategory(category: str, confMatrix: npt.NDArray[Any], args: Any) -> float:
    """IoU of a category: its evaluated labels merged into one class (predicting a wrong
    label of the same category counts as right); false positives come from the evaluated
    labels of the other categories. NaN when it has no evaluated label or 0 / 0.

    Parameters
    ----------
    category : str
        ``"flat"``, ``"construction"``, ``"object"``, ``"nature"``, ``"sky"``, ``"human"``,
        ``"vehicle"`` or ``"void"`` (an unknown one raises ``KeyError``).
    confMatrix : numpy.ndarray
        The ``(34, 34)`` matrix.
    args : CArgs
        Reads ``evalLabels``.

    Returns
    -------
    float

    Examples
    --------
    >>> from fastiou.compat import cityscapes
    >>> settings = cityscapes.CArgs()
    >>> matrix = cityscapes.generateMatrix(settings)
    >>> matrix[24, 25], matrix[24, 26] = 3, 1      # person: taken for rider, for car
    >>> cityscapes.getIouScoreForCategory("human", matrix, settings)
    0.75
    """
    members = category2labels[category]
    ids = [label.id for label in members if not label.ignoreInEval and label.id in args.evalLabels]
    if not ids:
        return float("nan")
    rows = confMatrix[ids, :]
    tp = int(rows[:, ids].sum())
    fn = int(rows.sum()) - tp
    return _ratio(tp, tp + _category_false_positives(confMatrix, category, ids, args) + fn)


def getInstanceIouScoreForCategory(category: str, confMatrix: npt.NDArray[Any], instStats: Mapping[str, Any],
                                   args: Any) -> float:
    """Instance-weighted IoU of a category with instances (``human``, ``vehicle``); NaN for
    the others or 0 / 0.

    Parameters
    ----------
    category : str
        A category name.
    confMatrix : numpy.ndarray
        The ``(34, 34)`` matrix (gives the false positives).
    instStats : dict
        Accumulated instance statistics.
    args : CArgs
        Reads ``evalLabels``.

    Returns
    -------
    float

    Examples
    --------
    >>> from fastiou.compat import cityscapes
    >>> settings = cityscapes.CArgs()
    >>> matrix = cityscapes.generateMatrix(settings)
    >>> stats = cityscapes.generateInstanceStats(settings)
    >>> stats["categories"]["human"].update(tpWeighted=1.0, fnWeighted=1.0)
    >>> cityscapes.getInstanceIouScoreForCategory("human", matrix, stats, settings)
    0.5
    """
    if category not in instStats["categories"]:
        return float("nan")
    entry = instStats["categories"][category]
    tp, fn = entry["tpWeighted"], entry["fnWeighted"]
    fp = _category_false_positives(confMatrix, category, entry["labelIds"], args)
    return _ratio(tp, tp + fp + fn)


def createResultDict(confMatrix: npt.NDArray[Any], classScores: Mapping[str, float], classInstScores: Mapping[str, float],
                     categoryScores: Mapping[str, float], categoryInstScores: Mapping[str, float],
                     perImageStats: Mapping[str, Any], args: Any) -> dict[str, Any]:
    """Everything :func:`evaluateImgLists` returns, in cityscapesScripts' keys.

    Parameters
    ----------
    confMatrix : numpy.ndarray
        The ``(34, 34)`` matrix.
    classScores, classInstScores : dict
        Label name -> IoU / iIoU.
    categoryScores, categoryInstScores : dict
        Category -> IoU / iIoU.
    perImageStats : dict
        Prediction -> pixel statistics (``args.evalPixelAccuracy``); left out when empty.
    args : CArgs
        Reads ``evalLabels``.

    Returns
    -------
    dict
        ``confMatrix`` (nested lists), ``priors``, ``labels``, the four score dicts, their
        averages ``averageScoreClasses``, ``averageScoreInstClasses``,
        ``averageScoreCategories``, ``averageScoreInstCategories`` and ``perImageScores``.

    Examples
    --------
    >>> from fastiou.compat import cityscapes
    >>> settings = cityscapes.CArgs()
    >>> matrix = cityscapes.generateMatrix(settings)
    >>> result = cityscapes.createResultDict(matrix, {"road": 0.5}, {}, {}, {}, {}, settings)
    >>> result["averageScoreClasses"], result["labels"]["road"]
    (0.5, 7)
    """
    result = {"confMatrix": confMatrix.tolist(), "priors": {}, "labels": {}}
    for label in args.evalLabels:
        name = id2label[label].name
        result["priors"][name] = getPrior(label, confMatrix)
        result["labels"][name] = label
    result["classScores"] = classScores
    result["classInstScores"] = classInstScores
    result["categoryScores"] = categoryScores
    result["categoryInstScores"] = categoryInstScores
    result["averageScoreClasses"] = getScoreAverage(classScores, args)
    result["averageScoreInstClasses"] = getScoreAverage(classInstScores, args)
    result["averageScoreCategories"] = getScoreAverage(categoryScores, args)
    result["averageScoreInstCategories"] = getScoreAverage(categoryInstScores, args)
    if perImageStats:
        result["perImageScores"] = perImageStats
    return result


def writeJSONFile(wholeData: Mapping[str, Any], args: Any) -> None:
    """Write `wholeData` to ``args.exportFile`` as cityscapesScripts writes it (sorted keys,
    indent 4, NaN as ``NaN``), creating its folder; the file is replaced only once written.

    Parameters
    ----------
    wholeData : dict
        What :func:`createResultDict` returns.
    args : CArgs
        Reads ``exportFile``.

    Returns
    -------
    None

    Examples
    --------
    >>> import json, os, tempfile
    >>> from fastiou.compat import cityscapes
    >>> settings = cityscapes.CArgs()
    >>> settings.exportFile = os.path.join(tempfile.mkdtemp(), "out", "result.json")
    >>> cityscapes.writeJSONFile({"b": 1, "a": float("nan")}, settings)
    >>> with open(settings.exportFile) as fh:
    ...     print(fh.read())
    {
        "a": NaN,
        "b": 1
    }
    """
    folder = os.path.dirname(args.exportFile)
    if folder:
        os.makedirs(folder, exist_ok=True)
    text = json.dumps(wholeData, default=lambda value: value.__dict__, sort_keys=True, indent=4)
    handle, temporary = tempfile.mkstemp(dir=folder or ".", prefix=".fastiou-")
    try:
        with os.fdopen(handle, "w") as fh:
            fh.write(text)
        os.replace(temporary, args.exportFile)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def _colour(value, args):
    """cityscapesScripts' colour of a score (only when ``args.colorized``)."""
    if not args.colorized:
        return ""
    if not isinstance(value, float) or math.isnan(value):
        return _END
    for bound, code in _SCORE_COLOURS:
        if value < bound:
            return code
    return _GREEN


def _score_line(name, score, inst_score, args):
    def shown(value):
        return _colour(value, args) + f"{value:>5.3f}" + args.nocol

    return f"{name:<14}: " + shown(score) + "    " + shown(inst_score)


def printClassScores(scoreList: Mapping[str, float], instScoreList: Mapping[str, float], args: Any) -> None:
    """Print the IoU and iIoU of each evaluated label as cityscapesScripts prints them
    (nothing when ``args.quiet``).

    Parameters
    ----------
    scoreList, instScoreList : dict
        Label name -> IoU / iIoU.
    args : CArgs
        Reads ``quiet``, ``evalLabels``, ``bold``, ``nocol``, ``colorized``.

    Returns
    -------
    None

    Examples
    --------
    >>> from fastiou.compat import cityscapes
    >>> settings = cityscapes.CArgs()
    >>> settings.evalLabels, settings.quiet, settings.colorized = [7], False, False
    >>> settings.bold = settings.nocol = ""
    >>> cityscapes.printClassScores({"road": 0.5}, {"road": float("nan")}, settings)
    classes          IoU      nIoU
    --------------------------------
    road          : 0.500      nan
    """
    if args.quiet:
        return
    print(args.bold + "classes          IoU      nIoU" + args.nocol)
    print("-" * 32)
    for label in args.evalLabels:
        if not id2label[label].ignoreInEval:
            name = str(id2label[label].name)
            print(_score_line(name, scoreList[name], instScoreList[name], args))


def printCategoryScores(scoreDict: Mapping[str, float], instScoreDict: Mapping[str, float], args: Any) -> None:
    """Print the IoU and iIoU of each category with an evaluated label as cityscapesScripts
    prints them (nothing when ``args.quiet``).

    Parameters
    ----------
    scoreDict, instScoreDict : dict
        Category -> IoU / iIoU.
    args : CArgs
        Reads ``quiet``, ``bold``, ``nocol``, ``colorized``.

    Returns
    -------
    None

    Examples
    --------
    >>> from fastiou.compat import cityscapes
    >>> settings = cityscapes.CArgs()
    >>> settings.quiet, settings.colorized, settings.bold, settings.nocol = False, False, "", ""
    >>> cityscapes.printCategoryScores({"void": 0.0, "sky": 0.25}, {"void": 0.0, "sky": 0.0},
    ...                                settings)
    categories       IoU      nIoU
    --------------------------------
    sky           : 0.250    0.000
    """
    if args.quiet:
        return
    print(args.bold + "categories       IoU      nIoU" + args.nocol)
    print("-" * 32)
    for category in scoreDict:
        if not all(label.ignoreInEval for label in category2labels[category]):
            print(_score_line(category, scoreDict[category], instScoreDict[category], args))


def _print_average(scores, inst_scores, args):
    average, inst_average = getScoreAverage(scores, args), getScoreAverage(inst_scores, args)
    print("-" * 32)
    print("Score Average : " + _colour(average, args) + f"{average:5.3f}" + args.nocol + "    "
          + _colour(inst_average, args) + f"{inst_average:5.3f}" + args.nocol)
    print("-" * 32)
    print("")


# ---------------------------------------------------------------------------------------
# Counting a pair

class _PairCounts:
    """What one pair adds: its (34, 34) int64 matrix, pixel count, instance rows (one per
    evaluated instance, in id order) and pixel-accuracy statistics."""

    __slots__ = ("matrix", "pixels", "instances", "pixel_stats")

    def __init__(self, matrix, pixels, instances=(), pixel_stats=None):
        self.matrix, self.pixels = matrix, pixels
        self.instances, self.pixel_stats = instances, pixel_stats


def _is_path(value):
    return isinstance(value, (str, os.PathLike))


_buffers = threading.local()


def _scratch(slot):
    """This thread's reusable PNG buffer `slot` (0: prediction, 1: ground truth, 2: instances):
    the maps read into it are dropped before the thread reads its next pair."""
    scratches = getattr(_buffers, "scratches", None)
    if scratches is None:
        scratches = _buffers.scratches = (Scratch(), Scratch(), Scratch())
    return scratches[slot]


def _read(source, name, slot):
    """A label map from a file name (fastiou's reader) or an array-like, as an integer array."""
    if _is_path(source):
        try:
            return read_label_map(os.fspath(source), scratch=_scratch(slot))
        except EvalError as exc:
            raise CityscapesExit(f"Unable to load {source}: {exc}") from None
    array = to_numpy(source, name)
    if array.dtype == bool:
        return array.astype(np.uint8)
    if array.dtype.kind not in "iu":
        raise TypeError(f"`{name}` must hold integer label ids, got dtype {array.dtype}")
    if array.ndim < 2:
        raise ValueError(f"`{name}` must be an image (2-D), got shape {array.shape}")
    return array


def _instance_source(groundTruth, instanceImg):
    if instanceImg is not None:
        return instanceImg
    if not _is_path(groundTruth):
        raise TypeError("args.evalInstLevelScore needs the instance ids: give `instanceImg`, or "
                        "the ground truth as a *labelIds* file name (its *instanceIds* file is "
                        "read), or set args.evalInstLevelScore = False")
    return os.fspath(groundTruth).replace("labelIds", "instanceIds")


def _read_checked(prediction, groundTruth, instanceImg, args):
    """Read the pair (and the instance map) and check it in cityscapesScripts' order."""
    pred = _read(prediction, "predictionImgFileName", 0)
    truth = _read(groundTruth, "groundTruthImgFileName", 1)
    instances = None
    if args.evalInstLevelScore:
        instances = _read(_instance_source(groundTruth, instanceImg), "instanceImg", 2)
    names = (prediction if _is_path(prediction) else "the prediction",
             groundTruth if _is_path(groundTruth) else "the ground truth")
    for axis, what in ((1, "widths"), (0, "heights")):
        if pred.shape[axis] != truth.shape[axis]:
            raise CityscapesExit(f"Image {what} of {names[0]} and {names[1]} are not equal.")
    if pred.ndim != 2:
        raise CityscapesExit("Predicted image has multiple channels.")
    if truth.ndim != 2:
        raise ValueError(f"`groundTruthImgFileName` must be an image (2-D), got shape {truth.shape}")
    return pred, truth, instances


def _label_error(truth, pred, args, n_columns):
    """The exception cityscapesScripts' NumPy path raises for this pair: it encodes each pixel
    as ``truth * (largest id + 1) + pred`` in int32 and walks the distinct codes in order,
    stopping at the first whose truth is not in ``args.evalLabels`` (an exit) or whose
    prediction does not index its matrix (IndexError). None when it stops at nothing."""
    if max(truth.dtype.itemsize, pred.dtype.itemsize) > 4 or np.uint32 in (truth.dtype, pred.dtype):
        truth, pred = truth.astype(np.int64), pred.astype(np.int64)  # beyond what Pillow gives
    top = np.array([max(truth.max(), pred.max())]).astype(np.int32)
    base = (top + np.int32(1))[0]  # an array sum: wraps as cityscapesScripts' does, unwarned
    if base <= 0:
        return None
    codes = np.unique(truth.astype(np.int32) * base + pred)
    known = set(args.evalLabels)
    for code in codes.tolist():
        pred_id = code % int(base)
        truth_id = (code - pred_id) // int(base)
        if truth_id not in known:
            return CityscapesExit(f"Unknown label with id {truth_id}")
        if not 0 <= pred_id < n_columns:
            return CityscapesIndexError(f"index {pred_id} is out of bounds for axis 0 with size "
                                        f"{n_columns}: the prediction holds label id {pred_id} "
                                        f"where the ground truth is {truth_id}")
    return None


def _count_ids(truth, pred, args, n_threads):
    """The (34, 34) int64 matrix of label ids, or the error cityscapesScripts raises."""
    counts = count_pairs(truth, pred, N_IDS, out_of_range="ignore", n_threads=n_threads)
    unknown_rows = not _standard_labels(args) and \
        counts.matrix[~np.isin(np.arange(N_IDS), args.evalLabels)].any()
    if counts.n_bad_true or counts.n_bad_pred or unknown_rows:
        error = _label_error(truth, pred, args, N_IDS)
        if error is not None:
            raise error
        raise ValueError("the prediction holds negative label ids, which cityscapesScripts' "
                         "NumPy path would count as other pairs of ids; label ids are 0..33")
    return counts.matrix


# the dtypes `instance_counts` takes: instance ids are above 1000, so never uint8
_KERNEL_INSTANCE_DTYPES = (np.uint16, np.int32, np.int64)
_KERNEL_DTYPES = (np.uint8, *_KERNEL_INSTANCE_DTYPES)


def _instance_table(instances, pred):
    """The instance ids (above 1000) in increasing order and, when `pred` has the instance
    map's shape, the ``(ids, 34)`` table of how their pixels are predicted (else None).
    Every prediction is a label id here (the pair was counted first)."""
    flat = np.ascontiguousarray(instances).reshape(-1)
    if instances.shape == pred.shape:
        labels = np.ascontiguousarray(pred).reshape(-1)
        if flat.dtype == np.uint16 and labels.dtype in _KERNEL_DTYPES:
            low, high = INSTANCE_OFFSET + 1, 65535  # every 16-bit id: no pass to find them
        else:
            instance = flat > INSTANCE_OFFSET
            if not instance.any():
                return np.zeros(0, dtype=np.int64), np.zeros((0, N_IDS), dtype=np.int64)
            high = int(flat.max())
            low = int(flat.min(where=instance, initial=high))
        if flat.dtype in _KERNEL_INSTANCE_DTYPES and labels.dtype in _KERNEL_DTYPES and \
                high - low < MAX_SPAN:
            counted = instance_counts(flat, labels, low, high, N_IDS, INSTANCE_ROWS)
            if counted is None:  # more instances than rows: one row for every possible id
                counted = instance_counts(flat, labels, low, high, N_IDS, high - low + 1)
            return counted[0], counted[2]
        where = np.flatnonzero(flat > INSTANCE_OFFSET)
        ids, index = np.unique(flat.take(where), return_inverse=True)
        codes = index * N_IDS + labels.take(where)
        return ids, np.bincount(codes, minlength=ids.size * N_IDS).reshape(ids.size, N_IDS)
    return np.unique(flat[flat > INSTANCE_OFFSET]), None


def _per_instance(instances, pred, instanceStats, args):
    """One row per evaluated instance of the instance map, in increasing id order:
    ``(class name, category or None, tp, fn, tp weighted, fn weighted, category tp, category
    fn, category tp weighted, category fn weighted)``; or the error cityscapesScripts
    raises at the first instance it cannot count."""
    ids, table = _instance_table(instances, pred)
    rows = []
    for position_in_table, instance_id in enumerate(ids.tolist()):
        label_id = int(instance_id / INSTANCE_OFFSET)
        if label_id not in id2label:
            raise CityscapesKeyError(f"{label_id}: instance {instance_id} of the instance map "
                                     f"has no Cityscapes label id (id2label[{label_id}])")
        label = id2label[label_id]
        if label.ignoreInEval:
            continue
        if table is None:
            try:
                pred[instances == instance_id]  # NumPy's own message for what does not match
                reason = "boolean index did not match indexed array"
            except IndexError as exc:
                reason = str(exc)
            raise CityscapesIndexError(f"{reason}: the instance map has shape {instances.shape} "
                                       f"but the prediction {pred.shape}")
        counts = table[position_in_table]
        size = int(counts.sum())
        tp = int(counts[label_id])
        if label.name not in args.avgClassSize:
            raise CityscapesKeyError(f"{label.name!r}: args.avgClassSize has no average size "
                                     f"for {label.name} (instance {instance_id})")
        weight = args.avgClassSize[label.name] / float(size)
        if label.name not in instanceStats["classes"]:
            raise CityscapesKeyError(f"{label.name!r}: instance {instance_id} is of {label.name},"
                                     f" which has no instance statistics (not an instance class)")
        row = [label.name, None, tp, size - tp, float(tp) * weight, float(size - tp) * weight]
        if label.category in instanceStats["categories"]:
            category_tp = int(counts[instanceStats["categories"][label.category]["labelIds"]].sum())
            row[1] = label.category
            row += [category_tp, size - category_tp, float(category_tp) * weight,
                    float(size - category_tp) * weight]
        rows.append(row)
    return rows


def _pixel_stats(matrix, args):
    """cityscapesScripts' per-image statistics from the pair's matrix: under the names
    ``nbNotIgnoredPixels`` and ``nbCorrectPixels`` it stores the pixels whose ground truth is
    *not* evaluated and, of those, the ones predicted as another id."""
    void_rows = [i for i in args.evalLabels if id2label[i].ignoreInEval]
    void_pixels = int(matrix[void_rows, :].sum())
    return {"nbNotIgnoredPixels": void_pixels,
            "nbCorrectPixels": void_pixels - int(matrix[void_rows, void_rows].sum())}


def _pair_counts(prediction, groundTruth, instanceImg, instanceStats, args, n_threads):
    pred, truth, instances = _read_checked(prediction, groundTruth, instanceImg, args)
    matrix = _count_ids(truth, pred, args, n_threads)
    rows = _per_instance(instances, pred, instanceStats, args) if args.evalInstLevelScore else ()
    stats = _pixel_stats(matrix, args) if args.evalPixelAccuracy else None
    return _PairCounts(matrix, int(pred.shape[0] * pred.shape[1]), rows, stats)


def _check_matrix(confMatrix):
    if not isinstance(confMatrix, np.ndarray) or confMatrix.shape != (N_IDS, N_IDS):
        raise ValueError(f"`confMatrix` must be the ({N_IDS}, {N_IDS}) array generateMatrix makes, "
                         f"got {type(confMatrix).__name__} of shape {getattr(confMatrix, 'shape', None)}")


def _add_pair(counts, key, confMatrix, instanceStats, perImageStats, args):
    """Add one pair's counts in cityscapesScripts' order (instances in id order)."""
    if counts.pixel_stats is not None and not _is_path(key):
        raise TypeError("args.evalPixelAccuracy keys the per-image statistics by the prediction's "
                        "file name: give file names, or set args.evalPixelAccuracy = False")
    np.add(confMatrix, counts.matrix, out=confMatrix, casting="unsafe")
    for name, category, *values in counts.instances:
        entry = instanceStats["classes"][name]
        for field, value in zip(("tp", "fn", "tpWeighted", "fnWeighted"), values[:4]):
            entry[field] += value
        if category is not None:
            entry = instanceStats["categories"][category]
            for field, value in zip(("tp", "fn", "tpWeighted", "fnWeighted"), values[4:]):
                entry[field] += value
    if counts.pixel_stats is not None:
        perImageStats[key] = counts.pixel_stats


def evaluatePair(predictionImgFileName: Union[str, "os.PathLike[str]", npt.ArrayLike], groundTruthImgFileName: Union[str, "os.PathLike[str]", npt.ArrayLike], confMatrix: npt.NDArray[Any],
                 instanceStats: dict[str, Any], perImageStats: dict[str, Any], args: Any,
                 instanceImg: Optional[Union[str, "os.PathLike[str]", npt.ArrayLike]] = None) -> int:
    """Count one pair into `confMatrix` (and, as ``args`` says, `instanceStats` and
    `perImageStats`); return its number of pixels.

    Parameters
    ----------
    predictionImgFileName : str, os.PathLike or array_like of int
        Predicted label ids (a file name, or a 2-D array: a fastiou extension).
    groundTruthImgFileName : str, os.PathLike or array_like of int
        Ground-truth label ids (``*_gtFine_labelIds.png``).
    confMatrix : numpy.ndarray of shape (34, 34)
        From :func:`generateMatrix`; the pair is added to it in place.
    instanceStats : dict
        From :func:`generateInstanceStats`; updated in place when ``args.evalInstLevelScore``.
    perImageStats : dict
        Updated in place when ``args.evalPixelAccuracy`` (keyed by the prediction file name).
    args : CArgs
        Reads ``evalLabels``, ``evalInstLevelScore``, ``evalPixelAccuracy``, ``avgClassSize``.
    instanceImg : str, os.PathLike or array_like of int, optional
        The instance ids (default: the ground-truth file name with ``labelIds`` replaced by
        ``instanceIds``, as cityscapesScripts); needed with ``args.evalInstLevelScore``.

    Returns
    -------
    int
        The pixels of the pair (width x height).

    Raises
    ------
    CityscapesExit
        An unreadable file, sizes that differ, a multi-channel prediction or a ground-truth
        id that is not a label id (cityscapesScripts exits).
    CityscapesIndexError
        A prediction id that is not a label id (cityscapesScripts: ``IndexError``).
    CityscapesKeyError
        An instance it cannot attribute (cityscapesScripts: ``KeyError``).

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.compat import cityscapes
    >>> settings = cityscapes.CArgs()
    >>> settings.evalInstLevelScore = settings.evalPixelAccuracy = False
    >>> matrix = cityscapes.generateMatrix(settings)
    >>> cityscapes.evaluatePair(np.array([[7, 0]]), np.array([[7, 7]]), matrix, {}, {}, settings)
    2
    >>> int(matrix[7, 7]), int(matrix[7, 0])
    (1, 1)
    """
    _check_matrix(confMatrix)
    counts = _pair_counts(predictionImgFileName, groundTruthImgFileName, instanceImg,
                          instanceStats, args, None)
    _add_pair(counts, predictionImgFileName, confMatrix, instanceStats, perImageStats, args)
    return counts.pixels


def _standard_labels(args):
    return args.evalLabels == _ALL_IDS or list(args.evalLabels) == _ALL_IDS


def _fast_counts(pairs, jobs, kernel_threads):
    """``(index, _PairCounts)`` of file pairs counted by ``fastiou eval``'s engine (8-bit PNG
    pairs decoded and counted together); stops at the first pair it cannot count."""
    options = EvalOptions(num_classes=N_IDS)
    labelled = [LabelPair(str(i), os.fspath(gt), os.fspath(pred)) for i, (pred, gt) in pairs]
    results = map_in_order(lambda pair: count_pair(pair, options, kernel_threads), labelled, jobs)
    for pair, result in results:
        yield int(pair.name), _PairCounts(result.matrix, result.pixels)


def evaluateImgLists(predictionImgList: Sequence[Union[str, "os.PathLike[str]", npt.ArrayLike]], groundTruthImgList: Sequence[Union[str, "os.PathLike[str]", npt.ArrayLike]],
                     args: Any) -> dict[str, Any]:
    """Evaluate the pairs of the two lists: cityscapesScripts' pixel-level results.

    Pairs are read and counted on every core (in order: the first pair that fails raises);
    with neither ``args.evalInstLevelScore`` nor ``args.evalPixelAccuracy``, 8-bit PNG pairs
    go through ``fastiou eval``'s engine.

    Parameters
    ----------
    predictionImgList : sequence of str, os.PathLike or array_like
        Predicted label-id images (file names, or arrays: a fastiou extension).
    groundTruthImgList : sequence of str, os.PathLike or array_like
        Ground-truth label-id images, in the same order.
    args : CArgs
        This module's :data:`args`, cityscapesScripts' ``args`` or any object with their
        attributes: ``evalInstLevelScore``, ``evalPixelAccuracy``, ``avgClassSize``,
        ``JSONOutput`` and ``exportFile`` (the JSON file), ``quiet``, ``colorized``,
        ``bold``, ``nocol`` (the printed tables); ``evalLabels`` is set.

    Returns
    -------
    dict
        :func:`createResultDict`: ``confMatrix``, ``priors``, ``labels``, ``classScores``
        (the IoU of each of the 34 label ids, NaN for the 15 not evaluated),
        ``classInstScores``, ``categoryScores``, ``categoryInstScores``,
        ``averageScoreClasses`` (the mean IoU over the evaluated classes with a value),
        ``averageScoreInstClasses``, ``averageScoreCategories``,
        ``averageScoreInstCategories`` and, with ``args.evalPixelAccuracy``,
        ``perImageScores``.

    Raises
    ------
    CityscapesExit
        Lists of different lengths, and what :func:`evaluatePair` exits on.
    CityscapesIndexError, CityscapesKeyError
        As :func:`evaluatePair`.

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.compat import cityscapes
    >>> settings = cityscapes.CArgs()
    >>> settings.evalInstLevelScore = settings.evalPixelAccuracy = False
    >>> settings.JSONOutput, settings.quiet = False, True
    >>> result = cityscapes.evaluateImgLists([np.array([[7, 0], [26, 26]])],
    ...                                      [np.array([[7, 7], [26, 24]])], settings)
    >>> scores = result["classScores"]
    >>> scores["road"], scores["person"], scores["car"], scores["unlabeled"]
    (0.5, 0.0, 0.5, nan)
    >>> result["averageScoreClasses"]
    0.3333333333333333
    """
    if len(predictionImgList) != len(groundTruthImgList):
        raise CityscapesExit("List of images for prediction and groundtruth are not of equal size.")
    confMatrix = generateMatrix(args)
    instStats = generateInstanceStats(args)
    perImageStats = {}
    pairs = list(enumerate(zip(predictionImgList, groundTruthImgList)))
    if not args.quiet:
        print(f"Evaluating {len(pairs)} pairs of images...")
    jobs, kernel_threads = thread_budget(None)

    def count(item):
        _, (prediction, truth) = item
        return _pair_counts(prediction, truth, None, instStats, args, kernel_threads)

    fast = not (args.evalInstLevelScore or args.evalPixelAccuracy) and _standard_labels(args) \
        and all(_is_path(p) and _is_path(g) for _, (p, g) in pairs)
    if fast:
        done = 0
        while done < len(pairs):
            try:
                for index, counted in _fast_counts(pairs[done:], jobs, kernel_threads):
                    _add_pair(counted, pairs[index][1][0], confMatrix, instStats, perImageStats, args)
                    done = index + 1
            except EvalError:
                # the pair fastiou eval stops on: count it as cityscapesScripts does (or raise)
                _add_pair(count(pairs[done]), pairs[done][1][0], confMatrix, instStats,
                          perImageStats, args)
                done += 1
    else:
        for (_, (prediction, _)), counted in map_in_order(count, pairs, jobs):
            _add_pair(counted, prediction, confMatrix, instStats, perImageStats, args)

    classScores = {id2label[i].name: getIouScoreForLabel(i, confMatrix, args)
                   for i in args.evalLabels}
    classInstScores = {id2label[i].name: getInstanceIouScoreForLabel(i, confMatrix, instStats, args)
                       for i in args.evalLabels}
    if not args.quiet:
        print("")
        print("")
        printClassScores(classScores, classInstScores, args)
        _print_average(classScores, classInstScores, args)
    categoryScores = {category: getIouScoreForCategory(category, confMatrix, args)
                      for category in category2labels}
    categoryInstScores = {category: getInstanceIouScoreForCategory(category, confMatrix,
                                                                   instStats, args)
                          for category in category2labels}
    if not args.quiet:
        print("")
        printCategoryScores(categoryScores, categoryInstScores, args)
        _print_average(categoryScores, categoryInstScores, args)
    result = createResultDict(confMatrix, classScores, classInstScores, categoryScores,
                              categoryInstScores, perImageStats, args)
    if args.JSONOutput:
        writeJSONFile(result, args)
    return result
