"""``python -m flows.cli``: the ``ladder`` command."""

import sys

from flows.cli.main import main

sys.exit(main())
