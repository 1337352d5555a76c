"""Reverse the PNG row filters of 8- and 16-bit single-channel images (and 8-bit RGB(A)).

Private: :func:`fastiou.evaluate._png.read_png` inflates the image data and calls :func:`unfilter`
with an output that is either a caller's reusable array or the start of the inflated
buffer itself: decoding in place is safe because row ``y`` of the image is written
``y + 1`` bytes before the filtered row it comes from, onto bytes already read. The row
loop ``unfilter_rows`` is also cimported (``_unfilter.pxd``) by
``fastiou.evaluate._png_pairs.count_png_pairs``, which decodes a few rows at a time and counts them.

Each row of a PNG is stored as a filter byte (0 None, 1 Sub, 2 Up, 3 Average, 4 Paeth) and
the row's bytes, each minus a prediction from its left neighbour ``a`` (one pixel back),
the byte above ``b`` and the byte above-left ``c``. Sub and Paeth chain every byte to the
one before it, which is what makes them slow when decoded byte by byte. Label maps are
piecewise constant, and two facts let whole stretches of those rows be written at once:

* wherever the row above is flat (``b == c``), Paeth predicts ``a``, so a stretch of zero
  filtered bytes repeats the pixel to its left (as Sub does);
* wherever the previous pixel equals the one above it (``a == c``), Paeth predicts ``b``,
  so a stretch of zero filtered bytes copies the row above.

The ends of stretches are found 8 to 32 bytes at a time, stretches are filled with
``memset``/``memcpy``, and only the bytes at label boundaries go through the full
predictor. Up rows are a plain add, which the compiler vectorises.
"""

from libc.stdint cimport uint8_t, uint64_t
from libc.stdlib cimport abs
from libc.string cimport memcpy, memmove, memset

cdef enum:
    WORD = 8  # bytes compared at once when looking for the end of a stretch

cdef enum Filter:
    NONE = 0
    SUB = 1
    UP = 2
    AVERAGE = 3
    PAETH = 4


cdef inline Py_ssize_t zero_run_end(const uint8_t* filtered, Py_ssize_t start,
                                    Py_ssize_t stop) noexcept nogil:
    """The first index in ``[start, stop)`` whose filtered byte is not 0, else `stop`."""
    cdef uint64_t w0, w1, w2, w3
    cdef Py_ssize_t i = start
    while i + 4 * WORD <= stop:
        memcpy(&w0, filtered + i, WORD)
        memcpy(&w1, filtered + i + WORD, WORD)
        memcpy(&w2, filtered + i + 2 * WORD, WORD)
        memcpy(&w3, filtered + i + 3 * WORD, WORD)
        if w0 | w1 | w2 | w3:
            break
        i += 4 * WORD
    while i + WORD <= stop:
        memcpy(&w0, filtered + i, WORD)
        if w0:
            break
        i += WORD
    while i < stop and filtered[i] == 0:
        i += 1
    return i


cdef inline Py_ssize_t flat_run_end(const uint8_t* filtered, const uint8_t* above,
                                    Py_ssize_t start, Py_ssize_t stop,
                                    Py_ssize_t step) noexcept nogil:
    """The first index ``i >= start`` (``start >= step``) where the filtered byte is not 0
    or the row above changes (``above[i] != above[i - step]``), else `stop`."""
    cdef uint64_t word, here, left
    cdef Py_ssize_t i = start
    while i + WORD <= stop:
        memcpy(&word, filtered + i, WORD)
        memcpy(&here, above + i, WORD)
        memcpy(&left, above + i - step, WORD)
        if word | (here ^ left):
            break
        i += WORD
    while i < stop and filtered[i] == 0 and above[i] == above[i - step]:
        i += 1
    return i


cdef inline void repeat_left(uint8_t* row, Py_ssize_t start, Py_ssize_t stop,
                             Py_ssize_t step) noexcept nogil:
    """Fill ``row[start:stop]`` with the pixel ``row[start - step:start]``, repeated."""
    cdef Py_ssize_t filled = step, chunk, total = stop - start + step
    cdef uint8_t* pattern = row + start - step
    if step == 1:
        memset(row + start, row[start - 1], stop - start)
        return
    while filled < total:  # double the filled part: every copy reads bytes already written
        chunk = filled if filled < total - filled else total - filled
        memcpy(pattern + filled, pattern, chunk)
        filled += chunk


cdef inline bint same_pixel(const uint8_t* row, const uint8_t* above, Py_ssize_t start,
                            Py_ssize_t step) noexcept nogil:
    """Whether the pixel before `start` equals the pixel above it."""
    cdef Py_ssize_t k
    for k in range(1, step + 1):
        if row[start - k] != above[start - k]:
            return False
    return True


cdef inline uint8_t paeth_predictor(int left, int up, int up_left) noexcept nogil:
    cdef int to_left = abs(up - up_left), to_up = abs(left - up_left)
    cdef int to_up_left = abs(left + up - 2 * up_left)
    if to_left <= to_up and to_left <= to_up_left:
        return <uint8_t>left
    if to_up <= to_up_left:
        return <uint8_t>up
    return <uint8_t>up_left


