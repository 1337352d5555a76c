"""A COCO panoptic JSON file read in one compiled pass, each ``segments_info`` list straight
into int64 columns.

Private: ``fastiou.compat.panopticapi`` reads its JSON files with :func:`read_coco_panoptic`
and with ``json.loads`` only when it returns None. ``json.loads`` makes a dict, five ints
and a list for every segment of the file: thousands of objects that cost more than
counting the pixels of the images they describe. This reader checks the whole text
against JSON's grammar, as strictly as ``json.loads`` does, and makes Python objects only
for what panoptic quality reads: the ``categories``, and each annotation's ``image_id``,
``file_name`` and ``segments_info`` (the last as a
:class:`fastiou.panoptic._matching.JsonSegments`: each segment's ``id``, ``category_id``,
``iscrowd`` and ``area`` when they are plain ints, and the list's own text, which
``json.loads`` reads when a segment holds anything else).
"""

from libc.stdint cimport int64_t, uint16_t, uint8_t
from libc.stdlib cimport free, realloc
from libc.string cimport memcmp, memcpy

import json

import numpy as np

from fastiou.panoptic._columns cimport KEY_INT, KEY_OTHER, NOT_AN_OBJECT
from fastiou.panoptic._matching import JsonSegments

cdef enum:
    MAX_DEPTH = 200         # deeper nesting: json.loads decides what it is
    PLAIN_INT_DIGITS = 18   # an int of more digits is read by json.loads (no int64 overflow)
    QUOTE = 34
    BACKSLASH = 92
    COMMA = 44
    COLON = 58
    MINUS = 45
    OPEN_ARRAY = 91
    CLOSE_ARRAY = 93
    OPEN_OBJECT = 123
    CLOSE_OBJECT = 125

# the keys this reader looks for, each at its position in the states (see _columns.pxd)
cdef tuple TOP_KEYS = (b"annotations", b"categories")
cdef tuple ANNOTATION_KEYS = (b"image_id", b"file_name", b"segments_info")
cdef tuple SEGMENT_KEYS = (b"id", b"category_id", b"iscrowd", b"area")

# Every function below returns the position after what it read, or -1: the text is no
# JSON as this reader takes it (the caller then lets json.loads read it, or say what is
# wrong). `s[0:n]` is the text, known to be UTF-8: bytes of 0x80 and above occur in strings
# only (anywhere else they are not JSON), where they are taken as they are.


cdef inline bint is_digit(uint8_t c) noexcept nogil:
    return 48 <= c <= 57


cdef inline bint is_hex(uint8_t c) noexcept nogil:
    return is_digit(c) or 65 <= c <= 70 or 97 <= c <= 102


cdef inline Py_ssize_t skip_space(const uint8_t* s, Py_ssize_t i, Py_ssize_t n) noexcept nogil:
    while i < n and (s[i] == 32 or s[i] == 10 or s[i] == 13 or s[i] == 9):
        i += 1
    return i


cdef Py_ssize_t skip_string(const uint8_t* s, Py_ssize_t i, Py_ssize_t n,
                            bint* escaped) noexcept nogil:
    """A string at ``s[i] == '"'``; `escaped` is set when it holds an escape."""
    cdef uint8_t c
    cdef int k
    i += 1
    while i < n:
        c = s[i]
        if c == QUOTE:
            return i + 1
        if c < 32:  # a control character: json.loads (strict) refuses it
            return -1
        if c == BACKSLASH:
            escaped[0] = True
            if i + 1 >= n:
                return -1
            c = s[i + 1]
            if c == 117:  # \uXXXX
                if i + 5 >= n:
                    return -1
                for k in range(2, 6):
                    if not is_hex(s[i + k]):
                        return -1
                i += 6
                continue
            if c != QUOTE and c != BACKSLASH and c != 47 and c != 98 and c != 102 \
                    and c != 110 and c != 114 and c != 116:
                return -1
            i += 2
            continue
        i += 1
    return -1


cdef Py_ssize_t skip_number(const uint8_t* s, Py_ssize_t i, Py_ssize_t n) noexcept nogil:
    """A number: ``-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`` (NaN and Infinity, which
    json.loads also reads, are left to it)."""
    if i < n and s[i] == MINUS:
        i += 1
    if i >= n or not is_digit(s[i]):
        return -1
    if s[i] == 48:
        i += 1
    else:
        while i < n and is_digit(s[i]):
            i += 1
    if i < n and s[i] == 46:
        i += 1
        if i >= n or not is_digit(s[i]):
            return -1
        while i < n and is_digit(s[i]):
            i += 1
    if i < n and (s[i] == 101 or s[i] == 69):
        i += 1
        if i < n and (s[i] == 43 or s[i] == MINUS):
            i += 1
        if i >= n or not is_digit(s[i]):
            return -1
        while i < n and is_digit(s[i]):
            i += 1
    return i


