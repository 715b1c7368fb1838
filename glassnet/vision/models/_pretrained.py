"""The pretrained ImageNet weights torchvision publishes for the models glassnet has:
one ``<Model>_Weights`` enum per constructor, with torchvision's names, URLs, presets
and metadata (accuracies are torchvision's documented ImageNet-1K validation numbers,
``_ops`` its GFLOPS at 224x224 and ``_file_size`` the checkpoint's size in MB).

The model files import their enum from here, so ``glassnet.vision.models.resnet.ResNet18_Weights``
and ``glassnet.vision.models.ResNet18_Weights`` are the same class.
"""
from __future__ import annotations

from functools import partial

from glassnet.vision.models._meta import IMAGENET_CATEGORIES
from glassnet.vision.transforms._presets import ImageClassification
from glassnet.vision.models._api import Weights, WeightsEnum

__all__ = [
    "AlexNet_Weights", "VGG11_Weights", "VGG11_BN_Weights", "VGG13_Weights",
    "VGG13_BN_Weights", "VGG16_Weights", "VGG16_BN_Weights", "VGG19_Weights",
    "VGG19_BN_Weights", "GoogLeNet_Weights", "ResNet18_Weights", "ResNet34_Weights",
    "ResNet50_Weights", "ResNet101_Weights", "ResNet152_Weights", "ResNeXt50_32X4D_Weights",
    "ResNeXt101_32X8D_Weights", "ResNeXt101_64X4D_Weights", "Wide_ResNet50_2_Weights",
    "Wide_ResNet101_2_Weights", "MobileNet_V2_Weights",
]

_BASE = "https://download.pytorch.org/models/"
_RECIPES = "https://github.com/pytorch/vision/tree/main/references/classification"
_NEW_RECIPE = "https://github.com/pytorch/vision/issues/3995"
_BLOG = ("https://pytorch.org/blog/how-to-train-state-of-the-art-models-using-torchvision-"
         "latest-primitives/")
_PAPER_DOCS = "Close to the paper's results, trained with a simple recipe."
_NEW_DOCS = f"Better than the paper's results, trained with torchvision's new recipe ({_BLOG})."
_VGG_DOCS = "Trained from scratch with a simplified recipe."


def _imagenet(file: str, num_params: int, acc1: float, acc5: float, ops: float,
              file_size: float, recipe: str, docs: str, resize_size: int = 256,
              min_size=(1, 1), categories=IMAGENET_CATEGORIES, **preset) -> Weights:
    """One torchvision ImageNet-1K checkpoint (evaluated with a 224 centre crop)."""
    return Weights(
        url=_BASE + file,
        transforms=partial(ImageClassification, crop_size=224, resize_size=resize_size,
                           **preset),
        meta={"min_size": min_size, "categories": categories, "num_params": num_params,
              "recipe": recipe,
              "_metrics": {"ImageNet-1K": {"acc@1": acc1, "acc@5": acc5}},
              "_ops": ops, "_file_size": file_size, "_docs": docs},
    )


class AlexNet_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet("alexnet-owt-7be5be79.pth", 61100840, 56.522, 79.066, 0.714,
                              233.087, f"{_RECIPES}#alexnet-and-vgg", _PAPER_DOCS,
                              min_size=(63, 63))
    DEFAULT = IMAGENET1K_V1


def _vgg(file, num_params, acc1, acc5, ops, file_size, **kw) -> Weights:
    kw.setdefault("recipe", f"{_RECIPES}#alexnet-and-vgg")
    kw.setdefault("docs", _VGG_DOCS)
    return _imagenet(file, num_params, acc1, acc5, ops, file_size, min_size=(32, 32), **kw)


class VGG11_Weights(WeightsEnum):
    IMAGENET1K_V1 = _vgg("vgg11-8a719046.pth", 132863336, 69.020, 88.628, 7.609, 506.84)
    DEFAULT = IMAGENET1K_V1


class VGG11_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = _vgg("vgg11_bn-6002323d.pth", 132868840, 70.370, 89.810, 7.609, 506.881)
    DEFAULT = IMAGENET1K_V1


