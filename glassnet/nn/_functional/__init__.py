"""Implementation modules of :mod:`glassnet.nn.functional`, one per family."""
