"""The README's set-up commands and examples stay true."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _code_blocks(text):
    return re.findall(r"```(?:\w*)\n(.*?)```", text, flags=re.S)


def test_ci_runs_exactly_the_readme_test_command():
    blocks = [b.strip() for b in _code_blocks((ROOT / "README.md").read_text())]
    test_command = next(b for b in blocks if "pytest" in b and "pip install" in b)
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert test_command in ci_lines


def test_readme_python_example_runs_and_its_comments_hold():
    example = next(b for b in _code_blocks((ROOT / "README.md").read_text()) if "import fastiou" in b)
    namespace = {}
    exec(compile(example, "README example", "exec"), namespace)
    assert namespace["cm"].tolist() == [[1, 0, 0], [0, 1, 1], [0, 0, 2]]
    assert "0.7222222222222222" in example
