"""``glassnet.vision.models``: the ``torchvision.models`` counterpart, plus glassnet's classics.

ImageNet models have torchvision's constructors and state_dict keys (``resnet18``,
``vgg16_bn``, ``googlenet``, ``mobilenet_v2``, ...), so converted torchvision weights load
with ``strict=True`` (:func:`load_torch_weights`).  Models torchvision lacks sit beside
them: LeNet-5, CIFAR ResNets (shortcut options A/B/C), plain and pre-activation nets,
Wide ResNets for CIFAR, ResNeXt-29, Highway networks, an MLP and a small CNN.  Every
constructor is registered by name in :mod:`glassnet.models` (``get_model``,
``list_models``), which the CLI uses.

Examples
--------
>>> import glassnet.vision as torchvision
>>> model = torchvision.models.resnet18(num_classes=10)
>>> sum(p.numel() for p in model.parameters())
11181642
"""
from glassnet.models._registry import get_model, get_model_builder, list_models  # noqa: F401
from glassnet.vision.models._api import (  # noqa: F401
    Weights, WeightsEnum, get_model_weights, get_weight,
)
from glassnet.vision.models.alexnet import *  # noqa: F401,F403
from glassnet.vision.models.cifar_resnet import *  # noqa: F401,F403
from glassnet.vision.models.cifar_resnet import (  # noqa: F401
    plain20, plain32, plain44, plain56, plain110, preact_resnet18, preact_resnet20,
    preact_resnet34, preact_resnet50, preact_resnet56, preact_resnet110, preact_resnet164,
    resnet20, resnet32, resnet44, resnet56, resnet110, resnet1202, resnext29_8x64d,
    resnext29_16x64d, wrn_16_8, wrn_28_10, wrn_40_4,
)
from glassnet.vision.models.convert import (  # noqa: F401
    from_torch_state_dict, load_torch_weights,
)
from glassnet.vision.models.googlenet import *  # noqa: F401,F403
from glassnet.vision.models.highway import *  # noqa: F401,F403
from glassnet.vision.models.lenet import *  # noqa: F401,F403
from glassnet.vision.models.mlp import *  # noqa: F401,F403
from glassnet.vision.models.mobilenet import *  # noqa: F401,F403
from glassnet.vision.models.resnet import *  # noqa: F401,F403
from glassnet.vision.models.vgg import *  # noqa: F401,F403
