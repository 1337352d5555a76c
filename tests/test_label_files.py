"""Every kind of label-map file ``fastiou eval`` reads, through every reader: fastiou's PNG
decoder, the Pillow fallback, the fused PNG-pair counting path, TIFF, ``.npy`` and
``fastiou.dask``. The oracle is ``np.asarray(PIL.Image.open(f)).astype(np.int64)`` (for a
``.npy``, its values as integers); files that are no label map (JPEG above all) are refused
by name. The decoding errors catalogued in ``docs/errors.md`` are checked here too.
"""

import importlib.util
import io
import json
import os
import re
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from test_png import KINDS, NONE, PAETH, SUB, UP, _with_chunk, encode_png, kind_png, label_map

from fastiou import reference
from fastiou.evaluate import _engine, _io, _png
from fastiou.evaluate._engine import EvalOptions, count_pair
from fastiou.evaluate._io import EvalError

Image = pytest.importorskip("PIL.Image")

SRC = str(Path(__file__).resolve().parents[1] / "src")


def oracle(path):
    """What NumPy makes of what Pillow reads."""
    with Image.open(path) as image:
        return np.asarray(image).astype(np.int64)


def run_cli(*args):
    """``python -m fastiou eval ARGS`` in a child process importing the fastiou this process
    imported (a checkout or an installed copy): ``(exit status, JSON report or None, stderr)``."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    result = subprocess.run([sys.executable, "-m", "fastiou", "eval", *args, "--format", "json",
                             "--no-progress"], capture_output=True, text=True, env=env)
    report = json.loads(result.stdout) if result.returncode == 0 else None
    return result.returncode, report, result.stderr


# ---------------------------------------------------------------------------------------------
# The issue: a mask saved from a bool array is a 1-bit PNG (Pillow mode "1")

def issue_files(root):
    """A 40x60 ground truth with 600 foreground pixels saved from a bool array, and a uint8
    0/1 prediction holding those 600 and 150 more."""
    truth = np.zeros((40, 60), bool)
    truth[10:30, 20:50] = True
    pred = truth.astype(np.uint8)
    pred[30:35, 20:50] = 1
    for side, labels in (("gt", truth), ("pred", pred)):
        os.makedirs(root / side, exist_ok=True)
        Image.fromarray(labels).save(root / side / "a.png")
    return str(root / "gt"), str(root / "pred"), truth, pred


def test_issue_1_bit_ground_truth_through_the_cli(tmp_path):
    gt, pred, truth, prediction = issue_files(tmp_path)
    with Image.open(os.path.join(gt, "a.png")) as image:
        assert image.mode == "1"
    expected = [[1650, 150], [0, 600]]
    assert reference.confusion_matrix(oracle(os.path.join(gt, "a.png")),
                                      oracle(os.path.join(pred, "a.png")), 2).tolist() == expected
    for extra in ([], ["--ignore-index", "255"]):
        code, report, err = run_cli(gt, pred, "-n", "2", *extra)
        assert code == 0, err
        assert report["confusion_matrix"] == expected
        assert report["counts"]["ignored_pixels"] == 0


def test_issue_files_through_every_reader(tmp_path, monkeypatch):
    gt, pred, truth, prediction = issue_files(tmp_path)
    pair = _io.LabelPair("a", os.path.join(gt, "a.png"), os.path.join(pred, "a.png"))
    options = EvalOptions(num_classes=2, ignore_index=(255,))
    expected = np.array([[1650, 150], [0, 600]])
    np.testing.assert_array_equal(_io.read_label_map(pair.gt), truth)
    np.testing.assert_array_equal(count_pair(pair, options).matrix, expected)
    if importlib.util.find_spec("dask") is not None:  # a wheel tested without the dask extra
        import fastiou.dask

        np.testing.assert_array_equal(
            fastiou.dask.evaluate_files([(pair.gt, pair.pred)], 2, ignore_index=255), expected)
    force_pillow(monkeypatch)
    decoded = _io.read_label_map(pair.gt)
    assert decoded.dtype == np.uint8
    np.testing.assert_array_equal(decoded, truth)
    np.testing.assert_array_equal(count_pair(pair, options).matrix, expected)


def force_pillow(monkeypatch):
    """Make fastiou's PNG decoder decline every file, as it does a colour PNG."""
    def declined(path, scratch):
        return None, _png.PngError(f"{path} is declined by the test", needs_pillow=True)

    monkeypatch.setattr(_io, "_read_png", declined)


