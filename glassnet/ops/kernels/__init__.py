"""Fast paths behind the ops (numba kernels); the NumPy code in glassnet.ops stays the
readable reference, and tests check each kernel against it."""
