"""Registry rows, one module per op family (see :mod:`glassnet.testing.op_registry`)."""
