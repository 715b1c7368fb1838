"""The model zoo: constructors with torchvision's names, plus glassnet's classics.

``list_models()`` names every constructor and ``get_model(name, **kwargs)`` builds one.
ImageNet models keep torchvision's state_dict keys and take torchvision's ``weights=``
(``resnet18(weights="DEFAULT")``, ``ResNet50_Weights.IMAGENET1K_V2``, ``get_weight``,
``get_model_weights``): the checkpoint is downloaded from download.pytorch.org into
torch.hub's cache, its hash checked, and read without pickle code execution
(:func:`load_pth`). A torchvision state_dict or ``.pth`` file loads with ``strict=True``
through :func:`load_torch_weights`.
"""
from glassnet.models._pth import load_pth  # noqa: F401
from glassnet.models._registry import (get_model, get_model_builder, list_models,  # noqa: F401
                                       register_model)
from glassnet.models._weights import (Weights, WeightsEnum, get_model_weights,  # noqa: F401
                                      get_weight)
from glassnet.models.alexnet import *  # noqa: F401,F403
from glassnet.models.cifar_resnet import *  # noqa: F401,F403
from glassnet.models.cifar_resnet import (  # noqa: F401
    plain20, plain32, plain44, plain56, plain110, preact_resnet18, preact_resnet20,
    preact_resnet34, preact_resnet50, preact_resnet56, preact_resnet110, preact_resnet164,
    resnet20, resnet32, resnet44, resnet56, resnet110, resnet1202, resnext29_8x64d,
    resnext29_16x64d, wrn_16_8, wrn_28_10, wrn_40_4,
)
from glassnet.models.convert import from_torch_state_dict, load_torch_weights  # noqa: F401
from glassnet.models.googlenet import *  # noqa: F401,F403
from glassnet.models.highway import *  # noqa: F401,F403
from glassnet.models.lenet import *  # noqa: F401,F403
from glassnet.models.mlp import *  # noqa: F401,F403
from glassnet.models.mobilenet import *  # noqa: F401,F403
from glassnet.models.resnet import *  # noqa: F401,F403
from glassnet.models.vgg import *  # noqa: F401,F403
