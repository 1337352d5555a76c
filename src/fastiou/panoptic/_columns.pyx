"""A ``segments_info`` list of JSON's plain dicts read into int64 columns, compiled.

Private: ``fastiou.panoptic._matching.parse_segments`` calls :func:`segment_columns` first
and, when it returns None, reads the segments one by one in Python, which names the first
bad one. COCO panoptic JSON files hold about a hundred segments an image: read with
Python comprehensions and NumPy conversions they cost more than counting the image's
pixels does.
"""

from libc.stdint cimport INT64_MAX, INT64_MIN, int64_t, uint16_t, uint8_t
from libc.stdlib cimport qsort

import numpy as np

from fastiou._shared._sorted cimport find_sorted

cdef int64_t MAX_ID = (1 << 32) - 1


cdef inline bint read_int(dict segment, str key, int64_t default, bint required,
                          int64_t low, int64_t high, int64_t* out):
    """``segment[key]`` into `out` when it is a plain int in ``[low, high]`` (`default` when
    the key is absent and not `required`); False otherwise."""
    value = segment.get(key)
    if value is None:
        if required or key in segment:
            return False
        out[0] = default
        return True
    if type(value) is not int:
        return False
    try:
        out[0] = value
    except OverflowError:
        return False
    return low <= out[0] <= high


cdef struct Listed:
    int64_t id
    int64_t index  # the segment's position in its list


cdef int by_id(const void* a, const void* b) noexcept nogil:
    cdef int64_t x = (<const Listed*>a).id, y = (<const Listed*>b).id
    return (x > y) - (x < y)


cdef object sorted_columns(object table, Py_ssize_t n, bint listed_area,
                           const int64_t[::1] category_ids, const int64_t[::1] category_position):
    """The result of :func:`segment_columns` from `table` (8, n) whose rows 0-3 hold each
    segment's id, raw ``category_id``, crowd and area in listed order (ids, crowds and areas
    already in range); None for an unknown category or an id twice."""
    cdef int64_t[:, ::1] table_v = table
    cdef Py_ssize_t n_categories = category_ids.shape[0], k, slot
    if category_position.shape[0] != n_categories:
        raise ValueError("one position a category id is needed")
    listed = np.empty(2 * n, dtype=np.int64)   # (id, position) pairs, to sort
    crowd_sorted = np.empty(n, dtype=bool)
    cdef int64_t[::1] listed_v = listed
    cdef uint8_t[::1] crowd_v = crowd_sorted.view(np.uint8)
    cdef Listed* order = <Listed*>&listed_v[0] if n else NULL
    cdef bint bad = False
    with nogil:
        for k in range(n):
            slot = find_sorted(&category_ids[0], n_categories, table_v[1, k]) \
                if n_categories else -1
            if slot < 0:
                bad = True
                break
            table_v[1, k] = category_position[slot]
            order[k].id, order[k].index = table_v[0, k], k
        if not bad and n > 1:
            qsort(order, n, sizeof(Listed), by_id)
        for k in range(n if not bad else 0):
            if k and order[k].id == order[k - 1].id:
                bad = True
                break
            slot = order[k].index
            table_v[4, k], table_v[5, k] = order[k].id, table_v[1, slot]
            table_v[6, k], table_v[7, k] = table_v[3, slot], slot
            crowd_v[k] = <uint8_t>table_v[2, slot]
    if bad:
        return None
    return table[4], table[5], crowd_sorted, (table[6] if listed_area else None), table[7]


def segment_columns(list segments, bint listed_area, const int64_t[::1] category_ids,
                    const int64_t[::1] category_position):
    """``(ids, category, crowd, area, listed)`` of `segments`, sorted by id, or None.

    Each segment must be a dict with plain int values: ``id`` in ``[1, 2**32)``, each id
    once, ``category_id`` one of the sorted `category_ids` (given as its position
    ``category_position[k]``), ``iscrowd`` 0 or 1 (0 when absent) and, with `listed_area`,
    ``area`` >= 0 (else ``area`` is None). ``listed`` is each segment's position in
    `segments`; ``crowd`` is bool. Anything else (another type, a key missing, a value out
    of range, an id twice) gives None: the caller then reads the segments one by one and
    says what is wrong.
    """
    cdef Py_ssize_t n = len(segments), k
    cdef int64_t sid, cid, crowd, area = 0
    # in listed order: id, category, crowd, area; in id order: id, category, area, position
    table = np.empty((8, n), dtype=np.int64)
    cdef int64_t[:, ::1] table_v = table
    cdef dict segment
    for k in range(n):
        item = segments[k]
        if type(item) is not dict:
            return None
        segment = <dict>item
        if not read_int(segment, "id", 0, True, 1, MAX_ID, &sid) or \
                not read_int(segment, "category_id", 0, True, INT64_MIN, INT64_MAX, &cid) or \
                not read_int(segment, "iscrowd", 0, False, 0, 1, &crowd) or \
                (listed_area and not read_int(segment, "area", 0, True, 0, INT64_MAX, &area)):
            return None
        table_v[0, k], table_v[1, k], table_v[2, k], table_v[3, k] = sid, cid, crowd, area
    return sorted_columns(table, n, listed_area, category_ids, category_position)


def json_segment_columns(const int64_t[:, ::1] values, const uint16_t[::1] states,
                         bint listed_area, const int64_t[::1] category_ids,
                         const int64_t[::1] category_position):
    """:func:`segment_columns` of a ``segments_info`` read by
    :func:`fastiou.panoptic._coco_json.read_coco_panoptic`: `values` (n, 4) holds each
    segment's ``id``, ``category_id``, ``iscrowd`` and ``area`` and `states` (n,) two bits a
    key in that order (``KEY_ABSENT``, ``KEY_INT``: a plain int in `values`, ``KEY_OTHER``),
    ``NOT_AN_OBJECT`` for an element that is no JSON object. None where
    :func:`segment_columns` of the same list of dicts gives None."""
    cdef Py_ssize_t n = values.shape[0], k
    cdef uint16_t state
    cdef int64_t crowd
    if states.shape[0] != n or values.shape[1] != 4:
        raise ValueError("one state and four values a segment are needed")
    table = np.empty((8, n), dtype=np.int64)
    cdef int64_t[:, ::1] table_v = table
    for k in range(n):
        state = states[k]
        if state & NOT_AN_OBJECT or (state & 3) != KEY_INT or ((state >> 2) & 3) != KEY_INT \
                or not 1 <= values[k, 0] <= MAX_ID:
            return None
        crowd = 0 if ((state >> 4) & 3) == KEY_ABSENT else values[k, 2]
        if ((state >> 4) & 3) == KEY_OTHER or not 0 <= crowd <= 1:
            return None
        if listed_area and (((state >> 6) & 3) != KEY_INT or values[k, 3] < 0):
            return None
        table_v[0, k], table_v[1, k], table_v[2, k] = values[k, 0], values[k, 1], crowd
        table_v[3, k] = values[k, 3] if listed_area else 0
    return sorted_columns(table, n, listed_area, category_ids, category_position)
