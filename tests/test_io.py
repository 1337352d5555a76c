"""File discovery, pairing, decoding and value mappings behind ``fastiou eval``
(fastiou.evaluate._io)."""

import json
import os

import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

from fastiou import reference
from fastiou.evaluate import _io
from fastiou.evaluate._engine import EvalOptions, _count_folded
from fastiou.evaluate._io import EvalError

from labelmaps import save, write_folders

PIL = pytest.importorskip("PIL.Image")


@pytest.fixture
def rng():
    return np.random.default_rng(5)


def _touch_pairs(root, gt_names, pred_names):
    for side, names in (("gt", gt_names), ("pred", pred_names)):
        os.makedirs(root / side, exist_ok=True)
        for name in names:
            path = root / side / name
            os.makedirs(path.parent, exist_ok=True)
            path.write_bytes(b"")
    return str(root / "gt"), str(root / "pred")


def test_folders_match_by_name_without_suffix_in_any_sub_folder(tmp_path):
    gt, pred = _touch_pairs(tmp_path, ["a/x_gtFine_labelTrainIds.png", "b/y_gtFine_labelTrainIds.png",
                                       "notes.txt", "z_other.png"],
                            ["x_pred.png", "y_pred.npy", "w_pred.png"])
    pairing = _io.find_pairs(gt, pred, "_gtFine_labelTrainIds", "_pred.png")
    assert [p.name for p in pairing.pairs] == ["x", "y"]
    assert pairing.pairs[0].gt.endswith(os.path.join("a", "x_gtFine_labelTrainIds.png"))
    assert pairing.pairs[1].pred.endswith("y_pred.npy")
    assert pairing.gt_only == [] and pairing.pred_only == ["w"]


def test_without_suffixes_every_label_file_is_matched_by_stem(tmp_path):
    gt, pred = _touch_pairs(tmp_path, ["a.png", "b.tif", "c.tiff"], ["a.npy", "b.png", "d.png"])
    pairing = _io.find_pairs(gt, pred)
    assert [p.name for p in pairing.pairs] == ["a", "b"]
    assert pairing.gt_only == ["c"] and pairing.pred_only == ["d"]


def test_duplicate_names_in_a_folder_are_an_error(tmp_path):
    gt, pred = _touch_pairs(tmp_path, ["a/x.png", "b/x.png"], ["x.png"])
    with pytest.raises(EvalError, match="same name") as info:
        _io.find_pairs(gt, pred)
    assert info.value.exit_code == _io.EXIT_USAGE


def test_empty_gt_folder_is_missing_data_and_names_what_was_left_out(tmp_path):
    gt, pred = _touch_pairs(tmp_path, ["x.jpg", "y.png"], ["x.png"])
    with pytest.raises(EvalError, match="holds no label file") as info:
        _io.find_pairs(gt, pred, gt_suffix="_gt")
    assert info.value.exit_code == _io.EXIT_MISSING
    jpg, png = os.path.join(gt, "x.jpg"), os.path.join(gt, "y.png")
    assert f"1 file was left out: {jpg} (.jpg is not a label-map format (.png, .tif, .tiff, .npy))" \
        in str(info.value)
    assert f"1 file was left out: {png} (the name does not end in --gt-suffix '_gt')" in str(info.value)


def test_files_left_out_for_their_extension_or_suffix_are_kept_with_the_reason(tmp_path):
    gt, pred = _touch_pairs(tmp_path, ["a_gt.png", "a_color.png", "_gt.png", ".hidden_gt.txt", "notes"],
                            ["a.png", "a.jpg", "b.JPG", "._a.png", ".out.1f2e.tmp.png"])
    pairing = _io.find_pairs(gt, pred, gt_suffix="_gt")
    assert [p.name for p in pairing.pairs] == ["a"]
    assert pairing.left_out == [
        _io.LeftOut(os.path.join(gt, "_gt.png"), "nothing is left of the name once --gt-suffix '_gt' is removed"),
        _io.LeftOut(os.path.join(gt, "a_color.png"), "the name does not end in --gt-suffix '_gt'"),
        _io.LeftOut(os.path.join(gt, "notes"),
                    "a name without an extension is not a label-map format (.png, .tif, .tiff, .npy)"),
        _io.LeftOut(os.path.join(pred, "a.jpg"), ".jpg is not a label-map format (.png, .tif, .tiff, .npy)"),
        _io.LeftOut(os.path.join(pred, "b.JPG"), ".JPG is not a label-map format (.png, .tif, .tiff, .npy)"),
    ]
    described = _io.describe_left_out(pairing.left_out)
    assert described.count("left out") == 5
    assert _io.describe_left_out(pairing.left_out[3:4] * 2).startswith("2 files were left out: ")