# ---------------------------------------------------------------------------------------------
# Every mode Pillow writes for label maps, PNG and TIFF

def pillow_images(rng):
    """mode -> (a Pillow image of that mode holding a label map, save options)."""
    labels = label_map(rng, (23, 37), "blocky", 7).astype(np.uint8)
    palette = Image.frombytes("P", labels.shape[::-1], labels.tobytes())
    palette.putpalette([(11 * i) % 256 for i in range(768)])
    return {
        "1": (Image.fromarray(labels > 3), {}),
        "L": (Image.fromarray(labels), {}),
        "L+transparency": (Image.fromarray(labels), {"transparency": 3}),
        "P": (palette, {}),
        "P+transparency": (palette, {"transparency": bytes(range(0, 256, 37))}),
        "P 4-bit": (palette, {"bits": 4}),
        "I;16": (Image.fromarray(labels.astype(np.uint16) * 1000), {}),
    }


@pytest.mark.parametrize("ext", [".png", ".tif"])
@pytest.mark.parametrize("fallback", [False, True], ids=["own", "pillow"])
def test_every_index_mode_reads_as_pillow_does(tmp_path, monkeypatch, ext, fallback):
    if fallback:
        force_pillow(monkeypatch)
    for mode, (image, options) in pillow_images(np.random.default_rng(2)).items():
        if ext == ".tif" and options:
            continue  # PNG save options
        path = str(tmp_path / f"{mode.split()[0]}{ext}")
        image.save(path, **options)
        decoded = _io.read_label_map(path)
        assert decoded.dtype.kind in "iu" and decoded.dtype.isnative, mode
        np.testing.assert_array_equal(decoded, oracle(path), err_msg=mode)


def test_tiff_only_modes_read_as_pillow_does(tmp_path):
    labels = label_map(np.random.default_rng(3), (9, 13), "noise", 50)
    for mode, array in (("I", labels.astype(np.int32) - 20), ("F", labels.astype(np.float32)),
                        ("I;16B", labels.astype(">u2"))):
        path = str(tmp_path / "x.tif")
        Image.fromarray(array).save(path)
        decoded = _io.read_label_map(path)
        assert decoded.dtype.kind in "iu" and decoded.dtype.isnative, mode
        np.testing.assert_array_equal(decoded, oracle(path), err_msg=mode)


@pytest.mark.parametrize("compression", ["tiff_lzw", "tiff_deflate", "packbits", "group4"])
def test_lossless_tiff_compressions_read(tmp_path, compression):
    mask = label_map(np.random.default_rng(4), (16, 24), "blocky", 2).astype(bool)
    image = Image.fromarray(mask if compression == "group4" else mask.astype(np.uint8) * 9)
    image.save(tmp_path / "x.tif", compression=compression)
    decoded = _io.read_label_map(str(tmp_path / "x.tif"))
    np.testing.assert_array_equal(decoded, oracle(tmp_path / "x.tif"))
    np.testing.assert_array_equal(decoded, mask if compression == "group4" else mask * 9)


@pytest.mark.parametrize("ext", [".png", ".tif"])
def test_rgba_follows_the_colour_map_and_la_is_refused_by_name(tmp_path, ext):
    labels = label_map(np.random.default_rng(5), (6, 8), "blocky", 2).astype(np.uint8)
    colours = np.array([[128, 64, 128, 255], [244, 35, 232, 200]], np.uint8)[labels]
    Image.fromarray(colours, "RGBA").save(tmp_path / f"rgba{ext}")
    colour_map = _io.parse_colour_map("#804080:0 #f423e8:1")
    np.testing.assert_array_equal(_io.read_label_map(str(tmp_path / f"rgba{ext}"), colour_map),
                                  labels)
    with pytest.raises(EvalError, match="RGBA colour image.*--color-map") as info:
        _io.read_label_map(str(tmp_path / f"rgba{ext}"))
    assert info.value.exit_code == _io.EXIT_UNREADABLE
    Image.fromarray(labels).convert("LA").save(tmp_path / f"la{ext}")
    with pytest.raises(EvalError, match=r"is a grayscale.*(alpha|\+ alpha).*\(Pillow mode LA\), "
                                        r"not a label map") as info:
        _io.read_label_map(str(tmp_path / f"la{ext}"), colour_map)
    assert info.value.exit_code == _io.EXIT_UNREADABLE