cdef void sub_row(const uint8_t* filtered, uint8_t* row, Py_ssize_t n,
                  Py_ssize_t step) noexcept nogil:
    cdef Py_ssize_t i, stop
    memmove(row, filtered, step if step < n else n)
    i = step
    while i < n:
        stop = zero_run_end(filtered, i, n)
        repeat_left(row, i, stop, step)
        i = stop
        if i < n:
            row[i] = filtered[i] + row[i - step]
            i += 1


cdef void up_row(const uint8_t* filtered, const uint8_t* above, uint8_t* row,
                 Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        row[i] = filtered[i] + above[i]


cdef void average_row(const uint8_t* filtered, const uint8_t* above, uint8_t* row,
                      Py_ssize_t n, Py_ssize_t step) noexcept nogil:
    """Average rows; `above` is NULL on the first row (the row above counts as zeros).

    Where the pixel before equals the pixel above and the row above is flat, the
    prediction is that same pixel again, so zero filtered bytes repeat it.
    """
    cdef Py_ssize_t i, stop
    for i in range(step if step < n else n):
        row[i] = filtered[i] + ((above[i] >> 1) if above != NULL else 0)
    i = step
    while i < n:
        if above == NULL:
            row[i] = filtered[i] + (row[i - step] >> 1)
            i += 1
            continue
        if same_pixel(row, above, i, step):
            stop = flat_run_end(filtered, above, i, n, step)
            repeat_left(row, i, stop, step)
            i = stop
            if i == n:
                break
        row[i] = filtered[i] + ((row[i - step] + above[i]) >> 1)
        i += 1


cdef void paeth_row(const uint8_t* filtered, const uint8_t* above, uint8_t* row,
                    Py_ssize_t n, Py_ssize_t step) noexcept nogil:
    """Paeth rows below the first (on the first row Paeth is Sub)."""
    cdef Py_ssize_t i, stop
    for i in range(step if step < n else n):  # no left pixel: the prediction is `up`
        row[i] = filtered[i] + above[i]
    i = step
    while i < n:
        if same_pixel(row, above, i, step):  # prediction `up` while the filtered bytes are 0
            stop = zero_run_end(filtered, i, n)
            memcpy(row + i, above + i, stop - i)
        else:  # prediction `left` while the row above is flat
            stop = flat_run_end(filtered, above, i, n, step)
            repeat_left(row, i, stop, step)
        i = stop
        if i < n:
            row[i] = filtered[i] + paeth_predictor(row[i - step], above[i], above[i - step])
            i += 1


cdef Py_ssize_t unfilter_rows(const uint8_t* filtered, uint8_t* pixels, Py_ssize_t height,
                              Py_ssize_t n, Py_ssize_t step, const uint8_t* above) noexcept nogil:
    """Reverse the filters of `height` rows of `n` bytes (each stored after its filter byte)
    into `pixels`; `above` is the decoded row above the first one, NULL for an image's first
    row. Returns -1, or the index of the first row whose filter byte is not 0..4."""
    cdef Py_ssize_t y
    cdef const uint8_t* line
    cdef uint8_t* row
    cdef uint8_t kind
    for y in range(height):
        kind = filtered[y * (n + 1)]
        line = filtered + y * (n + 1) + 1
        row = pixels + y * n
        if kind == NONE or (kind == UP and above == NULL):
            memmove(row, line, n)
        elif kind == SUB or (kind == PAETH and above == NULL):
            sub_row(line, row, n, step)
        elif kind == UP:
            up_row(line, above, row, n)
        elif kind == AVERAGE:
            average_row(line, above, row, n, step)
        elif kind == PAETH:
            paeth_row(line, above, row, n, step)
        else:
            return y
        above = row
    return -1


def unfilter(const uint8_t[::1] filtered, uint8_t[:, ::1] pixels, Py_ssize_t bytes_per_pixel):
    """Reverse the row filters of `filtered` into `pixels`, releasing the GIL.

    Parameters
    ----------
    filtered : uint8 buffer of ``height * (1 + row_bytes)`` bytes
        The inflated image data: each row's filter byte, then its ``row_bytes`` bytes.
    pixels : uint8 array, shape (height, row_bytes), C-contiguous
        Receives the pixel bytes (big-endian for 16-bit images). It may be another array
        or a view of the first ``height * row_bytes`` bytes of `filtered`'s own buffer
        (decoding in place); no other overlap is allowed.
    bytes_per_pixel : int
        1 or 2 (label maps), 3 or 4 (8-bit RGB and RGBA: COCO panoptic PNGs).

    Returns
    -------
    int
        -1 when every row was decoded, else the index ``y`` of the first row whose filter
        byte is not 0..4 (when decoding in place, that byte is still at
        ``filtered[y * (1 + row_bytes)]``); the pixels are then undefined.
    """
    cdef Py_ssize_t height = pixels.shape[0], n = pixels.shape[1], bad_row
    if bytes_per_pixel not in (1, 2, 3, 4) or n % bytes_per_pixel or \
            filtered.shape[0] != height * (n + 1):
        raise ValueError(f"{filtered.shape[0]} filtered bytes do not fit {height} rows of {n} "
                         f"bytes at {bytes_per_pixel} byte(s) per pixel")
    if height == 0 or n == 0:
        return -1
    with nogil:
        bad_row = unfilter_rows(&filtered[0], &pixels[0, 0], height, n, bytes_per_pixel, NULL)
    return bad_row