def test_list_files_pair_by_line_relative_to_the_list(tmp_path):
    (tmp_path / "gt.txt").write_text("# ground truth\nimgs/a_gt.png\n\n/abs/b_gt.png\n")
    (tmp_path / "pred.txt").write_text("p/a.png\np/b.png\n")
    pairing = _io.find_pairs(str(tmp_path / "gt.txt"), str(tmp_path / "pred.txt"), gt_suffix="_gt")
    assert pairing.pairs == [
        _io.LabelPair("a", str(tmp_path / "imgs/a_gt.png"), str(tmp_path / "p/a.png")),
        _io.LabelPair("b", "/abs/b_gt.png", str(tmp_path / "p/b.png")),
    ]


def test_list_files_of_different_lengths_fail(tmp_path):
    (tmp_path / "gt.txt").write_text("a.png\nb.png\n")
    (tmp_path / "pred.txt").write_text("a.png\n")
    with pytest.raises(EvalError, match="2 paths") as info:
        _io.find_pairs(str(tmp_path / "gt.txt"), str(tmp_path / "pred.txt"))
    assert info.value.exit_code == _io.EXIT_MISSING


@pytest.mark.parametrize("separator", ["\t", ",", "   "])
def test_a_two_column_list_needs_no_pred(tmp_path, separator):
    (tmp_path / "pairs.tsv").write_text(f"g/a.png{separator}p/a.png\n")
    pairing = _io.find_pairs(str(tmp_path / "pairs.tsv"))
    assert pairing.pairs == [_io.LabelPair("a", str(tmp_path / "g/a.png"), str(tmp_path / "p/a.png"))]


@pytest.mark.parametrize("content,message", [
    ("only-one-path.png\n", "line 1 of {} holds 1 field, not two paths (ground truth, prediction)"),
    ("a b c\n", "line 1 of {} holds 3 fields, not two paths"),
    ("# pairs\n\na.png,b.png\nc.png,d.jpg\n", "line 4 of {} names 'd.jpg', which is not a label-map file"),
    ("a.png,b.png\ngt,pred\n", "line 2 of {} names 'gt', which is not a label-map file"),
])
def test_bad_pair_lines_are_named_by_their_line_number(tmp_path, content, message):
    (tmp_path / "pairs.txt").write_text(content)
    with pytest.raises(EvalError) as info:
        _io.find_pairs(str(tmp_path / "pairs.txt"))
    assert message.format(tmp_path / "pairs.txt") in str(info.value)
    assert info.value.exit_code == _io.EXIT_USAGE


@pytest.mark.parametrize("name,content", [
    ("pairs.csv", "gt,pred\ng/a.png,p/a.png\n"),
    ("pairs.csv", '\ufeff"ground truth","prediction"\n"g/a.png", "p/a.png"\n'),
    ("pairs.tsv", "# made by hand\ngt\tpred\ng/a.png\tp/a.png\n"),
])
def test_a_pairs_list_may_start_with_column_titles(tmp_path, name, content):
    (tmp_path / name).write_text(content, encoding="utf-8")
    pairing = _io.find_pairs(str(tmp_path / name))
    assert pairing.pairs == [_io.LabelPair("a", str(tmp_path / "g/a.png"), str(tmp_path / "p/a.png"))]


