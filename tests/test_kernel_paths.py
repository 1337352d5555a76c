"""Every code path of the confusion-matrix kernel against the naive kernel and the NumPy
reference: each SIMD level this machine has (scalar, AVX2, AVX-512, AVX-512 VBMI2), runs that straddle
the 64-pair blocks, tails shorter than a block, the uint32 byte tables near their flush
point, every label dtype, ignore values inside and outside the class range, negative and
out-of-range labels."""

import platform
from pathlib import Path

import numpy as np
import pytest

import fastiou
from fastiou import reference
from fastiou.segmentation import _byte_tables, _confusion, _naive, _simd
from fastiou._shared._validation import as_label_array

DTYPES = ["uint8", "int8", "uint16", "int16", "uint32", "int32", "uint64", "int64"]
LEVELS = _simd._simd_levels()
BYTE_TABLE_MIN_PAIRS = _confusion._byte_table_min_pairs()


@pytest.fixture(params=LEVELS, ids=lambda level: f"simd{level}")
def simd_level(request):
    old = _simd._set_simd_cap(request.param)
    yield request.param
    _simd._set_simd_cap(old)


@pytest.fixture
def flush_every(request):
    old = _byte_tables._set_byte_flush_interval(request.param)
    yield request.param
    _byte_tables._set_byte_flush_interval(old)


def run_lengths_labels(rng, dtype, size, num_classes, lengths, specials=()):
    """Runs of one label with lengths drawn from `lengths`; some runs take a value from
    `specials` (out of range, negative, ignore values) instead of a class."""
    values = []
    total = 0
    choices = list(range(num_classes)) + list(specials)
    while total < size:
        length = int(rng.choice(lengths))
        values.append(np.full(length, choices[rng.integers(len(choices))], dtype=dtype))
        total += length
    return np.concatenate(values)[:size] if values else np.zeros(0, dtype)


def specials_for(dtype, num_classes):
    info = np.iinfo(dtype)
    values = [num_classes, info.max, min(255, info.max)]
    if info.min < 0:
        values += [-1, info.min]
    return values


def as_int64(labels):
    """Labels as int64 for the reference; uint64 values above the int64 range (out of range
    for any class count) clamp to its maximum, which no test uses otherwise."""
    if labels.dtype.kind == "u":
        return np.minimum(labels.astype(np.uint64), np.iinfo(np.int64).max).astype(np.int64)
    return labels.astype(np.int64)


def expected_counts(truth, pred, num_classes, ignore):
    return reference.confusion_counts(as_int64(truth), as_int64(pred), num_classes,
                                      as_int64(ignore).tolist())


def assert_same(actual, expected):
    np.testing.assert_array_equal(actual[0], expected[0])
    np.testing.assert_array_equal(actual[1], expected[1])
    assert actual[0].dtype == np.int64 and actual[1].dtype == np.int64
    assert tuple(actual[2:]) == tuple(expected[2:])


def check(truth, pred, num_classes, ignore, threads=(1, 2, 3)):
    ignore = np.array(ignore, dtype=truth.dtype)
    expected = expected_counts(truth, pred, num_classes, ignore)
    assert_same(_naive.naive_confusion_counts(truth, pred, num_classes, ignore), expected)
    for n_threads in threads:
        assert_same(_confusion.confusion_counts(truth, pred, num_classes, ignore, n_threads), expected)


# sizes: tails shorter than a block, exact blocks, blocks plus a tail
SIZES = [0, 1, 31, 63, 64, 65, 127, 128, 129, 200, 64 * 7 + 13]
RUNS = {"noise": [1], "short": [1, 2, 3, 5], "block": [63, 64, 65], "long": [100, 500, 3000]}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("runs", list(RUNS), ids=str)
def test_runs_straddling_blocks(simd_level, dtype, runs):
    rng = np.random.default_rng(DTYPES.index(dtype) * 10 + len(runs))
    num_classes = 6
    specials = specials_for(dtype, num_classes)
    for size in SIZES:
        truth = run_lengths_labels(rng, dtype, size, num_classes, RUNS[runs], specials)
        pred = truth.copy()
        noisy = rng.random(size) < 0.05
        pred[noisy] = run_lengths_labels(rng, dtype, int(noisy.sum()), num_classes, [1], specials)
        for ignore in ([], [1], [num_classes, 2], specials[-2:]):
            check(truth, pred, num_classes, ignore, threads=(1, 2))


