"""No memory growth over many calls; exact results from many Python threads at once."""

import os
import threading

import numpy as np
import pytest

import fastiou
from fastiou import reference

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc/self/statm")


def _rss_bytes():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(bool(os.environ.get("FASTIOU_SANITIZER_RUN")),
                    reason="ASan's quarantine keeps freed memory resident by design")
def test_rss_does_not_grow_over_1e5_calls():
    rng = np.random.default_rng(7)
    t = rng.integers(0, 7, 64).astype(np.uint8)
    p = rng.integers(0, 7, 64).astype(np.uint8)
    weights = rng.random(64)
    calls = [
        lambda: fastiou.confusion_matrix(t, p, 7, ignore_index=[3, 255]),
        lambda: fastiou.confusion_matrix(t, p, 7, sample_weight=weights),
        lambda: fastiou.mean_iou(t, p, 7),
    ]
    for call in calls:            # warm up caches, allocator pools, fused-type dispatch
        for _ in range(2000):
            call()
    before = _rss_bytes()
    for i in range(100_000):
        calls[i % 3]()
    grown = _rss_bytes() - before
    assert grown < 2 * 2 ** 20, f"RSS grew by {grown} bytes over 1e5 calls"


def test_sixteen_python_threads_at_once_are_exact():
    rng = np.random.default_rng(8)
    inputs = [(rng.integers(0, 11, 50_000).astype(dtype), rng.integers(0, 11, 50_000).astype(dtype))
              for dtype in ("uint8", "int16", "int32", "int64")]
    expected = [reference.confusion_matrix(t, p, 11, [4]) for t, p in inputs]
    failures = []
    barrier = threading.Barrier(16)

    def work(slot):
        barrier.wait()
        for round_ in range(20):
            which = (slot + round_) % len(inputs)
            t, p = inputs[which]
            result = fastiou.confusion_matrix(t, p, 11, ignore_index=4, n_threads=1 + slot % 3)
            if not np.array_equal(result, expected[which]):
                failures.append((slot, round_))

    threads = [threading.Thread(target=work, args=(slot,)) for slot in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