def test_one_column_lists_may_start_with_a_title_and_keep_spaces_in_paths(tmp_path):
    (tmp_path / "gt.csv").write_text("path\nmy labels/a_gt.png\n")
    (tmp_path / "pred.txt").write_text("my preds/a.png\n")
    pairing = _io.find_pairs(str(tmp_path / "gt.csv"), str(tmp_path / "pred.txt"), gt_suffix="_gt")
    assert pairing.pairs == [_io.LabelPair("a", str(tmp_path / "my labels/a_gt.png"),
                                           str(tmp_path / "my preds/a.png"))]


def test_folder_and_file_cannot_be_mixed_and_paths_must_exist(tmp_path):
    gt, _ = _touch_pairs(tmp_path, ["a.png"], ["a.png"])
    (tmp_path / "list.txt").write_text("a.png\n")
    with pytest.raises(EvalError, match="both be folders"):
        _io.find_pairs(gt, str(tmp_path / "list.txt"))
    with pytest.raises(EvalError, match="does not exist"):
        _io.find_pairs(gt, str(tmp_path / "nowhere"))
    with pytest.raises(EvalError, match="PRED is missing"):
        _io.find_pairs(gt)


@pytest.mark.parametrize("ext,dtype", [(".png", np.uint8), (".png", np.uint16), (".tif", np.uint8),
                                       (".tif", np.uint16), (".tif", np.int32), (".npy", np.uint8),
                                       (".npy", np.int64), (".npy", np.uint32)])
def test_label_files_decode_to_their_values(tmp_path, rng, ext, dtype):
    labels = rng.integers(0, 300 if dtype != np.uint8 else 256, (17, 23)).astype(dtype)
    path = str(tmp_path / f"labels{ext}")
    save(path, labels)
    decoded = _io.read_label_map(path)
    assert decoded.dtype.kind in "iu"
    np.testing.assert_array_equal(decoded, labels)


def test_grayscale_png_and_bool_npy(tmp_path, rng):
    labels = rng.integers(0, 19, (9, 9)).astype(np.uint8)
    PIL.fromarray(labels, mode="L").save(tmp_path / "gray.png")
    np.testing.assert_array_equal(_io.read_label_map(str(tmp_path / "gray.png")), labels)
    mask = labels > 9
    np.save(tmp_path / "mask.npy", mask)
    decoded = _io.read_label_map(str(tmp_path / "mask.npy"))
    assert decoded.dtype == np.uint8
    np.testing.assert_array_equal(decoded, mask)


def test_rgb_images_are_refused_without_a_colour_map(tmp_path):
    PIL.new("RGB", (4, 3), (128, 64, 128)).save(tmp_path / "rgb.png")
    with pytest.raises(EvalError, match="RGB colour image.*--color-map") as info:
        _io.read_label_map(str(tmp_path / "rgb.png"))
    assert info.value.exit_code == _io.EXIT_UNREADABLE


def test_rgb_images_decode_through_a_colour_map(tmp_path):
    pixels = np.zeros((3, 4, 3), dtype=np.uint8)
    pixels[:, :2] = (128, 64, 128)
    pixels[:, 2:] = (244, 35, 232)
    PIL.fromarray(pixels).save(tmp_path / "rgb.png")
    colours = _io.parse_colour_map('{"#804080": 0, "244,35,232": 1}')
    np.testing.assert_array_equal(_io.read_label_map(str(tmp_path / "rgb.png"), colours),
                                  np.repeat([[0, 0, 1, 1]], 3, axis=0))
    only_road = _io.parse_colour_map("#804080:0")
    with pytest.raises(EvalError, match=r"6 pixel\(s\) whose colour .*#f423e8") as info:
        _io.read_label_map(str(tmp_path / "rgb.png"), only_road)
    assert info.value.exit_code == _io.EXIT_OUT_OF_RANGE


@pytest.mark.parametrize("spec", ['[[128, 64, 128], [244, 35, 232]]',
                                  "#804080:0 #f423e8:1", '{"128,64,128": 0, "#f423e8": 1}'])
