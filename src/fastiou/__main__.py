import sys

from fastiou.evaluate.cli import main

sys.exit(main())
