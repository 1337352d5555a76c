"""The compiled COCO panoptic JSON reader against json.loads: the same values for what it
reads, the same segment tables and errors, None (json.loads decides) for every text
json.loads refuses."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzz_targets import (COCO_CATEGORIES, check_coco_json, same_segment_table,
                          segment_table_or_error)

from fastiou.panoptic._columns import KEY_ABSENT, KEY_INT, NOT_AN_OBJECT
from fastiou.panoptic._coco_json import read_coco_panoptic
from fastiou.panoptic._matching import parse_segments

SEGMENT_KEYS = ("id", "category_id", "iscrowd", "area")

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20),
                         st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=4))
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=3), inner, max_size=3)),
    max_leaves=6)
segment_values = st.one_of(st.integers(-3, 9), st.integers(1, 2**33),
                           st.integers(-10**20, 10**20), st.sampled_from([1.0, 0.0, True, None]),
                           json_values)
segments = st.one_of(
    st.dictionaries(st.sampled_from(SEGMENT_KEYS + ("bbox", "x", "Id")), segment_values,
                    max_size=6),
    st.fixed_dictionaries({"id": st.integers(1, 12), "category_id": st.sampled_from([1, 3, 7]),
                           "iscrowd": st.integers(0, 1), "area": st.integers(0, 50),
                           "bbox": st.lists(st.integers(0, 9), max_size=4)}),
    json_values)
annotations = st.one_of(
    st.fixed_dictionaries({"image_id": st.one_of(st.integers(), st.text(max_size=5)),
                           "file_name": st.text(max_size=8),
                           "segments_info": st.one_of(st.lists(segments, max_size=6),
                                                      json_values)},
                          optional={"extra": json_values, "segments": json_values}),
    json_values)
documents = st.one_of(
    st.fixed_dictionaries({"annotations": st.lists(annotations, max_size=4)},
                          optional={"categories": json_values, "images": json_values,
                                    "info": json_values}),
    json_values)


def _text(document, indent, compact, ascii_only):
    separators = (",", ":") if compact else None
    return json.dumps(document, indent=indent, separators=separators,
                      ensure_ascii=ascii_only).encode("utf-8")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents, st.sampled_from([None, 0, 2, "\t"]), st.booleans(), st.booleans())
def test_reads_what_json_loads_reads(document, indent, compact, ascii_only):
    check_coco_json(_text(document, indent, compact, ascii_only))


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents, st.data())
def test_an_edited_text_is_read_as_json_loads_reads_it_or_left_to_it(document, data):
    text = bytearray(_text(document, None, data.draw(st.booleans()), True))
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(text)))
        edit = data.draw(st.sampled_from(["delete", "insert", "replace"]))
        byte = data.draw(st.sampled_from(b'{}[]",:-+.0123eE\\/ubfnrtx \t\n\x00\x1f\x7f'))
        if edit == "delete" and at < len(text):
            del text[at]
        elif edit == "insert":
            text.insert(at, byte)
        elif at < len(text):
            text[at] = byte
    check_coco_json(bytes(text))


@pytest.mark.parametrize("text", [
    b'{"annotations": [{"segments_info": [{"id": 1, "\\u0069d": 2, "category_id": 3}]}]}',
    b'{"annot\\u0061tions": [{"file_n\\u0061me": "a\\"b", "image_id": "\\u00e9"}]}',
    b'{"annotations": [{"segments_info": [{"id": 1, "id": "x"}, {"id": "x", "id": 4}]}]}',
    b'{"annotations": 5, "annotations": [{"image_id": 1}]}',
    b'{"annotations": [{"image_id": 1}], "annotations": 5}',
    b'{"annotations": [{"segments_info": [1, [], {"id": 1.0, "area": 1e2}, '
    b'{"iscrowd": -0, "category_id": 123456789012345678, "id": 1234567890123456789}]}]}',
    b' \t\n\r{"categories": [{"id": 1, "isthing": 1}], "annotations": []} \r\n',
    '{"annotations": [{"file_name": "straße/東京.png", "image_id": "ü", "x": "é"}]}'.encode(),
    b'{"annotations": [{"file_name": "\xed\xa0\x80.png"}]}',  # a lone surrogate, as json reads it
    b'{"annotations": [{"segments_info": []}, {}, 3, "x", null, true, false]}',
])
def test_json_texts_with_escapes_repeated_keys_and_odd_values(text):
    assert read_coco_panoptic(text) is not None
    check_coco_json(text)


@pytest.mark.parametrize("text", [
    b'{"annotations": [NaN]}', b'{"annotations": [Infinity, -Infinity]}',
    b'\xef\xbb\xbf{"annotations": []}', b'{"file_name": "\xe9"}', b'{"a\xff": 1}',
    b'[{"annotations": []}]', b'5', b'', b'   ',
    b'{"annotations": []} x', b'{"annotations": []}}', b'{"annotations": [],}',
    b'{"annotations": [1,]}', b'{"annotations": [01]}', b'{"annotations": [1.]}',
    b'{"annotations": [-]}', b'{"annotations": [.5]}', b'{"annotations": [1e]}',
    b'{"annotations": ["a\tb"]}', b'{"annotations": ["\\x"]}', b'{"annotations": ["\\u12g4"]}',
    b'{"annotations": ["abc]}', b'{"annotations" []}', b'{annotations: []}',
    b'{"annotations": [tru]}', b'{"annotations": [nul]}', b'{"a": 1 "b": 2}',
    b'{"annotations": [' + b"[" * 300 + b"]" * 300 + b"]}", b'{"a": 1}\x00',
])
def test_texts_the_reader_leaves_to_json_loads(text):
    assert read_coco_panoptic(text) is None
    check_coco_json(text)


def test_segments_read_from_json_give_the_same_table_and_errors_as_their_dicts():
    text = json.dumps({"annotations": [{"segments_info": segments_info} for segments_info in [
        [{"id": 5, "category_id": 7, "area": 3}, {"id": 2, "category_id": 1, "iscrowd": 1,
                                                  "area": 0}],
        [{"id": 5, "category_id": 2, "area": 3}],                # unknown category
        [{"id": 5, "category_id": 1}, {"id": 5, "category_id": 3}],  # an id twice
        [{"id": 0, "category_id": 1, "area": 1}],               # void
        [{"id": 2**32, "category_id": 1, "area": 1}],
        [{"id": 1, "category_id": 1, "iscrowd": 1.0, "area": 1}],  # accepted, one by one
        [{"id": 1, "category_id": 1, "iscrowd": 2, "area": 1}],
        [{"id": 1, "category_id": 1, "area": -1}],
        [{"id": 1, "category_id": 1}],                           # no area
        [{"id": 1}], [7], [],
    ]]}).encode()
    data = read_coco_panoptic(text)
    errors = 0
    for annotation in data["annotations"]:
        read = annotation["segments_info"]
        listed = json.loads(read.source)
        for listed_area in (False, True):
            ours = segment_table_or_error(read, listed_area)
            theirs = segment_table_or_error(listed, listed_area)
            assert same_segment_table(ours, theirs)
            errors += isinstance(theirs[0], type)
    assert errors >= 12  # the bad lists above are refused, with the one-by-one message


def test_a_segment_that_is_no_object_and_absent_keys_have_their_states():
    data = read_coco_panoptic(b'{"annotations": [{"segments_info": [[1], {"area": 4}]}]}')
    read = data["annotations"][0]["segments_info"]
    assert read.states.tolist() == [NOT_AN_OBJECT, KEY_INT << 6]
    assert read.states[1] & 3 == KEY_ABSENT
    assert read.values[1].tolist() == [0, 0, 0, 4]


def test_pq_compute_gives_the_same_result_when_json_loads_reads_the_files(tmp_path, monkeypatch):
    from panoptic_cases import write_dataset

    from fastiou.compat import panopticapi

    gt_json, pred_json = write_dataset(str(tmp_path), 5, 6, 30, 40)
    with open(gt_json, "rb") as f:
        assert read_coco_panoptic(f.read()) is not None
    fast = panopticapi.pq_compute(gt_json, pred_json)
    monkeypatch.setattr(panopticapi, "read_coco_panoptic", lambda text: None)
    assert panopticapi.pq_compute(gt_json, pred_json) == fast


def test_a_segments_info_with_escaped_keys_is_read_in_full(tmp_path):
    text = re.sub(rb'"id"', rb'"\\u0069d"', json.dumps({"annotations": [{"segments_info": [
        {"id": 4, "category_id": 3, "area": 9}]}]}).encode())
    read = read_coco_panoptic(text)["annotations"][0]["segments_info"]
    table = parse_segments(read, COCO_CATEGORIES, "here", listed_area=True)
    assert table.ids.tolist() == [4] and table.area.tolist() == [9]
