"""Finding, pairing and decoding label-map files for ``fastiou eval`` and ``fastiou.dask``.

Every failure raises :class:`EvalError`, whose ``exit_code`` is the documented exit status
of ``fastiou eval`` and whose message names the file (and the value) at fault.
"""

import csv
import json
import os
import sys
from pathlib import Path
from typing import NamedTuple

import numpy as np

from fastiou._shared._validation import as_label_array
from fastiou.segmentation import _value_maps

# Exit statuses of `fastiou eval` (README, "Exit codes"). 2 is argparse's own usage error.
EXIT_OK = 0
EXIT_USAGE = 2
EXIT_MISSING = 3
EXIT_SIZE_MISMATCH = 4
EXIT_UNREADABLE = 5
EXIT_OUT_OF_RANGE = 6
EXIT_MISSING_DEPENDENCY = 7

IMAGE_EXTENSIONS = (".png", ".tif", ".tiff")
LABEL_EXTENSIONS = IMAGE_EXTENSIONS + (".npy",)
LIST_EXTENSIONS = (".txt", ".lst", ".csv", ".tsv")

# Pillow modes whose pixel values are the class ids as they are ("1": bools, read as 0/1).
INDEX_MODES = {"P", "L", "1", "I;16", "I;16B", "I;16L", "I;16N", "I"}
RGB_MODES = {"RGB", "RGBA"}
# Pillow modes of single-channel images with transparency: refused by name.
ALPHA_MODES = {"LA": "grayscale + alpha", "La": "grayscale + alpha", "PA": "palette + alpha"}
# TIFF compressions (Pillow's names) that change pixel values.
LOSSY_TIFF_COMPRESSIONS = {"jpeg", "tiff_jpeg"}

# Longest list of names an error message spells out before "... and N more".
LISTED_NAMES = 20


class EvalError(ValueError):
    """A user-facing failure of ``fastiou eval``: a message and the exit status to return.

    A ``ValueError``, so library callers (``fastiou.dask.evaluate_files``) can catch it as one.
    """

    def __init__(self, message, exit_code=EXIT_USAGE):
        super().__init__(message, exit_code)
        self.message = message
        self.exit_code = exit_code

    def __str__(self):
        return self.message


class LabelPair(NamedTuple):
    """One ground-truth file, its prediction and the name they were matched by."""

    name: str
    gt: str
    pred: str


class LeftOut(NamedTuple):
    """A file of a GT or PRED folder that pairing left out, and why (the end of a sentence:
    ``".jpg is not a label-map format (...)"``)."""

    path: str
    reason: str


class Pairing(NamedTuple):
    """Matched pairs, the names found on one side only (sorted), and the files of the folders
    left out for their extension or suffix (:class:`LeftOut`, in folder order)."""

    pairs: list
    gt_only: list
    pred_only: list
    left_out: tuple = ()


def listed(names, limit=LISTED_NAMES):
    """``a, b, c ... and 7 more``: a bounded listing for error messages."""
    shown = ", ".join(str(n) for n in names[:limit])
    return shown + (f" ... and {len(names) - limit} more" if len(names) > limit else "")