@pytest.mark.parametrize("dtype", DTYPES)
def test_every_lane_of_a_block_can_differ(simd_level, dtype):
    """A block that matches its first and last pair except in one lane, for each lane."""
    num_classes = 5
    for lane in range(64):
        truth = np.full(64 * 3 + 7, 2, dtype=dtype)
        pred = np.full(truth.shape, 3, dtype=dtype)
        truth[64 + lane] = 4
        pred[lane] = 1
        pred[128 + lane] = num_classes  # out of range
        check(truth, pred, num_classes, [], threads=(1,))


@pytest.mark.parametrize("dtype", DTYPES)
def test_runs_behind_lone_noisy_pairs(simd_level, dtype):
    """Blocks of two to five runs whose first and last pairs, and the first lanes of each run,
    are lone wrong predictions: the reference pairs must be found behind them (a run
    start is a lane equal to its neighbour), runs of exactly two included. One-byte labels
    also through the byte tables (from BYTE_TABLE_MIN_PAIRS pairs on)."""
    rng = np.random.default_rng(17 + DTYPES.index(dtype))
    num_classes = 12
    specials = specials_for(dtype, num_classes)
    for trial in range(40):
        lengths = [2, 3, 7, 20, 32, 45] if trial % 2 else [2, 2, 5]
        one_byte = np.dtype(dtype).itemsize == 1 and trial < 6
        size = BYTE_TABLE_MIN_PAIRS + 64 * 3 + 9 if one_byte else 64 * 6 + 9
        truth = run_lengths_labels(rng, dtype, size, num_classes, lengths)
        pred = truth.copy()
        starts = np.flatnonzero(np.diff(truth.astype(np.int64), prepend=-1))
        lone = np.concatenate([starts, starts + 1, np.arange(0, truth.size, 64),
                               np.arange(63, truth.size, 64)])
        lone = lone[(lone < truth.size) & (rng.random(lone.size) < 0.6)]
        pred[lone] = rng.integers(0, num_classes, lone.size)
        if trial % 5 == 0:  # out-of-range pairs, alone and in a run of three
            pred[rng.integers(0, truth.size, 4)] = specials[0]
            spot = rng.integers(0, truth.size - 3)
            pred[spot:spot + 3] = specials[0]
            truth[spot:spot + 3] = truth[spot]
        check(truth, pred, num_classes, [] if trial % 3 else [5], threads=(1, 2))


@pytest.mark.parametrize("dtype", DTYPES)
def test_first_and_last_pair_out_of_range_or_ignored(simd_level, dtype):
    num_classes = 4
    specials = specials_for(dtype, num_classes)
    for special in specials:
        truth = np.full(64 * 4, 1, dtype=dtype)
        pred = np.full(truth.shape, 2, dtype=dtype)
        truth[0] = truth[63] = special           # block 0: truth refs out of range
        pred[64] = pred[127] = special           # block 1: prediction refs out of range
        truth[128:192] = special                  # block 2: all out of range
        for ignore in ([], [special], [1]):
            check(truth, pred, num_classes, ignore, threads=(1, 2))


@pytest.mark.parametrize("dtype", ["uint8", "int8"])
@pytest.mark.parametrize("flush_every", [4093, 2 ** 16 + 1], indirect=True)
@pytest.mark.parametrize("chunk_pairs", [1, 1000, 2 ** 18], indirect=True)
def test_byte_tables_across_flushes(simd_level, flush_every, chunk_pairs, dtype):
    """Large one-byte inputs take the 65536-bin uint32 tables; flushing them every few pairs
    (a test hook) must not change a count, nor must the chunks the threads take in turn
    (a thread's tables, and the pairs they hold since their last flush, carry over from
    one of its chunks to the next)."""
    rng = np.random.default_rng(flush_every + chunk_pairs)
    size = BYTE_TABLE_MIN_PAIRS + 77
    info = np.iinfo(dtype)
    truth = run_lengths_labels(rng, dtype, size, 19, [1, 40, 64, 700], [info.min, info.max, 19])
    pred = truth.copy()
    noisy = rng.random(size) < 0.1
    pred[noisy] = rng.integers(info.min, info.max + 1, int(noisy.sum()))
    check(truth, pred, 19, [info.max, 3], threads=(1, 2, 3, 4))


