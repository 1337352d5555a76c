"""fastiou._png: the NumPy + zlib PNG codec that lets ``fastiou eval --demo`` run without Pillow."""

import struct
import sys
import zlib

import numpy as np
import pytest

from fastiou import _io, _png
from fastiou._io import EvalError

Image = pytest.importorskip("PIL.Image")


def _filtered_png(path, labels, filters, depth=8):
    """Encode `labels` row by row with the given PNG filter types (0 None, 1 Sub, 2 Up):
    the test's own encoder, so Pillow can act as the oracle."""
    raw = labels.astype(">u2").view(np.uint8) if depth == 16 else labels.astype(np.uint8)
    raw = raw.reshape(labels.shape[0], -1).astype(np.int64)
    step = depth // 8
    lines = []
    for index, kind in enumerate(filters):
        row = raw[index]
        if kind == 1:
            row = row - np.concatenate([np.zeros(step, np.int64), row[:-step]])
        elif kind == 2:
            row = row - (raw[index - 1] if index else 0)
        lines.append(bytes([kind]) + (row % 256).astype(np.uint8).tobytes())
    header = struct.pack(">IIBBBBB", labels.shape[1], labels.shape[0], depth, 0, 0, 0, 0)
    with open(path, "wb") as fh:
        fh.write(_png.SIGNATURE + _png._chunk(b"IHDR", header)
                 + _png._chunk(b"IDAT", zlib.compress(b"".join(lines))) + _png._chunk(b"IEND", b""))


@pytest.mark.parametrize("shape", [(1, 1), (3, 7), (64, 33)])
@pytest.mark.parametrize("palette", [None, list(range(256)) * 3])
def test_written_files_round_trip_and_pillow_agrees(tmp_path, shape, palette):
    labels = np.random.default_rng(1).integers(0, 256, shape).astype(np.uint8)
    path = str(tmp_path / "x.png")
    _png.write_png(path, labels, palette)
    np.testing.assert_array_equal(_png.read_png(path), labels)
    with Image.open(path) as image:
        assert image.mode == ("L" if palette is None else "P")
        np.testing.assert_array_equal(np.asarray(image), labels)


@pytest.mark.parametrize("depth", [8, 16])
def test_sub_and_up_filters_decode_like_pillow(tmp_path, depth):
    rng = np.random.default_rng(2)
    labels = rng.integers(0, 256 if depth == 8 else 60000, (12, 9)).astype(np.uint16 if depth == 16 else np.uint8)
    path = str(tmp_path / "f.png")
    _filtered_png(path, labels, [0, 1, 2, 2, 1, 0, 1, 2, 0, 1, 2, 1], depth)
    decoded = _png.read_png(path)
    with Image.open(path) as image:
        np.testing.assert_array_equal(np.asarray(image), labels)
    np.testing.assert_array_equal(decoded, labels)
    assert decoded.dtype == labels.dtype


def test_pillow_written_palette_pngs_are_read(tmp_path):
    labels = np.random.default_rng(3).integers(0, 19, (40, 50)).astype(np.uint8)
    image = Image.fromarray(labels)
    image.putpalette([i % 256 for i in range(768)])
    image.save(tmp_path / "p.png")
    np.testing.assert_array_equal(_png.read_png(str(tmp_path / "p.png")), labels)


def test_what_needs_pillow_says_so(tmp_path):
    Image.fromarray(np.random.default_rng(4).integers(0, 256, (30, 30)).astype(np.uint8)).save(tmp_path / "l.png")
    Image.new("RGB", (3, 3)).save(tmp_path / "rgb.png")
    for name, message in (("l.png", "Paeth|Average"), ("rgb.png", "colour type 2")):
        with pytest.raises(_png.PngError, match=message) as info:
            _png.read_png(str(tmp_path / name))
        assert info.value.needs_pillow


def test_broken_files_are_errors(tmp_path):
    labels = np.zeros((4, 4), np.uint8)
    _png.write_png(str(tmp_path / "ok.png"), labels)
    data = (tmp_path / "ok.png").read_bytes()
    cases = {"text.png": b"hello", "cut.png": data[:30],
             "zlib.png": data.replace(zlib.compress(np.zeros((4, 5), np.uint8).tobytes(), 6), b"x" * 12)}
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(_png.PngError) as info:
            _png.read_png(str(tmp_path / name))
        assert not info.value.needs_pillow


def test_without_pillow_fastiou_reads_pngs_itself_and_names_the_extra(tmp_path, monkeypatch):
    labels = np.arange(12, dtype=np.uint8).reshape(3, 4)
    _png.write_png(str(tmp_path / "ok.png"), labels)
    Image.fromarray(labels).save(tmp_path / "labels.tif")
    Image.fromarray(np.random.default_rng(4).integers(0, 256, (30, 30)).astype(np.uint8)).save(tmp_path / "l.png")
    (tmp_path / "bad.png").write_bytes(b"nope")
    monkeypatch.setitem(sys.modules, "PIL", None)
    np.testing.assert_array_equal(_io.read_label_map(str(tmp_path / "ok.png")), labels)
    for name, code, message in (("labels.tif", 7, "needs Pillow: pip install 'fastiou\\[cli\\]'"),
                                ("l.png", 7, "Paeth filter: reading it needs Pillow"),
                                ("bad.png", 5, "cannot decode .*not a PNG"),
                                ("missing.png", 5, "does not exist")):
        with pytest.raises(EvalError, match=message) as info:
            _io.read_label_map(str(tmp_path / name))
        assert info.value.exit_code == code
