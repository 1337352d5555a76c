"""Per-instance prediction counts of an instance map: cityscapesScripts' instance scores
(``fastiou.compat.cityscapes``) in one pass over the pixels, without temporaries.

Private: the wrapper passes the flat, C-contiguous instance ids and predictions of one image,
of one of the dtypes below (12 pairs), and the range of the ids to count (it groups other
dtypes, and ranges too wide for a table, with NumPy).
"""

from libc.stdint cimport int32_t, int64_t, uint8_t, uint16_t, uint64_t

import numpy as np

# ids above the threshold may span at most this many values (a table of span x columns)
MAX_SPAN = 1 << 16

# no uint8: instance ids are above 1000 (the wrapper never passes a uint8 map, which has none)
ctypedef fused instance_t:
    uint16_t
    int32_t
    int64_t

ctypedef fused prediction_t:
    uint8_t
    uint16_t
    int32_t
    int64_t


cdef inline bint add_run(int64_t value, int64_t label, int64_t run, int64_t low, int64_t span,
                         Py_ssize_t n_columns, int32_t[::1] row_of, int64_t[:, ::1] table,
                         int64_t[::1] outside, Py_ssize_t* n_rows) noexcept nogil:
    """Count `run` pixels of instance id `value` predicted as `label`: ids outside
    ``[low, low + span)`` are no instance; an id gets the next row of `table` the first time
    it comes; labels outside the columns go to `outside`. False when `table` is full."""
    cdef uint64_t offset = <uint64_t>(value - low)
    cdef int32_t row
    if offset >= <uint64_t>span:
        return True
    row = row_of[offset]
    if row < 0:
        if n_rows[0] == table.shape[0]:
            return False
        row = <int32_t>n_rows[0]
        row_of[offset] = row
        n_rows[0] += 1
    if 0 <= label < n_columns:
        table[row, label] += run
    else:
        outside[row] += run
    return True


def instance_counts(const instance_t[::1] instances, const prediction_t[::1] pred,
                    int64_t low, int64_t high, Py_ssize_t n_columns, Py_ssize_t capacity):
    """``(ids, sizes, table)`` of the instance ids in ``[low, high]``: the ids present, in
    increasing order (int64), their pixel counts and an int64 ``(len(ids), n_columns)``
    table of how many of their pixels are predicted as each of ``0 .. n_columns - 1`` (a
    prediction outside is counted in its instance's size only); None when more than
    `capacity` ids are present (call again with a larger one).

    One pass over the pixels, which come in long runs of one (id, prediction) pair: a run
    is counted once it ends, into a row given to each id as it first comes. With 16-bit ids
    and 8-bit predictions (Cityscapes' own) the pixels are compared 8 at a time, and those
    whose ids are all below the highest power of two not above `low` (no instance: every
    label id) are passed over whatever their predictions. The range may span at most
    ``MAX_SPAN`` values.
    """
    cdef Py_ssize_t n = instances.shape[0], i = 0, n_rows = 0, j
    cdef int64_t value, label, current_value = 0, current_label = 0, run = 0
    cdef int64_t span = high - low + 1
    cdef bint fits = True
    cdef int power = 0
    cdef uint16_t high_bits = 0  # ids without these bits are below `low`
    while power < 16 and (<int64_t>1 << (power + 1)) <= low:
        power += 1
    if low < 0x10000:
        high_bits = <uint16_t>(0xFFFF & ~((1 << power) - 1))
    if pred.shape[0] != n:
        raise ValueError(f"{n} instance ids but {pred.shape[0]} predictions")
    if high < low or span > MAX_SPAN or n_columns < 1 or capacity < 1:
        raise ValueError(f"ids in [{low}, {high}], {n_columns} columns and {capacity} rows do "
                         f"not make a table (at most {MAX_SPAN} ids)")
    row_of = np.full(span, -1, dtype=np.int32)
    table = np.zeros((min(capacity, span), n_columns), dtype=np.int64)
    outside = np.zeros(table.shape[0], dtype=np.int64)
    cdef int32_t[::1] row_of_v = row_of
    cdef int64_t[:, ::1] table_v = table
    cdef int64_t[::1] outside_v = outside
    if n:
        current_value, current_label = instances[0], pred[0]
        with nogil:
            while i < n:
                if instance_t is uint16_t and prediction_t is uint8_t:
                    if low >= 1:
                        j = fiou_skip_small_u16(&instances[0], i, n, high_bits)
                        if j != i:  # no instance in [i, j): the current run ends before
                            fits = add_run(current_value, current_label, run, low, span,
                                           n_columns, row_of_v, table_v, outside_v, &n_rows)
                            if not fits:
                                break
                            current_value, current_label, run, i = low - 1, -1, 0, j
                            if i == n:
                                break
                    j = fiou_skip_run_u16_u8(&instances[0], &pred[0], i, n,
                                             <uint16_t>current_value, <uint8_t>current_label)
                    run += j - i
                    i = j
                    if i == n:
                        break
                value = instances[i]
                label = pred[i]
                if value == current_value and label == current_label:
                    run += 1
                else:
                    fits = add_run(current_value, current_label, run, low, span, n_columns,
                                   row_of_v, table_v, outside_v, &n_rows)
                    if not fits:
                        break
                    current_value, current_label, run = value, label, 1
                i += 1
            if fits:
                fits = add_run(current_value, current_label, run, low, span, n_columns, row_of_v,
                               table_v, outside_v, &n_rows)
    if not fits:
        return None
    present = np.flatnonzero(row_of >= 0)
    rows = row_of[present]
    counts = table[rows]
    return present + low, counts.sum(axis=1) + outside[rows], counts