@pytest.mark.parametrize("dtype", ["uint8", "int8"])
@pytest.mark.parametrize("pattern", ["random", "middle_run", "alternating"])
def test_byte_code_buffer(simd_level, dtype, pattern):
    """The one-byte SIMD loops append the lanes left after a block's first and last pair to
    a buffer of 16-bit codes counted in bulk: random blocks fill it 64 lanes at a time (and
    switch AVX2 to whole blocks), a run inside every block fills it with one code, and
    random blocks between runs switch whole-block appending on and off."""
    rng = np.random.default_rng(len(pattern))
    size = BYTE_TABLE_MIN_PAIRS + 64 * 3 + 17
    info = np.iinfo(dtype)
    if pattern == "random":
        truth = rng.integers(info.min, info.max + 1, size).astype(dtype)
        pred = rng.integers(info.min, info.max + 1, size).astype(dtype)
    elif pattern == "middle_run":
        truth = np.full(size, 5, dtype=dtype)
        pred = np.full(size, 6, dtype=dtype)
        pred[::64] = 1                     # first lane of each block
        truth[63::64] = 2                  # last lane: lanes 1..62 share one code
    else:
        truth = run_lengths_labels(rng, dtype, size, 19, [64 * 9, 64 * 11], [info.max])
        pred = truth.copy()
        noisy_blocks = rng.random(size // 64 + 1) < 0.3
        noisy = np.repeat(noisy_blocks, 64)[:size] & (rng.random(size) < 0.9)
        pred[noisy] = rng.integers(info.min, info.max + 1, int(noisy.sum()))
    check(truth, pred, 19, [info.max, 3], threads=(1, 2))


@pytest.mark.parametrize("dtype", ["uint8", "int8"])
def test_byte_tables_are_left_zero_for_the_next_call(simd_level, dtype):
    """The byte tables are kept per thread and not zeroed on entry: the fold zeroes every
    row it counted, ignored and out-of-range truth rows included. A call that counts every
    one of the 256 truth bytes, then calls with other data, other thread counts, class
    counts and ignore sets must each equal the reference and leave the tables zero."""
    rng = np.random.default_rng(11)
    info = np.iinfo(dtype)
    size = BYTE_TABLE_MIN_PAIRS + 129
    every_byte = rng.integers(info.min, info.max + 1, size).astype(dtype)
    smooth = run_lengths_labels(rng, dtype, size, 7, [50, 300], [info.max])
    calls = [(every_byte, every_byte[::-1].copy(), 19, [info.max, 3], 2),
             (smooth, smooth, 7, [], 1),
             (every_byte, smooth, 200 if info.max > 200 else 100, [0], 3),
             (smooth, every_byte, 7, [info.max], 1)]
    for truth, pred, num_classes, ignore, n_threads in calls:
        ignore = np.array(ignore, dtype=dtype)
        assert_same(_confusion.confusion_counts(truth, pred, num_classes, ignore, n_threads),
                    expected_counts(truth, pred, num_classes, ignore))
        assert _byte_tables._byte_tables_are_zero()


def test_one_counter_reaches_the_flush_interval(simd_level):
    """A single pair repeated exactly `flush interval` times and then more, per thread."""
    old = _byte_tables._set_byte_flush_interval(2 ** 19)
    try:
        for size in (2 ** 19, 2 ** 20, 2 ** 20 + 1):
            truth = np.full(size, 7, dtype=np.uint8)
            pred = np.full(size, 7, dtype=np.uint8)
            check(truth, pred, 8, [], threads=(1, 2))
    finally:
        _byte_tables._set_byte_flush_interval(old)


def test_flush_interval_hook_rejects_values_that_could_overflow():
    with pytest.raises(ValueError, match="pairs"):
        _byte_tables._set_byte_flush_interval(2 ** 32)
    with pytest.raises(ValueError, match="pairs"):
        _byte_tables._set_byte_flush_interval(0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_many_classes_and_all_labels_distinct(simd_level, dtype):
    rng = np.random.default_rng(5)
    num_classes = 300 if np.iinfo(dtype).max >= 300 else 100
    size = 5000
    truth = rng.integers(0, num_classes + 3, size).astype(dtype)
    pred = rng.integers(0, num_classes + 3, size).astype(dtype)
    check(truth, pred, num_classes, [num_classes + 1, 0])


@pytest.mark.parametrize("dtype", DTYPES[2:])
@pytest.mark.parametrize("num_classes", [3, 300])
def test_wide_labels_whose_low_bits_look_like_a_class(simd_level, dtype, num_classes):
    """Labels whose low 8, 16 or 32 bits (what a narrowing kernel would keep) are a valid
    class but whose value is not: out of range, in runs, alone in a block and in the
    noise, whatever the block compares narrow the labels to."""
    info = np.iinfo(dtype)
    disguised = [k + (1 << bits) * m for bits in (8, 16, 32) for m in (1, -1) for k in (0, 2)
                 if info.min <= k + (1 << bits) * m <= info.max]
    rng = np.random.default_rng(len(disguised) + num_classes)
    size = 64 * 12 + 9
    truth = run_lengths_labels(rng, dtype, size, num_classes, [1, 20, 64, 130], disguised)
    pred = truth.copy()
    noisy = rng.random(size) < 0.2
    pred[noisy] = run_lengths_labels(rng, dtype, int(noisy.sum()), num_classes, [1], disguised)
    for ignore in ([], disguised[:1], [disguised[-1], 1]):
        check(truth, pred, num_classes, ignore, threads=(1, 2))


@pytest.mark.parametrize("dtype", ["uint8", "int8"])
def test_one_thread_counts_past_the_uint32_range(dtype):
    """More than 2**32 equal pairs on one thread: the uint32 tables must be flushed before
    they wrap (lazily allocated zero pages keep this cheap)."""
    n = 2 ** 32 + 1000
    truth = np.zeros(n, dtype=dtype)
    pred = np.zeros(n, dtype=dtype)
    truth[-1] = 1
    pred[2 ** 32 - 1] = 2
    matrix, miss, n_bad_true, n_bad_pred = _confusion.confusion_counts(
        truth, pred, 3, np.zeros(0, dtype=dtype), 1)
    expected = np.zeros((3, 3), dtype=np.int64)
    expected[0, 0] = n - 2
    expected[0, 2] = expected[1, 0] = 1
    np.testing.assert_array_equal(matrix, expected)
    assert (miss.sum(), n_bad_true, n_bad_pred) == (0, 0, 0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size", [64 * 9 + 5, BYTE_TABLE_MIN_PAIRS + 129])
def test_more_ignore_values_than_the_block_compares_mask(simd_level, dtype, size):
    """The SIMD loops drop lanes whose truth is one of the first few ignore values with a
    block compare; the others take the one-by-one path. Runs of ignored truth come with
    random predictions, as in void regions."""
    rng = np.random.default_rng(size)
    num_classes = 7
    specials = specials_for(dtype, num_classes)
    truth = run_lengths_labels(rng, dtype, size, num_classes, [30, 64, 90], specials)
    pred = rng.integers(0, num_classes + 2, size).astype(dtype)
    calm = rng.random(size) < 0.7
    pred[calm] = truth[calm]
    for ignore in ([0, 1, 2, 3, 4, 5], specials + [6, 2], [3, num_classes, 1, 5, 0]):
        check(truth, pred, num_classes, ignore, threads=(1, 2))


def test_narrow_tables_are_taken_from_725_classes_with_simd(simd_level):
    """Several threads count into uint16 tables at the SIMD levels (AVX2 and AVX-512) once an
    int64 table passes 4 MiB (725 classes) and while codes t * C + p fit 32 bits; never
    below, never in the scalar loop."""
    narrow = [_confusion.uses_narrow_tables(c) for c in (0, 1, 19, 300, 724, 725, 1000, 65535, 65536)]
    assert narrow == [False] * 5 + [simd_level >= 1] * 3 + [False]


@pytest.mark.parametrize("dtype", ["uint16", "int16", "int32", "uint64", "int64"])
def test_narrow_counters_that_pass_65535_reach_the_matrix(simd_level, dtype):
    """Counters of a uint16 table that would pass 65535 are emptied into the thread's
    overflow log, whose counts the matrix then gets: through long runs (popcounts added at once) and through lanes queued one by one
    (a block of 64 distinct predictions repeated 70,000 times a thread). Out-of-range and
    ignored labels ride along; every thread count gives the reference's counts."""
    num_classes = 800
    blocks = 70_000
    distinct = np.tile(np.arange(64, dtype=dtype), 2 * blocks)
    runs = np.full(3 * 70_000, 5, dtype=dtype)
    truth = np.concatenate([np.zeros_like(distinct), runs, np.full(200, 799, dtype=dtype)])
    pred = np.concatenate([distinct, runs, np.full(200, 798, dtype=dtype)])
    truth[1000:1010] = num_classes + 7
    pred[2000:2010] = num_classes
    truth[3000:3500] = 7
    for ignore in ([], [7]):
        check(truth, pred, num_classes, ignore, threads=(1, 2, 3))


@pytest.mark.parametrize("dtype", DTYPES)
def test_narrow_tables_on_noisy_maps_of_1000_classes(simd_level, dtype):
    """The bench's kind of map (blocks of one class, 10 % of the predictions random) with
    1000 classes: codes queued far past the cache into the uint16 tables (one-byte labels,
    below the byte tables' threshold so that they take this loop too, into int64 tables:
    the loops have no narrow copy for them)."""
    rng = np.random.default_rng(11)
    top = min(1002, np.iinfo(dtype).max + 1)
    blocks = 6000 if np.dtype(dtype).itemsize > 1 else BYTE_TABLE_MIN_PAIRS // 64 - 1
    truth = np.repeat(rng.integers(0, top, blocks), 64).astype(dtype)
    pred = truth.copy()
    noisy = rng.random(truth.size) < 0.1
    pred[noisy] = rng.integers(0, top, int(noisy.sum()))
    check(truth, pred, 1000, [min(999, np.iinfo(dtype).max), 3], threads=(2, 3))


@pytest.mark.parametrize("dtype", DTYPES[2:])
@pytest.mark.parametrize("num_classes", [255, 256, 257])
def test_short_codes_up_to_256_classes(simd_level, dtype, num_classes):
    """With VBMI2 and up to 256 classes the queued codes are 16 bits wide. The largest codes
    (255 * 256 + 255 = 65535 at 256 classes) go through it: noisy blocks near the top classes,
    blocks of 64 distinct codes (a batch of the queue passed within one block; more than one
    batch of 4096 codes in all, as these matrices are past L1), out-of-range and ignored
    labels beside them. 257 classes take the 32-bit queue. Every thread count gives the
    reference's counts."""
    rng = np.random.default_rng(num_classes)
    truth = np.repeat(rng.integers(num_classes - 3, num_classes, 1200), 64).astype(dtype)
    pred = truth.copy()
    noisy = rng.random(truth.size) < 0.1
    pred[noisy] = rng.integers(0, num_classes, int(noisy.sum()))
    pred[64 * 10:64 * 20] = np.tile(np.arange(num_classes - 64, num_classes), 10)
    truth[64 * 30 + 5] = num_classes
    pred[64 * 31 + 9] = num_classes
    check(truth, pred, num_classes, [num_classes - 2, 0], threads=(1, 2, 3))


@pytest.fixture(params=[0, 64, 4096], ids=lambda ahead: f"ahead{ahead}")
def label_prefetch(request):
    old = _simd._set_label_prefetch(request.param)
    yield request.param
    _simd._set_label_prefetch(old)


@pytest.mark.parametrize("dtype", DTYPES[2:])
def test_labels_asked_for_ahead_or_not_count_alike(simd_level, label_prefetch, dtype):
    """On Intel CPUs the keyed loops ask for their labels some bytes ahead, elsewhere not:
    every distance (0: not at all) gives the reference's counts, with short codes (19
    classes), the 32-bit queue into narrow tables (1000 classes), out-of-range and ignored
    labels and a tail shorter than a block, where the requests reach past the arrays' end."""
    rng = np.random.default_rng(label_prefetch + DTYPES.index(dtype))
    for num_classes in (19, 1000):
        top = min(num_classes + 2, np.iinfo(dtype).max + 1)
        truth = np.repeat(rng.integers(0, top, 700), 48).astype(dtype)[:-21]
        pred = truth.copy()
        noisy = rng.random(truth.size) < 0.1
        pred[noisy] = rng.integers(0, top, int(noisy.sum()))
        check(truth, pred, num_classes, [3, num_classes], threads=(1, 2))


def test_label_prefetch_hook_rejects_negative_distances():
    with pytest.raises(ValueError, match="bytes_ahead must be >= 0, got -1"):
        _simd._set_label_prefetch(-1)


def test_labels_are_asked_for_ahead_on_intel_cpus_only():
    ahead = _simd._set_label_prefetch(0)
    _simd._set_label_prefetch(ahead)
    cpuinfo = Path("/proc/cpuinfo")
    intel = (platform.machine() in ("x86_64", "AMD64") and cpuinfo.exists()
             and "GenuineIntel" in cpuinfo.read_text())
    if cpuinfo.exists() or platform.machine() not in ("x86_64", "AMD64"):
        assert ahead == (4096 if intel else 0)
    else:  # x86-64 without /proc (macOS, Windows): the vendor is not read here
        assert ahead in (0, 4096)
    expected = f"{ahead} bytes ahead" if ahead else "hardware prefetchers only"
    assert fastiou._config.config_info()["label_prefetch"] == expected


@pytest.fixture
def chunk_pairs(request):
    old = _confusion._set_chunk_pairs(request.param)
    yield request.param
    _confusion._set_chunk_pairs(old)


@pytest.mark.parametrize("chunk_pairs", [1, 64, 100, 1000, 4096], indirect=True)
@pytest.mark.parametrize("dtype", DTYPES)
def test_threads_taking_chunks_in_turn(simd_level, chunk_pairs, dtype):
    """The threads take chunks of the pairs in turn (dynamic scheduling): with chunks of a
    single block up to several thousand pairs (chunk starts rounded down to blocks of 64,
    so some chunks are empty), runs, out-of-range labels and ignored pairs across the
    chunk edges, small and narrow (1000 classes) tables, every thread count gives the
    reference's counts. One-byte labels stay below the byte tables' threshold."""
    rng = np.random.default_rng(chunk_pairs)
    size = 64 * 150 + 37 if np.dtype(dtype).itemsize > 1 else BYTE_TABLE_MIN_PAIRS - 1
    for num_classes in (19, 1000):
        info = np.iinfo(dtype)
        top = min(num_classes, info.max + 1)
        specials = [v for v in specials_for(dtype, num_classes) if info.min <= v <= info.max]
        truth = run_lengths_labels(rng, dtype, size, top, [1, 7, 63, 64, 65, 300], specials)
        pred = truth.copy()
        noisy = rng.random(size) < 0.1
        pred[noisy] = rng.integers(0, top, int(noisy.sum()))
        pred[rng.random(size) < 0.01] = specials[0]
        check(truth, pred, num_classes, [specials[0], 3], threads=(1, 2, 3, 4))


def test_chunk_hook_rejects_empty_chunks():
    with pytest.raises(ValueError, match="`pairs` must be at least 1, got 0"):
        _confusion._set_chunk_pairs(0)


@pytest.mark.parametrize("dtype", ["int16", "uint32", "int64"])
def test_labels_at_an_unaligned_address_are_copied_not_loaded_misaligned(dtype):
    """A label buffer at an odd address (as unpickled by dask workers) is copied once by the
    wrapper, so the kernels only ever load aligned typed values."""
    rng = np.random.default_rng(2)
    values = rng.integers(0, 5, 300).astype(dtype)
    raw = bytearray(values.nbytes + 1)
    unaligned = np.frombuffer(raw, dtype=dtype, offset=1, count=values.size)
    unaligned[...] = values
    assert not unaligned.flags.aligned
    converted = as_label_array(unaligned, "y_true")
    assert converted.flags.aligned
    np.testing.assert_array_equal(converted, values)
    expected = reference.confusion_counts(values.astype(np.int64), values[::-1].astype(np.int64), 5)
    np.testing.assert_array_equal(fastiou.confusion_matrix(unaligned, values[::-1], 5), expected[0])


def test_default_path_is_the_best_this_machine_has():
    """Without a test cap the kernels run the highest SIMD level the CPU supports."""
    assert _simd.simd_path() == _simd.SIMD_PATHS[max(LEVELS)]
    assert fastiou.show_config is not None and "simd" in fastiou._config.config_info()