class VGG13_Weights(WeightsEnum):
    IMAGENET1K_V1 = _vgg("vgg13-19584684.pth", 133047848, 69.928, 89.246, 11.308, 507.545)
    DEFAULT = IMAGENET1K_V1


class VGG13_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = _vgg("vgg13_bn-abd245e5.pth", 133053736, 71.586, 90.374, 11.308, 507.59)
    DEFAULT = IMAGENET1K_V1


class VGG16_Weights(WeightsEnum):
    IMAGENET1K_V1 = _vgg("vgg16-397923af.pth", 138357544, 71.592, 90.382, 15.47, 527.796)
    # NOTE: the SSD backbone ported from amdegroot/ssd.pytorch: only ``features`` holds
    # trained values (the classifier is unusable, hence no categories and NaN accuracy),
    # and it expects the paper's input scaling: 0-255 pixels minus the mean.
    IMAGENET1K_FEATURES = _vgg(
        "vgg16_features-amdegroot-88682ab5.pth", 138357544, float("nan"), float("nan"),
        15.47, 527.802, categories=None, recipe="https://github.com/amdegroot/ssd.pytorch#"
        "training-ssd", docs="For feature extraction only: the classifier has no trained "
        "values.", mean=(0.48235, 0.45882, 0.40784), std=(1.0 / 255.0,) * 3)
    DEFAULT = IMAGENET1K_V1


class VGG16_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = _vgg("vgg16_bn-6c64b313.pth", 138365992, 73.360, 91.516, 15.47, 527.866)
    DEFAULT = IMAGENET1K_V1


class VGG19_Weights(WeightsEnum):
    IMAGENET1K_V1 = _vgg("vgg19-dcbb9e9d.pth", 143667240, 72.376, 90.876, 19.632, 548.051)
    DEFAULT = IMAGENET1K_V1


class VGG19_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = _vgg("vgg19_bn-c79401a0.pth", 143678248, 74.218, 91.842, 19.632, 548.143)
    DEFAULT = IMAGENET1K_V1


class GoogLeNet_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet("googlenet-1378be20.pth", 6624904, 69.778, 89.530, 1.498,
                              49.731, f"{_RECIPES}#googlenet",
                              "Ported from the original paper's weights.", min_size=(15, 15))
    DEFAULT = IMAGENET1K_V1


def _resnet_v1(file, num_params, acc1, acc5, ops, file_size, recipe=f"{_RECIPES}#resnet"):
    return _imagenet(file, num_params, acc1, acc5, ops, file_size, recipe, _PAPER_DOCS)


def _resnet_v2(file, num_params, acc1, acc5, ops, file_size, recipe=f"{_NEW_RECIPE}#new-recipe",
               docs=_NEW_DOCS):
    return _imagenet(file, num_params, acc1, acc5, ops, file_size, recipe, docs,
                     resize_size=232)


class ResNet18_Weights(WeightsEnum):
    IMAGENET1K_V1 = _resnet_v1("resnet18-f37072fd.pth", 11689512, 69.758, 89.078, 1.814,
                               44.661)
    DEFAULT = IMAGENET1K_V1


class ResNet34_Weights(WeightsEnum):
    IMAGENET1K_V1 = _resnet_v1("resnet34-b627a593.pth", 21797672, 73.314, 91.420, 3.664,
                               83.275)
    DEFAULT = IMAGENET1K_V1


class ResNet50_Weights(WeightsEnum):
    IMAGENET1K_V1 = _resnet_v1("resnet50-0676ba61.pth", 25557032, 76.130, 92.862, 4.089,
                               97.781)
    IMAGENET1K_V2 = _resnet_v2("resnet50-11ad3fa6.pth", 25557032, 80.858, 95.434, 4.089,
                               97.79, recipe=f"{_NEW_RECIPE}#issuecomment-1013906621")
    DEFAULT = IMAGENET1K_V2


