import sys

from fastiou.cli import main

sys.exit(main())