def os_reason(exc):
    """The reason of an :class:`OSError` as the end of a sentence (``permission denied``)."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    return reason[:1].lower() + reason[1:]


def counted(count, singular, plural=None):
    """``1 file``, ``3 files``: a count and its noun, for messages that read as sentences."""
    return f"{count} {singular if count == 1 else plural or singular + 's'}"


def _strip_extension(name):
    lower = name.lower()
    for ext in LABEL_EXTENSIONS:
        if lower.endswith(ext):
            return name[: -len(ext)]
    return None


def _suffix_stem(suffix):
    """A suffix given with an extension (``_gtFine_labelTrainIds.png``) works like one without."""
    stem = _strip_extension(suffix)
    return suffix if stem is None else stem


def _left_out_reason(file_name, stem, suffix, option):
    """Why `file_name` is no label map of this folder, or None when it is one."""
    if stem is None:
        extension = os.path.splitext(file_name)[1]
        what = f"{extension} is not" if extension else "a name without an extension is not"
        return f"{what} a label-map format ({', '.join(LABEL_EXTENSIONS)})"
    if not stem.endswith(suffix):
        return f"the name does not end in {option} {suffix!r}"
    if len(stem) == len(suffix):
        return f"nothing is left of the name once {option} {suffix!r} is removed"
    return None


def _index_folder(folder, suffix, side, left_out=None):
    """Map match key -> path for every label file under `folder` (recursively) ending in
    `suffix`; the other files are appended to `left_out` with the reason. Hidden files (``.*``:
    macOS ``._a.png`` companions, an output's temporary file) are passed over."""
    suffix = _suffix_stem(suffix)
    option = "--gt-suffix" if side == "GT" else "--pred-suffix"
    index = {}
    duplicates = []
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for file_name in sorted(files):
            if file_name.startswith("."):
                continue
            stem = _strip_extension(file_name)
            path = os.path.join(root, file_name)
            reason = _left_out_reason(file_name, stem, suffix, option)
            if reason is not None:
                if left_out is not None:
                    left_out.append(LeftOut(path, reason))
                continue
            key = stem[: len(stem) - len(suffix)] if suffix else stem
            if key in index:
                duplicates.append(f"{index[key]} and {path}")
            else:
                index[key] = path
    if duplicates:
        raise EvalError(
            f"{side} folder {folder} holds several files with the same name (matching is by file "
            f"name, in any sub-folder): {listed(duplicates)}", EXIT_USAGE)
    return index


def describe_left_out(left_out):
    """``2 files were left out: a.jpg, b.jpg (.jpg is not a label-map format (...))``, one
    clause per reason joined by ``; ``, or an empty string."""
    by_reason = {}
    for item in left_out:
        by_reason.setdefault(item.reason, []).append(item.path)
    return "; ".join(f"{counted(len(paths), 'file')} {'was' if len(paths) == 1 else 'were'} left "
                     f"out: {listed(paths)} ({reason})" for reason, paths in by_reason.items())


def check_missing(pairing, on_missing):
    """Apply ``--on-missing``: raise naming the unmatched files (and the files left out for
    their extension or suffix, which may explain them), or warn and go on; returns the number
    of unmatched files skipped."""
    gt_only, pred_only = pairing.gt_only, pairing.pred_only
    if not gt_only and not pred_only:
        return 0
    parts = []
    if gt_only:
        parts.append(f"{counted(len(gt_only), 'ground-truth file')} "
                     f"{'has' if len(gt_only) == 1 else 'have'} no prediction: {listed(gt_only)}")
    if pred_only:
        parts.append(f"{counted(len(pred_only), 'prediction')} "
                     f"{'has' if len(pred_only) == 1 else 'have'} no ground truth: "
                     f"{listed(pred_only)}")
    left_out = describe_left_out(pairing.left_out)
    if left_out:
        parts.append(left_out)
    if on_missing == "error" or not pairing.pairs:
        hint = (f"--on-missing skip evaluates the {counted(len(pairing.pairs), 'matched pair')}"
                if pairing.pairs else "no pair matched: check --gt-suffix and --pred-suffix")
        raise EvalError("; ".join(parts + [hint]), EXIT_MISSING)
    skipped = len(gt_only) + len(pred_only)
    print(f"fastiou eval: skipping {counted(skipped, 'unpaired file')}: " + "; ".join(parts),
          file=sys.stderr)
    return skipped


def _read_list(list_file, side, columns):
    """The entries of a list file of `columns` paths a line, relative paths resolved against
    the list's folder. Blank lines and ``#`` comments are skipped, and so is a first line of
    column titles (``gt,pred``: no field names a label file); a ``.csv`` file is read as CSV.
    Every other line must hold `columns` label-map paths, else the error names the line."""
    base = Path(list_file).parent
    try:
        lines = Path(list_file).read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError:
        raise EvalError(f"cannot read the {side} list file {list_file}: it is not UTF-8 text",
                        EXIT_UNREADABLE) from None
    except OSError as exc:
        raise EvalError(f"cannot read the {side} list file {list_file}: {os_reason(exc)}",
                        EXIT_UNREADABLE) from None
    is_csv = list_file.lower().endswith(".csv")
    rows = []
    first = True
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        if is_csv:
            fields = [field.strip() for field in next(csv.reader([text], skipinitialspace=True))]
        else:
            fields = _split_fields(text, columns)
        titles = first and len(fields) == columns and \
            all(_strip_extension(field) is None for field in fields)
        first = False
        if titles:
            continue
        if len(fields) != columns:
            expected = "two paths (ground truth, prediction)" if columns == 2 else "one path"
            raise EvalError(f"line {number} of {list_file} holds {counted(len(fields), 'field')}, not "
                            f"{expected} separated by a tab, a comma or spaces: {text!r}",
                            EXIT_USAGE)
        for field in fields:
            if _strip_extension(field) is None:
                raise EvalError(f"line {number} of {list_file} names {field!r}, which is not a "
                                f"label-map file ({', '.join(LABEL_EXTENSIONS)})", EXIT_USAGE)
        rows.append([_resolve(base, field) for field in fields])
    return rows


def _split_fields(text, columns):
    """The paths of a line of a text list: the whole line for a list of one column; else
    split at the first of tab, comma and runs of spaces that gives two fields."""
    if columns == 1:
        return [text]
    for separator in ("\t", ",", None):
        fields = [field.strip() for field in text.split(separator)]
        if len(fields) == columns:
            return fields
    return text.split()


def _resolve(base, path):
    return path if os.path.isabs(path) else str(base / path)


def is_list_file(path):
    return os.path.isfile(path) and path.lower().endswith(LIST_EXTENSIONS)


def find_pairs(gt, pred=None, gt_suffix="", pred_suffix=""):
    """Match ground-truth and prediction files.

    `gt` and `pred` are folders (files matched by name with the suffixes removed, searched
    recursively) or list files (one path a line, paired by line number). A list file of two
    columns (ground truth, prediction) may be given as `gt` alone. A first line of column
    titles (``gt,pred``) is skipped; any other line must name label-map files.
    """
    if pred is None:
        if not is_list_file(gt):
            raise EvalError(f"PRED is missing: give a prediction folder or list, or make GT a list "
                            f"file of two columns ({gt} is not a list file)", EXIT_USAGE)
        pairs = [LabelPair(_pair_name(gt_path, gt_suffix), gt_path, pred_path)
                 for gt_path, pred_path in _read_list(gt, "pairs", 2)]
        return Pairing(pairs, [], [])
    for path, side in ((gt, "GT"), (pred, "PRED")):
        if not os.path.exists(path):
            raise EvalError(f"{side} {path} does not exist", EXIT_USAGE)
    gt_is_dir, pred_is_dir = os.path.isdir(gt), os.path.isdir(pred)
    if gt_is_dir != pred_is_dir:
        raise EvalError(f"GT and PRED must both be folders or both be list files, but "
                        f"{gt} is a {'folder' if gt_is_dir else 'file'} and "
                        f"{pred} is a {'folder' if pred_is_dir else 'file'}", EXIT_USAGE)
    if not gt_is_dir:
        gt_rows, pred_rows = _read_list(gt, "GT", 1), _read_list(pred, "PRED", 1)
        if len(gt_rows) != len(pred_rows):
            raise EvalError(f"the list files pair by line but {gt} has {len(gt_rows)} paths and "
                            f"{pred} has {len(pred_rows)}", EXIT_MISSING)
        pairs = [LabelPair(_pair_name(g, gt_suffix), g, p) for (g,), (p,) in zip(gt_rows, pred_rows)]
        return Pairing(pairs, [], [])
    gt_left_out, pred_left_out = [], []
    gt_index = _index_folder(gt, gt_suffix, "GT", gt_left_out)
    pred_index = _index_folder(pred, pred_suffix, "PRED", pred_left_out)
    if not gt_index:
        ending = f" whose name ends in {gt_suffix!r}" if gt_suffix else ""
        why = describe_left_out(gt_left_out)
        raise EvalError(f"GT folder {gt} holds no label file ({', '.join(LABEL_EXTENSIONS)})"
                        f"{ending}" + (f"; {why}" if why else ""), EXIT_MISSING)
    common = sorted(gt_index.keys() & pred_index.keys())
    pairs = [LabelPair(key, gt_index[key], pred_index[key]) for key in common]
    return Pairing(pairs, sorted(gt_index.keys() - pred_index.keys()),
                   sorted(pred_index.keys() - gt_index.keys()), gt_left_out + pred_left_out)


def _pair_name(path, suffix):
    stem = _strip_extension(os.path.basename(path)) or os.path.basename(path)
    suffix = _suffix_stem(suffix)
    return stem[: len(stem) - len(suffix)] if suffix and stem.endswith(suffix) else stem


# ---------------------------------------------------------------------------------------------
# Value mappings

class LabelMapping(NamedTuple):
    """A raw value -> class id mapping (values not listed are kept as they are), sorted by
    source value. `void` lists the source values a preset declares void: as predictions,
    the default out-of-range policy counts them as misses of the true class (see
    :func:`fastiou.dask.make_options`)."""

    source: np.ndarray
    target: np.ndarray
    void: tuple = ()


# Cityscapes label ids -> train ids (the 19 evaluated classes); every other id -> 255.
CITYSCAPES_TRAIN_IDS = {7: 0, 8: 1, 11: 2, 12: 3, 13: 4, 17: 5, 19: 6, 20: 7, 21: 8, 22: 9, 23: 10,
                        24: 11, 25: 12, 26: 13, 27: 14, 28: 15, 31: 16, 32: 17, 33: 18}
BUILTIN_LABEL_MAPS = {
    "cityscapes": {**{i: 255 for i in range(-1, 34)}, **CITYSCAPES_TRAIN_IDS},
}
# The ids cityscapesScripts does not evaluate (ignoreInEval): a prediction of one of them on
# an evaluated pixel is a false negative of the true class there, never an error.
BUILTIN_VOID_VALUES = {
    "cityscapes": tuple(i for i in range(-1, 34) if i not in CITYSCAPES_TRAIN_IDS),
}


def _parse_mapping_text(text, origin):
    text = text.strip()
    if text.startswith("{") or text.startswith("["):
        try:
            loaded = json.loads(text)
        except json.JSONDecodeError as exc:
            raise EvalError(f"{origin} is not valid JSON: {exc}", EXIT_USAGE) from None
        if isinstance(loaded, list):  # a list of values: position i -> class i
            return {value if not isinstance(value, list) else tuple(value): i
                    for i, value in enumerate(loaded)}
        if not isinstance(loaded, dict):
            raise EvalError(f"{origin} must be a JSON object or list, got {type(loaded).__name__}",
                            EXIT_USAGE)
        return loaded
    mapping = {}
    for item in text.replace("\n", ",").split(","):
        item = item.strip()
        if not item or item.startswith("#"):
            continue
        if ":" not in item:
            raise EvalError(f"{origin} must hold 'value:class' items separated by commas, but "
                            f"one item is {item!r}", EXIT_USAGE)
        key, value = item.rsplit(":", 1)
        mapping[key.strip()] = value.strip()
    return mapping


def _mapping_source(spec, option):
    """The text of a mapping given inline or as a file."""
    if os.path.isfile(spec):
        try:
            return Path(spec).read_text(), f"{option} file {spec}"
        except (OSError, UnicodeDecodeError) as exc:
            reason = "it is not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else os_reason(exc)
            raise EvalError(f"cannot read the {option} file {spec}: {reason}", EXIT_USAGE) from None
    return spec, f"{option} {spec!r}"


def _as_int(value, origin, what):
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise EvalError(f"in {origin}, {what} must be an integer, got {value!r}", EXIT_USAGE) from None
    if str(number) != str(value).strip() and not isinstance(value, int):
        raise EvalError(f"in {origin}, {what} must be an integer, got {value!r}", EXIT_USAGE)
    return number


def _mapping_from_items(raw, origin, colours):
    if not raw:
        raise EvalError(f"{origin} maps nothing", EXIT_USAGE)
    if colours:
        source = np.array([_parse_colour(k, origin) for k in raw], dtype=np.int64)
    else:
        source = np.array([_as_int(k, origin, "a source value") for k in raw], dtype=np.int64)
    target = np.array([_as_int(v, origin, "a class id") for v in raw.values()], dtype=np.int64)
    order = np.argsort(source, kind="stable")
    return LabelMapping(source[order], target[order])


def parse_label_map(spec, option="--label-map"):
    """A :class:`LabelMapping` from ``cityscapes``, inline ``7:0,8:1`` or a JSON/text file."""
    if spec is None:
        return None
    if spec in BUILTIN_LABEL_MAPS:
        mapping = _mapping_from_items(BUILTIN_LABEL_MAPS[spec], f"{option} {spec}", colours=False)
        return mapping._replace(void=BUILTIN_VOID_VALUES.get(spec, ()))
    text, origin = _mapping_source(spec, option)
    return _mapping_from_items(_parse_mapping_text(text, origin), origin, colours=False)


def _parse_colour(key, origin):
    if isinstance(key, tuple):
        parts = list(key)
    elif isinstance(key, str) and key.startswith("#") and len(key) == 7:
        try:
            return int(key[1:], 16)
        except ValueError:
            parts = None
    else:
        parts = str(key).replace("(", "").replace(")", "").replace(" ", "").split(",")
    if parts is None or len(parts) != 3:
        raise EvalError(f"in {origin}, colours are written '#rrggbb', 'r,g,b' or [r, g, b], got "
                        f"{key!r}", EXIT_USAGE)
    channels = [_as_int(p, origin, "a colour channel") for p in parts]
    if any(not 0 <= c <= 255 for c in channels):
        raise EvalError(f"in {origin}, colour channels must lie in 0..255, got {key!r}", EXIT_USAGE)
    return (channels[0] << 16) | (channels[1] << 8) | channels[2]


def parse_colour_map(spec, option="--color-map"):
    """A colour -> class id :class:`LabelMapping` (colours packed as ``r << 16 | g << 8 | b``).

    Accepts a JSON object ``{"#804080": 0, "128,64,128": 0, ...}``, a JSON list of colours in
    class order (``[[128, 64, 128], [244, 35, 232], ...]``) or ``#rrggbb:id`` items.
    """
    if spec is None:
        return None
    text, origin = _mapping_source(spec, option)
    if text.strip().startswith("{") or text.strip().startswith("["):
        raw = _parse_mapping_text(text, origin)
    else:
        raw = {}
        for item in text.replace(";", " ").split():
            if ":" not in item:
                raise EvalError(f"{origin} must hold '#rrggbb:class' items, but one item is "
                                f"{item!r}", EXIT_USAGE)
            key, value = item.rsplit(":", 1)
            raw[key] = value
    return _mapping_from_items(raw, origin, colours=True)


def as_label_mapping(value, name, colours=False):
    """None, a :class:`LabelMapping`, a dict or a spec string -> a :class:`LabelMapping`."""
    if value is None or isinstance(value, LabelMapping):
        return value
    if isinstance(value, str):
        return (parse_colour_map if colours else parse_label_map)(value, f"`{name}`")
    if isinstance(value, dict):
        return _mapping_from_items(value, f"`{name}`", colours)
    raise TypeError(f"`{name}` must be None, a dict or a str, got {type(value).__name__}")


def apply_label_map(labels, mapping):
    """Replace listed values by their class ids (others unchanged); returns a new array of
    the smallest integer dtype that holds the result."""
    return _value_maps.map_values(labels, mapping.source, mapping.target)


def reduce_zero_label(labels):
    """mmseg's ``reduce_zero_label`` (:func:`fastiou.segmentation._value_maps.reduce_zero_label`:
    0 -> 255, every other value v -> v - 1, 255 stays 255), in a dtype that holds every result:
    uint8 for one-byte labels, int64 for wider ones."""
    if labels.dtype.itemsize == 1:
        return _value_maps.reduce_zero_label(labels, np.int16).astype(np.uint8)
    return _value_maps.reduce_zero_label(labels, np.int64)


# ---------------------------------------------------------------------------------------------
# Decoding

def _pillow(path, declined=None):
    """Pillow's Image module; without Pillow, an :class:`EvalError` for `path` (which
    fastiou's PNG decoder `declined` with that :class:`~fastiou.evaluate._png.PngError`, if any)."""
    try:
        from PIL import Image
    except ImportError:
        if declined is not None and not declined.needs_pillow:
            raise EvalError(str(declined), EXIT_UNREADABLE) from None
        reading = f"{declined}: reading it" if declined is not None else f"reading {path}"
        raise EvalError(f"{reading} needs Pillow: pip install 'fastiou[cli]'",
                        EXIT_MISSING_DEPENDENCY) from None
    return Image


def _read_png(path, scratch):
    """``(labels, None)`` from fastiou's PNG decoder, or ``(None, PngError)`` when it declines
    a file another decoder may read; raises :class:`EvalError` for one it refuses."""
    from fastiou.evaluate._png import PngError, read_png

    try:
        return read_png(path, scratch), None
    except FileNotFoundError:
        raise EvalError(f"{path} does not exist", EXIT_UNREADABLE) from None
    except OSError as exc:
        raise EvalError(f"cannot read {path}: {exc}", EXIT_UNREADABLE) from None
    except PngError as exc:
        if exc.refused:
            raise EvalError(str(exc), EXIT_UNREADABLE) from None
        return None, exc


def _head(path):
    """The first 16 bytes of `path` (what :func:`fastiou.evaluate._png.file_format` judges)."""
    try:
        with open(path, "rb") as fh:
            return fh.read(16)
    except FileNotFoundError:
        raise EvalError(f"{path} does not exist", EXIT_UNREADABLE) from None
    except OSError as exc:
        raise EvalError(f"cannot read {path}: {exc}", EXIT_UNREADABLE) from None


def _check_signature(path, expected):
    """Refuse `path`, named as an `expected` file (``"TIFF"``, ``"NumPy .npy"``), unless it
    starts with that format's signature; the message names the format it holds instead
    (JPEG as lossy)."""
    from fastiou.evaluate._png import file_format, wrong_format

    head = _head(path)
    found = file_format(head)
    if found is not None and found[0] == expected:
        return
    other = wrong_format(path, head, expected)
    if other is not None:
        raise EvalError(other, EXIT_UNREADABLE)
    raise EvalError(f"cannot decode {path}: " + ("it is empty" if not head else
                    f"it is not a {expected} file (it does not start with the {expected} "
                    f"signature)"), EXIT_UNREADABLE)


def _colours_to_ids(rgb, colour_map, path):
    packed = (rgb[..., 0].astype(np.int32) << 16) | (rgb[..., 1].astype(np.int32) << 8) | rgb[..., 2]
    position = np.searchsorted(colour_map.source, packed).clip(0, colour_map.source.size - 1)
    unknown = colour_map.source[position] != packed
    if unknown.any():
        colour = int(packed[unknown][0])
        raise EvalError(
            f"{path} has {int(unknown.sum())} pixel(s) whose colour the colour map does not list "
            f"(e.g. #{colour:06x} = ({colour >> 16}, {(colour >> 8) & 255}, {colour & 255})).",
            EXIT_OUT_OF_RANGE)
    targets = colour_map.target
    return targets[position].astype(_value_maps.smallest_dtype(targets.min(), targets.max()))


def _pillow_values(image, path, colour_map):
    """The class ids of the open Pillow `image` of `path` (its format already checked)."""
    mode = image.mode
    if mode in INDEX_MODES:
        return np.asarray(image)
    if mode in RGB_MODES:
        if colour_map is None:
            raise EvalError(
                f"{path} is an {mode} colour image, not a label map of class ids; give a "
                f"colour -> class id mapping with --color-map, or save palette/grayscale "
                f"PNGs", EXIT_UNREADABLE)
        return _colours_to_ids(np.asarray(image.convert("RGB")), colour_map, path)
    if mode == "F":
        return _integral_floats(np.asarray(image), path)
    if mode in ALPHA_MODES:
        raise EvalError(f"{path} is a {ALPHA_MODES[mode]} image (Pillow mode {mode}), not a label "
                        f"map of class ids: save the ids without transparency, as a grayscale "
                        f"(L) or palette (P) image", EXIT_UNREADABLE)
    raise EvalError(f"{path} is an image of Pillow mode {mode}, not a label map: label maps are "
                    f"palette (P), grayscale (1, L, I;16, I) or float (F, whole numbers) images, "
                    f"or RGB(A) with --color-map", EXIT_UNREADABLE)


def _check_tiff(image, path):
    """Refuse a TIFF whose values would be wrong: lossy (JPEG) compression, or several pages
    (only the first would be read)."""
    compression = image.info.get("compression")
    if compression in LOSSY_TIFF_COMPRESSIONS:
        raise EvalError(f"{path} is a JPEG-compressed (lossy) TIFF: lossy compression changes the "
                        f"class ids along region edges, so label maps must be saved losslessly "
                        f"(TIFF without compression or with LZW, Deflate or PackBits; PNG; "
                        f".npy)", EXIT_UNREADABLE)
    pages = getattr(image, "n_frames", 1)
    if pages > 1:
        raise EvalError(f"{path} is a TIFF of {pages} pages; a label map is one image (save one "
                        f"file per image)", EXIT_UNREADABLE)


def read_label_map(path, colour_map=None, scratch=None):
    """Decode one label map into an integer array of class ids.

    PNG and TIFF in palette, grayscale or 16/32-bit integer modes give their pixel values,
    equal to ``np.asarray(PIL.Image.open(path))`` as integers (palette indices; a 1-bit
    image gives 0 and 1); RGB(A) images need `colour_map`; ``.npy`` files must hold
    integers or bools (bools give 0 and 1). Grayscale and palette PNGs of every bit depth,
    interlaced or not, are decoded by :mod:`fastiou.evaluate._png` (no Pillow needed); Pillow reads
    every other image, and retries the PNGs fastiou's decoder finds corrupt, so a file
    Pillow tolerates (a bad IDAT CRC, say) is still read. A file is only read as the format
    its name says: anything else (JPEG data in a ``.png``, say) is refused, naming what it
    holds, as are lossy (JPEG-compressed) and multi-page TIFFs and images with an alpha
    channel but no colour. With `scratch` (a :class:`fastiou.evaluate._png.Scratch`), a PNG fastiou
    decodes may be a view of that buffer, valid until its next use.

    Parameters
    ----------
    path : str
        A ``.png``, ``.tif``/``.tiff`` or ``.npy`` file.
    colour_map : LabelMapping, optional
        Colour -> class id (:func:`parse_colour_map`), for RGB(A) images.
    scratch : fastiou.evaluate._png.Scratch, optional
        A reusable buffer for fastiou's PNG decoder.

    Returns
    -------
    numpy.ndarray
        The label map, of an integer dtype in native byte order.

    Raises
    ------
    EvalError
        With the exit status of ``fastiou eval`` (5 for a missing, unreadable, corrupt,
        lossy or unsupported file, 6 for a colour `colour_map` does not list, 7 when Pillow
        is needed but missing); the message is a sentence naming the file.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from fastiou.evaluate._io import read_label_map
    >>> path = os.path.join(tempfile.mkdtemp(), "mask.npy")
    >>> np.save(path, np.array([[True, False]]))
    >>> read_label_map(path)
    array([[1, 0]], dtype=uint8)
    """
    lower = path.lower()
    if lower.endswith(".npy"):
        return _read_npy(path)
    if not lower.endswith(IMAGE_EXTENSIONS):
        raise EvalError(f"cannot read {path}: its file type is not a label-map format "
                        f"({', '.join(LABEL_EXTENSIONS)}).", EXIT_UNREADABLE)
    declined = None
    is_png = lower.endswith(".png")
    if is_png:
        labels, declined = _read_png(path, scratch)
        if labels is not None:
            return labels
    else:
        _check_signature(path, "TIFF")
    Image = _pillow(path, declined)
    try:
        with Image.open(path, formats=["PNG" if is_png else "TIFF"]) as image:
            if not is_png:
                _check_tiff(image, path)
            labels = _pillow_values(image, path, colour_map)
    except EvalError:
        raise
    except FileNotFoundError:
        raise EvalError(f"{path} does not exist", EXIT_UNREADABLE) from None
    except Exception as exc:  # Pillow raises many types for a corrupt or truncated file
        if declined is not None and not declined.needs_pillow:  # fastiou's message is sharper
            raise EvalError(str(declined), EXIT_UNREADABLE) from None
        what = "truncated" if "truncated" in str(exc) else "corrupt, or of a kind Pillow does not read"
        raise EvalError(f"cannot decode {path}: it is {what} (Pillow: {type(exc).__name__}: {exc})",
                        EXIT_UNREADABLE) from None
    return as_label_array(labels, path)  # bools as 0/1 (never their bytes), native order


def _integral_floats(values, path):
    if not np.all(np.isfinite(values)) or not np.array_equal(values, np.round(values)):
        raise EvalError(f"{path} holds non-integer float pixels; label maps hold class ids",
                        EXIT_UNREADABLE)
    return values.astype(np.int64)


def _read_npy(path):
    _check_signature(path, "NumPy .npy")
    try:
        labels = np.load(path, allow_pickle=False)
    except OSError as exc:
        raise EvalError(f"cannot read {path}: {exc}", EXIT_UNREADABLE) from None
    except Exception as exc:  # NumPy raises ValueError, EOFError ... for a damaged file
        if "pickle" in str(exc):  # object arrays, which NumPy would unpickle
            raise EvalError(f"{path} holds Python objects (dtype object), not integer class ids",
                            EXIT_UNREADABLE) from None
        # NumPy 2 says "Failed to read all data", NumPy 1 fails to reshape the short read
        short = ("not fully written", "Failed to read all data", "cannot reshape array of size")
        what = "truncated" if isinstance(exc, EOFError) or any(s in str(exc) for s in short) \
            else "corrupt"
        raise EvalError(f"cannot decode {path}: it is {what} ({type(exc).__name__}: {exc})",
                        EXIT_UNREADABLE) from None
    if labels.dtype.kind not in "biu":
        raise EvalError(f"{path} holds dtype {labels.dtype}; label maps hold integer class ids",
                        EXIT_UNREADABLE)
    if labels.ndim == 0:
        raise EvalError(f"{path} holds a 0-d array, not a label map", EXIT_UNREADABLE)
    return as_label_array(labels, path)  # bools as 0/1 (never their bytes), native order


def write_label_png(path, labels, palette=None):
    """Save a uint8 label map as a PNG (palette PNG with `palette`); the pixel values stay
    the class ids. Needs no Pillow (see :mod:`fastiou.evaluate._png`)."""
    from fastiou.evaluate._png import write_png

    write_png(path, labels, palette)
