"""``fastiou.cli``: the ``fastiou`` command line (``python -m fastiou`` runs it too).

This module only re-exports the public names; the code lives in :mod:`fastiou.evaluate.cli`
(the layout is described in docs/architecture.md).
"""

import sys

from fastiou.evaluate.cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
