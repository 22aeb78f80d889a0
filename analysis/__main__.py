"""`python -m analysis` runs the `tifa` command line."""

import sys

from .cli import main

sys.exit(main())
