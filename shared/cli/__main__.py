"""``python -m shared.cli``: the ``forum`` command run by a given interpreter (how launchers start children)."""

import sys

from shared.cli import main

sys.exit(main())
