"""Every row of docs/errors.md: the call raises the documented error and modifies nothing."""

import re
from pathlib import Path

import numpy as np
import pytest

import fastiou
from fastiou import metrics

CATALOGUE = Path(__file__).resolve().parents[1] / "docs" / "errors.md"
ROW = re.compile(r"^\| (\d+) \| `(.+)` \| (\w+) \| `` (.+) `` \|$")
ROWS = [ROW.match(line).groups() for line in CATALOGUE.read_text().splitlines() if ROW.match(line)]


def _fixtures():
    return {
        "fi": fastiou, "metrics": metrics, "np": np,
        "labels": np.array([[0, 1], [2, 1]]),
        "scores": np.zeros((2, 3, 2), np.float32),
        "cm": np.array([[3, 1], [0, 2]]),
        "masks": np.zeros((2, 4, 4), bool),
        "boxes": np.array([[0.0, 0.0, 2.0, 2.0], [1.0, 1.0, 3.0, 3.0]]),
        "rboxes": np.array([[1.0, 1.0, 2.0, 2.0, 30.0]]),
    }


def test_catalogue_has_at_least_50_rows_numbered_in_order():
    assert len(ROWS) >= 50
    assert [int(number) for number, *_ in ROWS] == list(range(1, len(ROWS) + 1))


@pytest.mark.parametrize("number,call,exception,fragment", ROWS, ids=[row[0] for row in ROWS])
def test_catalogued_bad_input(number, call, exception, fragment):
    namespace = _fixtures()
    arrays = {name: value.copy() for name, value in namespace.items() if isinstance(value, np.ndarray)}
    with pytest.raises((TypeError, ValueError)) as caught:
        eval(call, namespace)  # the catalogue is trusted project documentation
    assert type(caught.value).__name__ == exception
    assert fragment.replace("\\|", "|") in str(caught.value)
    for name, before in arrays.items():
        np.testing.assert_array_equal(namespace[name], before)
