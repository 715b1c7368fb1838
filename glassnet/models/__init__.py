"""The model zoo: constructors with torchvision's names, plus glassnet's classics.

``list_models()`` names every constructor and ``get_model(name, **kwargs)`` builds one.
"""
from glassnet.models._registry import get_model, list_models, register_model  # noqa: F401
from glassnet.models.lenet import *  # noqa: F401,F403
from glassnet.models.mlp import *  # noqa: F401,F403