def test_bool_arrays_with_bytes_other_than_1_count_as_1(tmp_path):
    """``np.save`` of what Pillow gives for a mode "1" image stores bools as 0/255 bytes."""
    mask = label_map(np.random.default_rng(6), (8, 9), "blocky", 2).astype(bool)
    Image.fromarray(mask).save(tmp_path / "mask.png")
    with Image.open(tmp_path / "mask.png") as image:
        pillow_bools = np.asarray(image)
    assert pillow_bools.view(np.uint8).max() == 255
    np.save(tmp_path / "mask.npy", pillow_bools)
    for name in ("mask.npy", "mask.png"):
        decoded = _io.read_label_map(str(tmp_path / name))
        assert decoded.dtype == np.uint8
        np.testing.assert_array_equal(decoded, mask.astype(np.uint8), err_msg=name)
    Image.fromarray(mask).save(tmp_path / "mask.tif")
    np.testing.assert_array_equal(_io.read_label_map(str(tmp_path / "mask.tif")), mask)
    pair = _io.LabelPair("m", str(tmp_path / "mask.npy"), str(tmp_path / "mask.png"))
    matrix = count_pair(pair, EvalOptions(num_classes=2, ignore_index=(255,))).matrix
    np.testing.assert_array_equal(matrix, np.diag(np.bincount(mask.ravel(), minlength=2)))


# ---------------------------------------------------------------------------------------------
# Generated PNGs of every depth, interlaced or not, with or without transparency: through
# every reader and through the eval's counting (the fused path only for 8-bit rows)

png_kind = st.tuples(st.sampled_from(KINDS), st.booleans(), st.booleans())


def _draw_png(data, shape, kind, high=300):
    (colour_type, depth), interlace, transparency = kind
    labels = data.draw(arrays(np.int64, shape,
                              elements=st.integers(0, min((1 << depth) - 1, high))))
    filters = data.draw(st.lists(st.integers(0, 4), min_size=1, max_size=6))
    return kind_png(labels, colour_type, depth, filters, interlace, transparency)


@settings(max_examples=60, deadline=None)
@given(kind=png_kind, shape=st.tuples(st.integers(1, 17), st.integers(1, 17)), data=st.data())
def test_generated_pngs_read_as_pillow_does_through_both_paths(tmp_path_factory, kind, shape, data):
    path = str(tmp_path_factory.mktemp("g") / "g.png")
    Path(path).write_bytes(_draw_png(data, shape, kind))
    expected = oracle(path)
    np.testing.assert_array_equal(_io.read_label_map(path), expected)
    with pytest.MonkeyPatch.context() as patch:
        force_pillow(patch)
        np.testing.assert_array_equal(_io.read_label_map(path), expected)


@settings(max_examples=60, deadline=None)
@given(truth_kind=png_kind, pred_kind=png_kind,
       shape=st.tuples(st.integers(1, 17), st.integers(1, 17)), ignore=st.booleans(),
       data=st.data())