class ResNet101_Weights(WeightsEnum):
    IMAGENET1K_V1 = _resnet_v1("resnet101-63fe2227.pth", 44549160, 77.374, 93.546, 7.801,
                               170.511)
    IMAGENET1K_V2 = _resnet_v2("resnet101-cd907fc2.pth", 44549160, 81.886, 95.780, 7.801,
                               170.53)
    DEFAULT = IMAGENET1K_V2


class ResNet152_Weights(WeightsEnum):
    IMAGENET1K_V1 = _resnet_v1("resnet152-394f9c45.pth", 60192808, 78.312, 94.046, 11.514,
                               230.434)
    IMAGENET1K_V2 = _resnet_v2("resnet152-f82ba261.pth", 60192808, 82.284, 96.002, 11.514,
                               230.474)
    DEFAULT = IMAGENET1K_V2


class ResNeXt50_32X4D_Weights(WeightsEnum):
    IMAGENET1K_V1 = _resnet_v1("resnext50_32x4d-7cdf4587.pth", 25028904, 77.618, 93.698,
                               4.23, 95.789, recipe=f"{_RECIPES}#resnext")
    IMAGENET1K_V2 = _resnet_v2("resnext50_32x4d-1a0047aa.pth", 25028904, 81.198, 95.340,
                               4.23, 95.833)
    DEFAULT = IMAGENET1K_V2


class ResNeXt101_32X8D_Weights(WeightsEnum):
    IMAGENET1K_V1 = _resnet_v1("resnext101_32x8d-8ba56ff5.pth", 88791336, 79.312, 94.526,
                               16.414, 339.586, recipe=f"{_RECIPES}#resnext")
    IMAGENET1K_V2 = _resnet_v2("resnext101_32x8d-110c445d.pth", 88791336, 82.834, 96.228,
                               16.414, 339.673, recipe=f"{_NEW_RECIPE}#new-recipe-with-fixres")
    DEFAULT = IMAGENET1K_V2


class ResNeXt101_64X4D_Weights(WeightsEnum):
    IMAGENET1K_V1 = _resnet_v2("resnext101_64x4d-173b62eb.pth", 83455272, 83.246, 96.454,
                               15.46, 319.318, recipe="https://github.com/pytorch/vision/pull/5935",
                               docs=f"Trained from scratch with torchvision's new recipe "
                               f"({_BLOG}).")
    DEFAULT = IMAGENET1K_V1


class Wide_ResNet50_2_Weights(WeightsEnum):
    IMAGENET1K_V1 = _resnet_v1("wide_resnet50_2-95faca4d.pth", 68883240, 78.468, 94.086,
                               11.398, 131.82,
                               recipe="https://github.com/pytorch/vision/pull/912#issue-445437439")
    IMAGENET1K_V2 = _resnet_v2("wide_resnet50_2-9ba9bcbe.pth", 68883240, 81.602, 95.758,
                               11.398, 263.124, recipe=f"{_NEW_RECIPE}#new-recipe-with-fixres")
    DEFAULT = IMAGENET1K_V2


class Wide_ResNet101_2_Weights(WeightsEnum):
    IMAGENET1K_V1 = _resnet_v1("wide_resnet101_2-32ee1156.pth", 126886696, 78.848, 94.284,
                               22.753, 242.896,
                               recipe="https://github.com/pytorch/vision/pull/912#issue-445437439")
    IMAGENET1K_V2 = _resnet_v2("wide_resnet101_2-d733dc28.pth", 126886696, 82.510, 96.020,
                               22.753, 484.747)
    DEFAULT = IMAGENET1K_V2


class MobileNet_V2_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet("mobilenet_v2-b0353104.pth", 3504872, 71.878, 90.286, 0.301,
                              13.555, f"{_RECIPES}#mobilenetv2", _PAPER_DOCS)
    IMAGENET1K_V2 = _imagenet("mobilenet_v2-7ebf99e0.pth", 3504872, 72.154, 90.822, 0.301,
                              13.598, f"{_NEW_RECIPE}#new-recipe-with-reg-tuning",
                              f"Better than the paper's results, trained with a variant of "
                              f"torchvision's new recipe ({_BLOG}).", resize_size=232)
    DEFAULT = IMAGENET1K_V2
