"""Print the speed-up table of fastiou against the NumPy reference (same as ``fastiou bench``).

Usage: python benchmarks/bench.py [--workloads abcd] [--repeat 5] [--markdown]
"""

import sys

from fastiou.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", *sys.argv[1:]]))