cdef bint plain_int(const uint8_t* s, Py_ssize_t start, Py_ssize_t end,
                    int64_t* out) noexcept nogil:
    """Whether the number ``s[start:end]`` is an int of at most PLAIN_INT_DIGITS digits, read
    into `out`."""
    cdef bint negative = s[start] == MINUS
    cdef int64_t value = 0
    cdef Py_ssize_t k
    if end - start - negative > PLAIN_INT_DIGITS:
        return False
    for k in range(start + negative, end):
        if not is_digit(s[k]):  # a fraction or an exponent
            return False
        value = value * 10 + (s[k] - 48)
    out[0] = -value if negative else value
    return True


cdef inline Py_ssize_t skip_word(const uint8_t* s, Py_ssize_t i, Py_ssize_t n,
                                 const char* word, Py_ssize_t length) noexcept nogil:
    if i + length <= n and memcmp(s + i, word, length) == 0:
        return i + length
    return -1


cdef Py_ssize_t open_container(const uint8_t* s, Py_ssize_t i, Py_ssize_t n, uint8_t close,
                               bint* more) noexcept nogil:
    """Past the opening bracket at `i`: the first member's position (`more`), or the
    position after an immediate `close`. A position returned with `more` is inside the
    text (as is every value position below)."""
    i = skip_space(s, i + 1, n)
    if i >= n:
        return -1
    more[0] = s[i] != close
    return i if more[0] else i + 1


cdef Py_ssize_t next_member(const uint8_t* s, Py_ssize_t i, Py_ssize_t n, uint8_t close,
                            bint* more) noexcept nogil:
    """After a member's value: past a comma to the next member (`more`), or past `close`."""
    i = skip_space(s, i, n)
    if i < n and s[i] == COMMA:
        more[0] = True
        i = skip_space(s, i + 1, n)
        return i if i < n else -1
    more[0] = False
    return i + 1 if i < n and s[i] == close else -1


cdef Py_ssize_t member_value(const uint8_t* s, Py_ssize_t i, Py_ssize_t n, Py_ssize_t* key_end,
                             bint* escaped) noexcept nogil:
    """A member's ``"key" :`` at `i`: the position of its value; the key ends at `key_end`."""
    if i >= n or s[i] != QUOTE:
        return -1
    escaped[0] = False
    i = skip_string(s, i, n, escaped)
    key_end[0] = i
    if i < 0:
        return -1
    i = skip_space(s, i, n)
    if i >= n or s[i] != COLON:
        return -1
    i = skip_space(s, i + 1, n)
    return i if i < n else -1


cdef Py_ssize_t skip_value(const uint8_t* s, Py_ssize_t i, Py_ssize_t n, int depth) noexcept nogil:
    """Any JSON value at `i`, nested at most MAX_DEPTH deep."""
    cdef bint more, escaped
    cdef Py_ssize_t key_end
    cdef uint8_t c
    if i >= n or depth > MAX_DEPTH:
        return -1
    c = s[i]
    if c == QUOTE:
        return skip_string(s, i, n, &escaped)
    if c == OPEN_OBJECT or c == OPEN_ARRAY:
        i = open_container(s, i, n, c + 2, &more)  # '}' is '{' + 2, ']' is '[' + 2
        while i >= 0 and more:
            if c == OPEN_OBJECT:
                i = member_value(s, i, n, &key_end, &escaped)
                if i < 0:
                    return -1
            i = skip_value(s, i, n, depth + 1)
            if i >= 0:
                i = next_member(s, i, n, c + 2, &more)
        return i
    if c == 116:
        return skip_word(s, i, n, "true", 4)
    if c == 102:
        return skip_word(s, i, n, "false", 5)
    if c == 110:
        return skip_word(s, i, n, "null", 4)
    return skip_number(s, i, n)


cdef Py_ssize_t member(bytes text, const uint8_t* s, Py_ssize_t i, Py_ssize_t n, tuple keys,
                       int* key) except -2:
    """A member's ``"key" :`` at `i`: the position of its value; `key` is the key's position
    in `keys`, or -1."""
    cdef Py_ssize_t start = i, end
    cdef bint escaped
    i = member_value(s, i, n, &end, &escaped)
    if i >= 0:
        key[0] = key_position(text, s, start, end, escaped, keys)
    return i