def test_colour_map_spellings_agree(spec):
    mapping = _io.parse_colour_map(spec)
    assert sorted(zip(mapping.source.tolist(), mapping.target.tolist())) == \
        [(0x804080, 0), (0xF423E8, 1)]


@pytest.mark.parametrize("spec,message", [
    ("#80408:0", "in --color-map '#80408:0', colours are written '#rrggbb'"),
    ("300,0,0:1", "colour channels must lie in 0..255, got '300,0,0'"),
    ("#804080", "--color-map '#804080' must hold '#rrggbb:class' items, but one item is '#804080'"),
    ("{}", "maps nothing")])
def test_bad_colour_maps_are_explained(spec, message):
    with pytest.raises(EvalError) as info:
        _io.parse_colour_map(spec)
    assert message in str(info.value)


def test_unreadable_files_name_the_file(tmp_path):
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    (tmp_path / "labels.jpg").write_bytes(b"")
    np.save(tmp_path / "floats.npy", np.zeros((2, 2)))
    (tmp_path / "bad.npy").write_bytes(b"garbage")
    cases = [("broken.png", "cannot decode"), ("labels.jpg", "is not a label-map format"),
             ("floats.npy", "dtype float64"), ("bad.npy", "cannot decode .*not a NumPy .npy file"),
             ("missing.png", "does not exist"), ("missing.npy", "does not exist")]
    for name, message in cases:
        with pytest.raises(EvalError, match=message) as info:
            _io.read_label_map(str(tmp_path / name))
        assert info.value.exit_code == _io.EXIT_UNREADABLE and name in str(info.value)


def test_float_tiffs_must_hold_whole_numbers(tmp_path):
    PIL.fromarray(np.array([[1.0, 2.0]], dtype=np.float32)).save(tmp_path / "whole.tif")
    np.testing.assert_array_equal(_io.read_label_map(str(tmp_path / "whole.tif")), [[1, 2]])
    PIL.fromarray(np.array([[1.5, 2.0]], dtype=np.float32)).save(tmp_path / "frac.tif")
    with pytest.raises(EvalError, match="non-integer"):
        _io.read_label_map(str(tmp_path / "frac.tif"))


def _lookup(labels, mapping):
    """Oracle: a Python dict lookup, values not listed unchanged."""
    table = dict(zip(mapping.source.tolist(), mapping.target.tolist()))
    return np.vectorize(lambda v: table.get(int(v), int(v)), otypes=[np.int64])(labels)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int32, np.int64])
@pytest.mark.parametrize("spec", ["cityscapes", "1:0,2:1,3:255", '{"0": 255, "7": 0}'])
def test_label_maps_replace_listed_values_only(rng, dtype, spec):
    mapping = _io.parse_label_map(spec)
    labels = rng.integers(0, 40, (31, 7)).astype(dtype)
    before = labels.copy()
    np.testing.assert_array_equal(_io.apply_label_map(labels, mapping), _lookup(labels, mapping))
    np.testing.assert_array_equal(labels, before)


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.int64])
def test_an_empty_label_map_maps_to_an_empty_one(dtype):
    """A 0-pixel map (an empty .npy) is mapped, not a NumPy reduction error."""
    mapping = _io.parse_label_map("1:0,2:1,3:255")
    mapped = _io.apply_label_map(np.zeros((0, 4), dtype), mapping)
    assert mapped.shape == (0, 4) and mapped.dtype.kind in "iu"


def test_label_map_from_a_file(tmp_path):
    (tmp_path / "map.json").write_text(json.dumps({"7": 0, "8": 1}))
    (tmp_path / "map.txt").write_text("7:0\n8:1\n")
    for name in ("map.json", "map.txt"):
        mapping = _io.parse_label_map(str(tmp_path / name))
        assert dict(zip(mapping.source.tolist(), mapping.target.tolist())) == {7: 0, 8: 1}