def test_generated_png_pairs_count_as_the_reference_on_pillows_values(
        tmp_path_factory, truth_kind, pred_kind, shape, ignore, data):
    root = tmp_path_factory.mktemp("pair")
    pair = _io.LabelPair("p", str(root / "t.png"), str(root / "p.png"))
    Path(pair.gt).write_bytes(_draw_png(data, shape, truth_kind))
    Path(pair.pred).write_bytes(_draw_png(data, shape, pred_kind))
    truth, pred = oracle(pair.gt), oracle(pair.pred)
    num_classes = 301 if max(truth.max(), pred.max()) > 255 else 256
    ignored = (255,) if ignore else ()
    fused = []
    real_count = _engine.count_png_pair

    def spy(*args):
        fused.append(args[3])
        return real_count(*args)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_engine, "count_png_pair", spy)
        result = count_pair(pair, EvalOptions(num_classes=num_classes, ignore_index=ignored))
    np.testing.assert_array_equal(result.matrix,
                                  reference.confusion_matrix(truth, pred, num_classes, ignored))
    assert result.pixels == truth.size
    one_byte_rows = all(kind[0][1] == 8 and not kind[1] for kind in (truth_kind, pred_kind))
    assert bool(fused) == one_byte_rows


def test_the_fused_path_takes_only_8_bit_non_interlaced_pairs(tmp_path, monkeypatch):
    labels = label_map(np.random.default_rng(7), (12, 20), "blocky", 2)
    calls = []
    real_count = _engine.count_png_pair
    monkeypatch.setattr(_engine, "count_png_pair", lambda *args: calls.append(1) or real_count(*args))
    expected = np.diag(np.bincount(labels.ravel(), minlength=2))
    for depth, interlace, fused in ((8, False, True), (8, True, False), (1, False, False),
                                    (4, False, False), (16, False, False)):
        data = kind_png(labels, 0, depth, [PAETH, SUB, UP, NONE], interlace)
        pair = _io.LabelPair("x", str(tmp_path / "t.png"), str(tmp_path / "p.png"))
        Path(pair.gt).write_bytes(data)
        Path(pair.pred).write_bytes(data)
        calls.clear()
        assert bool(_engine._png_pair(pair)) == fused
        scale = 255 // ((1 << depth) - 1) if depth in (2, 4) else 1
        num_classes = 256 if scale > 1 else 2
        matrix = count_pair(pair, EvalOptions(num_classes=num_classes)).matrix
        assert bool(calls) == fused
        np.testing.assert_array_equal(matrix[np.ix_([0, scale], [0, scale])], expected)
        assert matrix.sum() == labels.size


# ---------------------------------------------------------------------------------------------
# Files that are no label map: refused by name, never decoded

def jpeg_bytes(labels):
    buffer = io.BytesIO()
    Image.fromarray(labels).save(buffer, format="JPEG")
    return buffer.getvalue()


def test_jpeg_named_png_is_refused_through_the_cli(tmp_path):
    rng = np.random.default_rng(8)
    labels = label_map(rng, (48, 64), "noise").astype(np.uint8)
    for side in ("gt", "pred"):
        os.makedirs(tmp_path / side)
        Image.fromarray(labels).save(tmp_path / side / "a.png")
    (tmp_path / "pred" / "a.png").write_bytes(jpeg_bytes(labels))
    code, report, err = run_cli(str(tmp_path / "gt"), str(tmp_path / "pred"), "-n", "256")
    assert code == 5, err
    assert f"{tmp_path / 'pred' / 'a.png'} is a JPEG (lossy) file, not a PNG" in err


def test_lossy_and_multi_page_tiffs_are_refused(tmp_path):
    labels = label_map(np.random.default_rng(9), (16, 16), "blocky", 5).astype(np.uint8)
    image = Image.fromarray(labels)
    image.save(tmp_path / "jpeg.tif", compression="jpeg")
    image.save(tmp_path / "pages.tif", save_all=True, append_images=[image])
    for name, message in (("jpeg.tif", "is a JPEG-compressed (lossy) TIFF: lossy compression"),
                          ("pages.tif", "is a TIFF of 2 pages; a label map is one image")):
        with pytest.raises(EvalError) as info:
            _io.read_label_map(str(tmp_path / name))
        assert str(info.value).startswith(f"{tmp_path / name} {message}")
        assert info.value.exit_code == _io.EXIT_UNREADABLE


# ---------------------------------------------------------------------------------------------
# docs/errors.md, "Label-map files": every row is a file and the message it gets

CATALOGUE = Path(__file__).resolve().parents[1] / "docs" / "errors.md"
FILE_ROW = re.compile(r"^\| `([\w.-]+)` \| (.+?) \| (\d) \| `` (.+) `` \|$")
FILE_ROWS = [FILE_ROW.match(line).groups() for line in CATALOGUE.read_text().splitlines()
             if FILE_ROW.match(line)]