cdef int key_position(bytes text, const uint8_t* s, Py_ssize_t start, Py_ssize_t end,
                      bint escaped, tuple keys) except -2:
    """The position in `keys` of the string ``s[start:end]`` (quotes included), or -1."""
    cdef bytes key
    cdef int k
    if escaped:  # compare the key json.loads would see
        decoded = json.loads(text[start:end])
        for k in range(len(keys)):
            if decoded == (<bytes>keys[k]).decode("ascii"):
                return k
        return -1
    for k in range(len(keys)):
        key = <bytes>keys[k]
        if end - start - 2 == len(key) and memcmp(s + start + 1, <const char*>key, len(key)) == 0:
            return k
    return -1


cdef object value_object(bytes text, const uint8_t* s, Py_ssize_t start, Py_ssize_t end):
    """The Python object json.loads makes of the value ``s[start:end]``."""
    cdef int64_t value
    cdef Py_ssize_t k
    if s[start] == QUOTE:
        for k in range(start + 1, end - 1):
            if s[k] == BACKSLASH:
                break
        else:  # as json.loads decodes the bytes it is given
            return text[start + 1:end - 1].decode("utf-8", "surrogatepass")
    elif (s[start] == MINUS or is_digit(s[start])) and plain_int(s, start, end, &value):
        return value
    return json.loads(text[start:end])


cdef struct SegmentRows:
    int64_t* values    # four a segment: id, category_id, iscrowd, area
    uint16_t* states   # one a segment (see _columns.pxd)
    Py_ssize_t n
    Py_ssize_t capacity


cdef int grow(SegmentRows* rows) except -1:
    cdef Py_ssize_t capacity = max(64, 2 * rows.capacity)
    cdef int64_t* values = <int64_t*>realloc(rows.values, 4 * capacity * sizeof(int64_t))
    if values == NULL:
        raise MemoryError()
    rows.values = values
    cdef uint16_t* states = <uint16_t*>realloc(rows.states, capacity * sizeof(uint16_t))
    if states == NULL:
        raise MemoryError()
    rows.states = states
    rows.capacity = capacity
    return 0


cdef Py_ssize_t read_segment(bytes text, const uint8_t* s, Py_ssize_t i, Py_ssize_t n,
                             int64_t* values, uint16_t* state, int depth) except -2:
    """The segment object at `i` into `values` and `state` (the last of repeated keys wins,
    as in json.loads)."""
    cdef bint more
    cdef Py_ssize_t start
    cdef int key
    cdef int64_t value
    i = open_container(s, i, n, CLOSE_OBJECT, &more)
    while i >= 0 and more:
        i = member(text, s, i, n, SEGMENT_KEYS, &key)
        if i < 0:
            return -1
        start = i
        i = skip_value(s, i, n, depth + 1)
        if i < 0:
            return -1
        if key >= 0:
            state[0] &= ~(3 << (2 * key))
            if (s[start] == MINUS or is_digit(s[start])) and plain_int(s, start, i, &value):
                state[0] |= KEY_INT << (2 * key)
                values[key] = value
            else:
                state[0] |= KEY_OTHER << (2 * key)
        i = next_member(s, i, n, CLOSE_OBJECT, &more)
    return i


cdef Py_ssize_t read_segments(bytes text, const uint8_t* s, Py_ssize_t i, Py_ssize_t n,
                              SegmentRows* rows, int depth) except -2:
    """The ``segments_info`` array at `i` into `rows` (emptied first)."""
    cdef bint more
    cdef int64_t* values
    rows.n = 0
    i = open_container(s, i, n, CLOSE_ARRAY, &more)
    while i >= 0 and more:
        if rows.n == rows.capacity:
            grow(rows)
        values = rows.values + 4 * rows.n
        values[0] = values[1] = values[2] = values[3] = 0
        rows.states[rows.n] = 0
        if s[i] == OPEN_OBJECT:
            i = read_segment(text, s, i, n, values, &rows.states[rows.n], depth + 1)
        else:
            i = skip_value(s, i, n, depth + 1)
            rows.states[rows.n] = NOT_AN_OBJECT
        rows.n += 1
        if i >= 0:
            i = next_member(s, i, n, CLOSE_ARRAY, &more)
    return i


