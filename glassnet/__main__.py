"""``python -m glassnet`` runs the command-line interface."""
import sys

from glassnet.cli.main import main

sys.exit(main())