def catalogued_files(folder):
    """file name -> its content (bytes) or a function writing it."""
    labels = np.arange(20, dtype=np.uint8).reshape(4, 5)
    good = encode_png(labels, [NONE, SUB, UP, PAETH])
    header = good[16:29]
    rows = bytearray(b"".join(bytes([NONE]) + bytes(row) for row in labels))
    rows[2 * 6] = 7
    stream = zlib.compress(bytes(rows))
    image = Image.fromarray(labels)
    noise = Image.fromarray(label_map(np.random.default_rng(0), (64, 64), "noise").astype(np.uint8))

    def half_of(format):
        def write(path):
            noise.save(path, format=format)
            Path(path).write_bytes(Path(path).read_bytes()[:2100])
        return write

    def saved(*args, **kwargs):
        return lambda path: image.save(path, *args, **kwargs)

    def npy(array):
        return lambda path: np.save(path, array)

    return {
        "cut.png": half_of("PNG"),
        "crc.png": _with_chunk(good, b"IHDR", crc=1),
        "filter.png": _with_chunk(good, b"IDAT", stream),
        "zlib.png": _with_chunk(good, b"IDAT", b"x" * 40),
        "short.png": _with_chunk(good, b"IDAT", zlib.compress(bytes(rows[:-1]))),
        "header.png": _with_chunk(good, b"IHDR", header[:8] + b"\x10\x03" + header[10:]),
        "empty.png": b"",
        "text.png": b"hello, not a png",
        "jpeg.png": jpeg_bytes(labels),
        "tiff.png": saved(format="TIFF"),
        "gif.png": saved(format="GIF"),
        "la.png": lambda path: image.convert("LA").save(path),
        "rgb16.png": _with_chunk(good, b"IHDR", header[:8] + b"\x10\x02" + header[10:]),
        "rgb.png": lambda path: image.convert("RGB").save(path),
        "jpeg.tif": jpeg_bytes(labels),
        "png.tif": good,
        "text.tif": b"hello, not a tiff",
        "cut.tif": half_of("TIFF"),
        "jpeg-compressed.tif": saved(compression="jpeg"),
        "pages.tif": saved(save_all=True, append_images=[image]),
        "la.tif": lambda path: image.convert("LA").save(path),
        "cmyk.tif": lambda path: image.convert("CMYK").save(path),
        "floats.tif": lambda path: Image.fromarray(np.full((2, 2), 0.5, np.float32)).save(path),
        "labels.jpg": jpeg_bytes(labels),
        "missing.png": None,
        "floats.npy": npy(np.zeros((2, 2))),
        "objects.npy": lambda path: np.save(path, np.array([None, 1], dtype=object)),
        "cut.npy": lambda path: (np.save(path, np.zeros((4, 4), np.int64)),
                                 Path(path).write_bytes(Path(path).read_bytes()[:-5])),
        "png.npy": good,
        "scalar.npy": npy(np.int64(3)),
    }


def test_the_file_catalogue_is_complete():
    assert len(FILE_ROWS) >= 25
    assert sorted(name for name, *_ in FILE_ROWS) == sorted(catalogued_files(Path(".")))


@pytest.mark.parametrize("name,what,exit_code,message", FILE_ROWS, ids=[r[0] for r in FILE_ROWS])
def test_catalogued_file_errors(tmp_path, name, what, exit_code, message):
    path = tmp_path / name
    content = catalogued_files(tmp_path)[name]
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        content(str(path))
    with pytest.raises(EvalError) as info:
        _io.read_label_map(str(path))
    assert info.value.exit_code == int(exit_code)
    prefix = next((p for p in ("cannot decode F", "cannot read F") if message.startswith(p)), "F")
    assert message.startswith(prefix)
    expected = message.replace("\\|", "|").replace(prefix, prefix[:-1] + str(path), 1)
    if expected.endswith(" ..."):
        assert str(info.value).startswith(expected[:-4]), str(info.value)
    else:
        assert str(info.value) == expected