cdef object json_segments(bytes text, Py_ssize_t start, Py_ssize_t end, SegmentRows* rows):
    values = np.empty((rows.n, 4), dtype=np.int64)
    states = np.empty(rows.n, dtype=np.uint16)
    cdef int64_t[:, ::1] values_v = values
    cdef uint16_t[::1] states_v = states
    if rows.n:
        memcpy(&values_v[0, 0], rows.values, 4 * rows.n * sizeof(int64_t))
        memcpy(&states_v[0], rows.states, rows.n * sizeof(uint16_t))
    return JsonSegments(values, states, text[start:end])


cdef Py_ssize_t read_annotation(bytes text, const uint8_t* s, Py_ssize_t i, Py_ssize_t n,
                                dict annotation, SegmentRows* rows, int depth) except -2:
    """The annotation object at `i`: its image_id, file_name and segments_info into
    `annotation` (its other keys are checked and left out)."""
    cdef bint more
    cdef Py_ssize_t start
    cdef int key
    i = open_container(s, i, n, CLOSE_OBJECT, &more)
    while i >= 0 and more:
        i = member(text, s, i, n, ANNOTATION_KEYS, &key)
        if i < 0:
            return -1
        start = i
        if key == 2 and s[i] == OPEN_ARRAY:
            i = read_segments(text, s, i, n, rows, depth + 1)
            if i >= 0:
                annotation["segments_info"] = json_segments(text, start, i, rows)
        else:
            i = skip_value(s, i, n, depth + 1)
            if i >= 0 and key >= 0:
                annotation[(<bytes>ANNOTATION_KEYS[key]).decode("ascii")] = \
                    value_object(text, s, start, i)
        if i >= 0:
            i = next_member(s, i, n, CLOSE_OBJECT, &more)
    return i


cdef Py_ssize_t read_annotations(bytes text, const uint8_t* s, Py_ssize_t i, Py_ssize_t n,
                                 list annotations, SegmentRows* rows) except -2:
    """The ``annotations`` array at `i`, an element at a time into `annotations`."""
    cdef bint more
    cdef Py_ssize_t start
    cdef dict annotation
    i = open_container(s, i, n, CLOSE_ARRAY, &more)
    while i >= 0 and more:
        start = i
        if s[i] == OPEN_OBJECT:
            annotation = {}
            i = read_annotation(text, s, i, n, annotation, rows, 2)
            annotations.append(annotation)
        else:
            i = skip_value(s, i, n, 2)
            if i >= 0:
                annotations.append(json.loads(text[start:i]))
        if i >= 0:
            i = next_member(s, i, n, CLOSE_ARRAY, &more)
    return i


def read_coco_panoptic(bytes text):
    """``{"annotations": [...], "categories": [...]}`` of a COCO panoptic JSON text, or None.

    The keys present in the text's top-level object, as ``json.loads(text)`` gives them,
    but each annotation keeps only ``image_id``, ``file_name`` and ``segments_info``, and
    a ``segments_info`` array is a :class:`fastiou.panoptic._matching.JsonSegments`. None
    when the text is not UTF-8 (or starts with a byte-order mark), not an object at the top
    level, deeper than 200 levels or not valid JSON: ``json.loads`` then reads it or says
    what is wrong.
    """
    cdef const uint8_t* s = <const uint8_t*><const char*>text
    cdef Py_ssize_t n = len(text), i, start
    cdef bint more
    cdef int key
    cdef SegmentRows rows
    if not text.isascii():
        try:  # what json.loads does with bytes that are no BOM-less UTF-8 is left to it
            text.decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            return None
    i = skip_space(s, 0, n)
    if i >= n or s[i] != OPEN_OBJECT:
        return None
    data = {}
    rows.values, rows.states, rows.n, rows.capacity = NULL, NULL, 0, 0
    try:
        i = open_container(s, i, n, CLOSE_OBJECT, &more)
        while i >= 0 and more:
            i = member(text, s, i, n, TOP_KEYS, &key)
            if i < 0:
                return None
            start = i
            if key == 0 and s[i] == OPEN_ARRAY:
                annotations = []
                i = read_annotations(text, s, i, n, annotations, &rows)
                data["annotations"] = annotations
            else:
                i = skip_value(s, i, n, 1)
                if i >= 0 and key >= 0:
                    data[(<bytes>TOP_KEYS[key]).decode("ascii")] = json.loads(text[start:i])
            if i >= 0:
                i = next_member(s, i, n, CLOSE_OBJECT, &more)
    finally:
        free(rows.values)
        free(rows.states)
    if i < 0 or skip_space(s, i, n) != n:
        return None
    return data
