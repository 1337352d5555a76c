"""The README's set-up commands and examples stay true: every ``python`` block runs as a
doctest (its shown outputs are checked), and every file the documentation mentions exists."""

import doctest
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
# documentation whose file references are checked (README.md also for bare file names)
DOCS = [README, *sorted((ROOT / "docs").glob("*.md")), ROOT / "benchmarks" / "README.md"]


def _code_blocks(text):
    return re.findall(r"```(?:\w*)\n(.*?)```", text, flags=re.S)


def _python_blocks():
    """(first line number, source) of every ```python block of the README."""
    text = README.read_text()
    return [(text.count("\n", 0, match.start(1)) + 1, match.group(1))
            for match in re.finditer(r"^```python\n(.*?)^```", text, flags=re.S | re.M)]


BLOCKS = _python_blocks()


def test_ci_runs_exactly_the_readme_test_command():
    blocks = [b.strip() for b in _code_blocks(README.read_text())]
    test_command = next(b for b in blocks if "pytest" in b and "pip install" in b)
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert test_command in ci_lines


def test_every_python_block_is_a_doctest():
    assert len(BLOCKS) >= 5
    for line, block in BLOCKS:
        assert block.startswith(">>> "), f"README.md:{line}: a python block that is not a doctest"


@pytest.mark.parametrize("line, block", BLOCKS, ids=[f"README.md:{line}" for line, _ in BLOCKS])
def test_readme_python_block_runs_and_shows_its_output(line, block, tmp_path, monkeypatch):
    if "plot" in block:
        matplotlib = pytest.importorskip("matplotlib")
        matplotlib.use("Agg")  # no display: draw off screen
    if "dask" in block:
        pytest.importorskip("dask.array")
        if "distributed" in block:
            pytest.importorskip("distributed")
    monkeypatch.chdir(tmp_path)  # files a snippet writes (cm.png, demo/) land here
    test = doctest.DocTestParser().get_doctest(block, {"__name__": "readme"}, f"README.md:{line}",
                                               str(README), line - 1)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    report = []
    result = runner.run(test, out=report.append)
    assert result.attempted > 0
    assert result.failed == 0, "".join(report)


def _mentioned_paths(path):
    """(line number, reference) of every relative link and every repository path (a name under
    src/, tests/, benchmarks/, tools/, docs/ or .ci/) in a Markdown file or a source file."""
    found = []
    for number, text in enumerate(path.read_text().splitlines(), 1):
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text) if path.suffix == ".md" else []:
            if not re.match(r"[a-z]+:", target):  # not http:, mailto:, ...
                found.append((number, str((path.parent / target).resolve().relative_to(ROOT))))
        for reference in re.findall(r"(?<![\w./-])((?:src|tests|benchmarks|tools|docs|\.ci)/[\w./-]*\w)", text):
            found.append((number, reference))
    return found


def test_documentation_mentions_only_files_that_exist():
    sources = [path for path in sorted((ROOT / "src" / "fastiou").rglob("*"))
               if path.suffix in (".py", ".pyi", ".pyx", ".pxd")]
    missing = [f"{path.relative_to(ROOT)}:{number}: {reference}"
               for path in DOCS + sources
               for number, reference in _mentioned_paths(path)
               if not any((ROOT / reference).parent.glob((ROOT / reference).name))]
    assert not missing, "references to files that do not exist:\n" + "\n".join(missing)


def test_readme_names_only_source_files_that_exist():
    """Bare file names in backticks (`_core.py`, `bench_boxes.py`, `_eval*.py`) name files of
    the repository."""
    files = {path.name for path in ROOT.rglob("*") if ".git" not in path.parts}
    text = README.read_text()
    names = set(re.findall(r"`([\w*]+\.(?:py|pyx|pxd|pyi|md|sh|toml))`", text))
    assert len(names) > 20
    missing = sorted(name for name in names
                     if not any(Path(file).match(name) for file in files))
    assert not missing, f"README.md names files that do not exist: {missing}"
