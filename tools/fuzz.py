"""Coverage-guided differential fuzzing of fastiou's public functions with atheris.

    python tools/fuzz.py confusion -runs=1000000
    python tools/fuzz.py bad_input -max_total_time=600

The targets live in tests/fuzz_targets.py; each compares fastiou with the NumPy reference or
checks that bad input raises TypeError/ValueError. libFuzzer's closing line
"Done N runs in T second(s)" gives the number of cases run.
"""

import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

with atheris.instrument_imports(include=["fastiou", "fuzz_targets"]):
    from fuzz_targets import TARGETS


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        raise SystemExit(f"usage: python tools/fuzz.py {{{','.join(sorted(TARGETS))}}} [libFuzzer options]")
    atheris.Setup([sys.argv[0], *sys.argv[2:]], TARGETS[sys.argv[1]])
    atheris.Fuzz()


if __name__ == "__main__":
    main()
