"""glassnet.models: the by-name registry of every model, re-exporting the constructors."""
import pytest

import glassnet
import glassnet.models
import glassnet.vision.models
from glassnet.models import get_model, list_models, register_model


def test_constructors_are_reexported_by_name():
    assert glassnet.models.resnet20 is glassnet.vision.models.resnet20
    assert glassnet.models.lenet5 is glassnet.vision.models.lenet5
    from glassnet.models import resnet18  # from-import goes through the module __getattr__

    assert resnet18 is glassnet.vision.models.resnet18
    assert {"resnet20", "lenet5", "small_cnn"} <= set(dir(glassnet.models))


def test_list_models_names_the_vision_zoo_sorted():
    names = list_models()
    assert names == sorted(names)
    assert {"resnet18", "resnet20", "vgg16_bn", "googlenet", "lenet5", "mobilenet_v2",
            "wrn_28_10", "small_cnn", "mlp"} <= set(names)


def test_get_model_builds_with_kwargs():
    model = get_model("resnet20", num_classes=7)
    glassnet.manual_seed(0)
    out = model.eval()(glassnet.randn(2, 3, 32, 32))
    assert tuple(out.shape) == (2, 7)
    assert sum(p.numel() for p in model.parameters()) == 269722 + 64 * 7 + 7 - 650


def test_unknown_names_raise_with_a_hint():
    with pytest.raises(ValueError, match=r"unknown model 'resnet19'.*did you mean"):
        get_model("resnet19")
    with pytest.raises(AttributeError, match="list_models"):
        glassnet.models.no_such_model  # noqa: B018


def test_register_model_rejects_a_second_constructor_under_a_taken_name():
    def lenet5():  # a different function with a registered name
        return None

    with pytest.raises(ValueError, match="already registered"):
        register_model(lenet5)
    assert glassnet.models.lenet5 is glassnet.vision.models.lenet5