@pytest.mark.parametrize("spec,message", [
    ("7-0", "--label-map '7-0' must hold 'value:class' items separated by commas, but one item is '7-0'"),
    ("a:1", "in --label-map 'a:1', a source value must be an integer, got 'a'"),
    ("{bad json", "not valid JSON"), ('"x"', "must hold 'value:class' items"),
    ("7:1.5", "a class id must be an integer, got '1.5'")])
def test_bad_label_maps_are_explained(spec, message):
    with pytest.raises(EvalError) as info:
        _io.parse_label_map(spec)
    assert message in str(info.value)


def test_as_label_mapping_accepts_dicts_and_rejects_other_types():
    mapping = _io.as_label_mapping({(128, 64, 128): 0}, "color_map", colours=True)
    assert mapping.source.tolist() == [0x804080]
    assert _io.as_label_mapping({3: 1}, "label_map").target.tolist() == [1]
    with pytest.raises(TypeError, match="`label_map` must be None, a dict or a str"):
        _io.as_label_mapping([1, 2], "label_map")


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int32])
def test_reduce_zero_label_matches_mmseg(rng, dtype):
    labels = rng.integers(0, 256, (40, 9)).astype(dtype)
    expected = labels.astype(np.int64)
    expected[expected == 0] = 255  # mmseg's LoadAnnotations, written out
    expected = expected - 1
    expected[expected == 254] = 255
    np.testing.assert_array_equal(_io.reduce_zero_label(labels), expected)


def test_listed_bounds_long_lists():
    assert _io.listed(list("abc")) == "a, b, c"
    assert _io.listed([str(i) for i in range(25)], limit=3) == "0, 1, 2 ... and 22 more"


def test_written_folders_round_trip(tmp_path, rng):
    labels = rng.integers(0, 5, (6, 8)).astype(np.uint8)
    gt, pred = write_folders(str(tmp_path), [(labels, labels)])
    pairing = _io.find_pairs(gt, pred, gt_suffix="_gt")
    np.testing.assert_array_equal(_io.read_label_map(pairing.pairs[0].gt), labels)


# The fold used for 8-bit maps under a mapping must equal mapping every pixel, then counting.
_maps = st.dictionaries(st.integers(0, 12), st.integers(-1, 6), max_size=6)


@given(truth=hnp.arrays(np.uint8, st.integers(1, 60), elements=st.integers(0, 12)),
       data=st.data(), gt_map=_maps, pred_map=_maps, reduce=st.booleans(),
       ignore=st.lists(st.integers(-1, 255), max_size=2))
def test_folding_the_raw_matrix_equals_mapping_every_pixel(truth, data, gt_map, pred_map, reduce, ignore):
    pred = data.draw(hnp.arrays(np.uint8, truth.shape, elements=st.integers(0, 12)))
    options = EvalOptions(5, tuple(ignore), _io.as_label_mapping(gt_map or None, "label_map"),
                          _io.as_label_mapping(pred_map or None, "pred_label_map"), reduce, None)
    mapped_truth = np.array([gt_map.get(int(v), int(v)) for v in truth], dtype=np.int64)
    if reduce:
        mapped_truth = np.where((mapped_truth == 0) | (mapped_truth == 255), 255, mapped_truth - 1)
    mapped_pred = np.array([pred_map.get(int(v), int(v)) for v in pred], dtype=np.int64)
    _, _, bad_truth, bad_pred = reference.confusion_counts(mapped_truth, mapped_pred, 5, ignore)
    pair = _io.LabelPair("x", "gt.png", "pred.png")
    if bad_truth or bad_pred:
        with pytest.raises(EvalError, match=r"(gt|pred)\.png has \d+ pixel\(s\)") as info:
            _count_folded(pair, truth, pred, options, 1)
        assert info.value.exit_code == _io.EXIT_OUT_OF_RANGE
        assert ("gt.png" in str(info.value)) == bool(bad_truth)
    else:
        np.testing.assert_array_equal(_count_folded(pair, truth, pred, options, 1)[0],
                                      reference.confusion_matrix(mapped_truth, mapped_pred, 5, ignore))
