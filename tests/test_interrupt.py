"""Long calls count in chunks: results equal one pass, and Ctrl-C stops a huge call fast."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

import fastiou
from fastiou._shared import _threads

RNG = np.random.default_rng(11)
LABELS = RNG.integers(0, 6, (4, 30, 50)).astype(np.uint8)
PRED = RNG.integers(0, 6, (4, 30, 50)).astype(np.uint8)
SCORES = RNG.standard_normal((4, 6, 30, 50)).astype(np.float32)
ONE_HOT = np.moveaxis(np.eye(6, dtype=np.uint8)[LABELS], -1, 1)
CALLS = {
    "labels": lambda: fastiou.confusion_matrix(LABELS, PRED, 6, ignore_index=[2, 255]),
    "weighted": lambda: fastiou.confusion_matrix(LABELS, PRED, 6, sample_weight=LABELS / 4),
    "miss": lambda: fastiou.per_class_iou(LABELS, PRED, 5, out_of_range="miss"),
    "scores": lambda: fastiou.confusion_matrix(LABELS, SCORES, 6, axis=1),
    "scores-per-image": lambda: fastiou.confusion_matrix(LABELS, SCORES, 6, axis=1, per_image=True),
    "one-hot": lambda: fastiou.confusion_matrix(ONE_HOT, SCORES, 6, axis=1),
    "threshold-per-image": lambda: fastiou.confusion_matrix(
        LABELS % 2, SCORES[:, 0], 2, threshold=0.2, per_image=True),
    "multilabel": lambda: fastiou.confusion_matrix(ONE_HOT, SCORES, 6, multilabel=True, threshold=0.0),
    "masks": lambda: fastiou.mask_iou(np.concatenate([LABELS == k for k in range(6)]),
                                      np.concatenate([PRED == k for k in range(3)])),
    "masks-rle": lambda: fastiou.mask_iou(fastiou.rle_encode(LABELS == 1), PRED == 1, iscrowd=[0, 1, 0, 1]),
}


@pytest.mark.parametrize("chunk", [1, 7, 1000, 1500 * 6])
@pytest.mark.parametrize("name", sorted(CALLS))
def test_chunked_counting_equals_one_pass(monkeypatch, name, chunk):
    whole = CALLS[name]()
    monkeypatch.setattr(_threads, "CHUNK_WORK", chunk)
    chunked = CALLS[name]()
    assert chunked.dtype == whole.dtype
    np.testing.assert_array_equal(chunked, whole)


INTERRUPT_SCRIPT = """
import os, signal, threading, time
import numpy as np
import fastiou

{setup}
sent = []

def interrupt():
    time.sleep(0.1)
    sent.append(time.perf_counter())
    os.kill(os.getpid(), signal.SIGINT)

threading.Thread(target=interrupt, daemon=True).start()
start = time.perf_counter()
try:
    {call}
    print("finished", time.perf_counter() - start)
except KeyboardInterrupt:
    print("interrupted", time.perf_counter() - sent[0])
"""

HUGE = {
    # lazily allocated zero pages: gigabytes of input that cost no memory
    # (2**33 one-byte pairs of one value take only ~0.2 s since the session-3 kernel)
    "labels": ("t = np.zeros(2 ** 34, np.uint8); p = np.zeros(2 ** 34, np.uint8)",
               "fastiou.confusion_matrix(t, p, 19, n_threads=-1)"),
    "scores": ("t = np.zeros((128, 1024, 2048), np.uint8); s = np.zeros((128, 19, 1024, 2048), np.float32)",
               "fastiou.confusion_matrix(t, s, 19, axis=1, n_threads=-1)"),
    "masks": ("m = np.zeros((3000, 1024, 2048), bool)", "fastiou.mask_iou(m, m[:1500], n_threads=-1)"),
}


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to itself")
@pytest.mark.parametrize("name", sorted(HUGE))
def test_ctrl_c_stops_a_huge_call_within_half_a_second(name):
    setup, call = HUGE[name]
    script = INTERRUPT_SCRIPT.format(setup=setup, call=call)
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], capture_output=True,
                         text=True, timeout=120).stdout.split()
    assert out[0] == "interrupted", f"the call ran to the end in {out[1]} s"
    assert float(out[1]) < 0.5, f"KeyboardInterrupt came {out[1]} s after SIGINT"
