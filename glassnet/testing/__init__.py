"""Testing helpers: gradcheck and the op registry that drives the generic op tests."""
from glassnet.testing.gradcheck import GradcheckError, gradcheck, numerical_grad  # noqa: F401
