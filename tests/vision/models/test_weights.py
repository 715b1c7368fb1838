"""torchvision's weights API on glassnet's zoo: enum names, members, DEFAULT, URLs and
meta; get_weight / get_model_weights / get_model / list_models; constructor checks;
and an end-to-end load of a torch-saved ResNet-18 and GoogLeNet checkpoint served on
127.0.0.1 through ``resnet18(weights=...)``."""
from __future__ import annotations

import hashlib
import math
import warnings

import numpy as np
import pytest

import glassnet
from glassnet import nn
from glassnet.vision import models
from glassnet.vision.models import Weights, WeightsEnum, get_model_weights, get_weight
from glassnet.hub import HASH_REGEX
from glassnet.vision.models._meta import IMAGENET_CATEGORIES

# builder -> (enum name, member names besides DEFAULT, DEFAULT's member), as torchvision.
EXPECTED = {
    "alexnet": ("AlexNet_Weights", ["IMAGENET1K_V1"], "IMAGENET1K_V1"),
    "vgg11": ("VGG11_Weights", ["IMAGENET1K_V1"], "IMAGENET1K_V1"),
    "vgg11_bn": ("VGG11_BN_Weights", ["IMAGENET1K_V1"], "IMAGENET1K_V1"),
    "vgg13": ("VGG13_Weights", ["IMAGENET1K_V1"], "IMAGENET1K_V1"),
    "vgg13_bn": ("VGG13_BN_Weights", ["IMAGENET1K_V1"], "IMAGENET1K_V1"),
    "vgg16": ("VGG16_Weights", ["IMAGENET1K_V1", "IMAGENET1K_FEATURES"], "IMAGENET1K_V1"),
    "vgg16_bn": ("VGG16_BN_Weights", ["IMAGENET1K_V1"], "IMAGENET1K_V1"),
    "vgg19": ("VGG19_Weights", ["IMAGENET1K_V1"], "IMAGENET1K_V1"),
    "vgg19_bn": ("VGG19_BN_Weights", ["IMAGENET1K_V1"], "IMAGENET1K_V1"),
    "googlenet": ("GoogLeNet_Weights", ["IMAGENET1K_V1"], "IMAGENET1K_V1"),
    "resnet18": ("ResNet18_Weights", ["IMAGENET1K_V1"], "IMAGENET1K_V1"),
    "resnet34": ("ResNet34_Weights", ["IMAGENET1K_V1"], "IMAGENET1K_V1"),
    "resnet50": ("ResNet50_Weights", ["IMAGENET1K_V1", "IMAGENET1K_V2"], "IMAGENET1K_V2"),
    "resnet101": ("ResNet101_Weights", ["IMAGENET1K_V1", "IMAGENET1K_V2"], "IMAGENET1K_V2"),
    "resnet152": ("ResNet152_Weights", ["IMAGENET1K_V1", "IMAGENET1K_V2"], "IMAGENET1K_V2"),
    "resnext50_32x4d": ("ResNeXt50_32X4D_Weights", ["IMAGENET1K_V1", "IMAGENET1K_V2"],
                        "IMAGENET1K_V2"),
    "resnext101_32x8d": ("ResNeXt101_32X8D_Weights", ["IMAGENET1K_V1", "IMAGENET1K_V2"],
                         "IMAGENET1K_V2"),
    "resnext101_64x4d": ("ResNeXt101_64X4D_Weights", ["IMAGENET1K_V1"], "IMAGENET1K_V1"),
    "wide_resnet50_2": ("Wide_ResNet50_2_Weights", ["IMAGENET1K_V1", "IMAGENET1K_V2"],
                        "IMAGENET1K_V2"),
    "wide_resnet101_2": ("Wide_ResNet101_2_Weights", ["IMAGENET1K_V1", "IMAGENET1K_V2"],
                         "IMAGENET1K_V2"),
    "mobilenet_v2": ("MobileNet_V2_Weights", ["IMAGENET1K_V1", "IMAGENET1K_V2"],
                     "IMAGENET1K_V2"),
}


@pytest.mark.parametrize("builder", sorted(EXPECTED))
def test_each_torchvision_builder_has_torchvisions_enum_members_and_default(builder):
    enum_name, members, default = EXPECTED[builder]
    enum_cls = get_model_weights(builder)
    assert enum_cls is getattr(models, enum_name) is get_model_weights(getattr(models, builder))
    assert issubclass(enum_cls, WeightsEnum)
    assert [m.name for m in enum_cls] == members
    assert list(enum_cls.__members__) == members + ["DEFAULT"]
    assert enum_cls.DEFAULT is enum_cls[default]
    assert repr(enum_cls.DEFAULT) == f"{enum_name}.{default}"
    for member in enum_cls:
        assert isinstance(member.value, Weights)
        assert member.url.startswith("https://download.pytorch.org/models/")
        assert HASH_REGEX.search(member.url.rsplit("/", 1)[1])


def test_urls_and_metrics_are_torchvisions():
    r50 = models.ResNet50_Weights
    assert models.ResNet18_Weights.DEFAULT.url.endswith("/resnet18-f37072fd.pth")
    assert r50.IMAGENET1K_V1.url.endswith("/resnet50-0676ba61.pth")
    assert r50.IMAGENET1K_V2.url.endswith("/resnet50-11ad3fa6.pth")
    assert models.VGG16_Weights.DEFAULT.url.endswith("/vgg16-397923af.pth")
    assert models.AlexNet_Weights.DEFAULT.url.endswith("/alexnet-owt-7be5be79.pth")
    assert models.GoogLeNet_Weights.DEFAULT.url.endswith("/googlenet-1378be20.pth")
    assert models.MobileNet_V2_Weights.DEFAULT.url.endswith("/mobilenet_v2-7ebf99e0.pth")
    assert r50.IMAGENET1K_V2.meta["_metrics"]["ImageNet-1K"] == {"acc@1": 80.858,
                                                                 "acc@5": 95.434}
    assert models.ResNet18_Weights.DEFAULT.meta["_metrics"]["ImageNet-1K"]["acc@1"] == 69.758
    assert models.VGG16_BN_Weights.DEFAULT.meta["_metrics"]["ImageNet-1K"]["acc@5"] == 91.516
    assert models.AlexNet_Weights.DEFAULT.meta["min_size"] == (63, 63)
    assert models.GoogLeNet_Weights.DEFAULT.meta["min_size"] == (15, 15)
    assert models.VGG11_Weights.DEFAULT.meta["min_size"] == (32, 32)
    assert r50.DEFAULT.meta["min_size"] == (1, 1)
    assert r50.IMAGENET1K_V1.meta["recipe"].endswith("references/classification#resnet")
    features = models.VGG16_Weights.IMAGENET1K_FEATURES
    assert features.meta["categories"] is None
    assert math.isnan(features.meta["_metrics"]["ImageNet-1K"]["acc@1"])
    assert features.transforms().std == [1.0 / 255.0] * 3


def test_categories_are_the_1000_imagenet_classes_in_index_order():
    cats = models.ResNet18_Weights.DEFAULT.meta["categories"]
    assert cats is IMAGENET_CATEGORIES and len(cats) == 1000 == len(set(cats))
    assert (cats[0], cats[1], cats[134], cats[281], cats[517], cats[639], cats[999]) == (
        "tench", "goldfish", "crane bird", "tabby", "crane", "maillot tank suit",
        "toilet tissue")


@pytest.fixture
def no_init(monkeypatch):
    """Skip weight initialisation (parameter counts do not depend on it)."""
    for name in ("uniform_", "normal_", "kaiming_uniform_", "kaiming_normal_",
                 "trunc_normal_", "constant_", "ones_", "zeros_"):
        monkeypatch.setattr(nn.init, name, lambda tensor, *a, **k: tensor)


@pytest.mark.parametrize("builder", sorted(EXPECTED))
def test_meta_num_params_equals_the_glassnet_models_parameter_count(builder, no_init):
    kwargs = {"aux_logits": False} if builder == "googlenet" else {}
    model = models.get_model(builder, **kwargs)
    count = sum(p.numel() for p in model.parameters())
    for member in get_model_weights(builder):
        assert member.meta["num_params"] == count


def test_get_weight_resolves_names_as_torchvision():
    assert get_weight("ResNet50_Weights.DEFAULT") is models.ResNet50_Weights.IMAGENET1K_V2
    assert get_weight("VGG16_Weights.IMAGENET1K_FEATURES").meta["categories"] is None
    with pytest.raises(ValueError, match="'ResNet19_Weights' couldn't be found"):
        get_weight("ResNet19_Weights.DEFAULT")
    with pytest.raises(ValueError, match="get_weight: weights must be .* got 'IMAGENET1K_V9'"):
        get_weight("ResNet18_Weights.IMAGENET1K_V9")
    with pytest.raises(ValueError, match="must look like"):
        get_weight("resnet18")


def test_get_model_weights_refuses_models_without_weights():
    for name in ("resnet20", "lenet5", "alexnet_lrn"):
        with pytest.raises(ValueError, match=f"model '{name}' has no pretrained weights"):
            get_model_weights(name)
    with pytest.raises(ValueError, match="unknown model 'resnet19'"):
        get_model_weights("resnet19")


def test_list_models_keeps_glassnets_extras_and_filters_like_torchvision():
    names = models.list_models()
    assert set(EXPECTED) <= set(names)
    assert {"lenet5", "resnet20", "wrn_28_10", "alexnet_lrn"} <= set(names)
    assert models.list_models(include="resnet1*", exclude=["*0", "*02"]) == [
        "resnet101", "resnet152", "resnet18"]
    # as torchvision: the detection models are listed under their own package
    from glassnet.vision.models import detection

    assert models.list_models(module=detection) == ["fasterrcnn_small", "retinanet_small"]
    import glassnet.models  # the sequence models live in glassnet.models, not vision.models

    seq = models.list_models(module=glassnet.models)
    assert seq == ["gru_mnist", "lstm_mnist", "rnn_mnist"]
    assert models.list_models(module=models) == sorted(
        set(names) - set(models.list_models(module=detection)) - set(seq))
    assert models.list_models(module=nn) == []


def test_verify_accepts_members_names_and_qualified_names():
    enum_cls = models.ResNet18_Weights
    for value in (enum_cls.IMAGENET1K_V1, "IMAGENET1K_V1", "DEFAULT",
                  "ResNet18_Weights.DEFAULT"):
        assert enum_cls.verify(value) is enum_cls.IMAGENET1K_V1
    assert enum_cls.verify(None) is None


def test_a_wrong_weights_value_names_the_constructor_and_the_valid_values():
    with pytest.raises(ValueError, match=r"resnet18: weights must be None, a ResNet18_Weights"
                                         r" member or one of None, 'IMAGENET1K_V1', "
                                         r"'DEFAULT', got 'IMAGENET1K_V2'"):
        models.resnet18(weights="IMAGENET1K_V2")
    # Another model's enum: a TypeError as in torchvision, and a ValueError.
    with pytest.raises(TypeError, match="vgg16: weights must be None, a VGG16_Weights"):
        models.vgg16(weights=models.ResNet18_Weights.DEFAULT)
    with pytest.raises(ValueError, match="got ResNet18_Weights"):
        models.vgg16(weights=models.ResNet18_Weights.DEFAULT)
    with pytest.raises(ValueError, match="mobilenet_v2: weights"):
        models.get_model("mobilenet_v2", weights=1)


def test_weights_fix_num_classes_and_in_channels_before_anything_downloads(tmp_path,
                                                                          monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(ValueError, match=r"resnet50: num_classes must be 1000 with "
                                         r"weights=ResNet50_Weights.IMAGENET1K_V2, got 10"):
        models.resnet50(num_classes=10, weights="DEFAULT")
    with pytest.raises(ValueError, match="alexnet: in_channels must be 3"):
        models.alexnet(in_channels=1, weights="DEFAULT")
    with pytest.raises(ValueError, match="has no pretrained weights, got weights='DEFAULT'"):
        models.get_model("resnet20", weights="DEFAULT")
    assert not list(tmp_path.iterdir())  # nothing was fetched


def test_weights_none_and_pretrained_false_build_randomly_initialised_models():
    assert type(models.get_model("resnet20", weights=None, progress=False)).__name__ == \
        "CifarResNet"
    model = models.get_model("resnet18", weights=None, num_classes=7)
    assert model.fc.out_features == 7
    with pytest.warns(UserWarning, match="'pretrained' is deprecated"):
        model = models.mobilenet_v2(pretrained=False, num_classes=3, width_mult=0.25)
    assert model.classifier[1].out_features == 3


# ---------------------------------------------------------------------------
# End to end: a torch checkpoint served on 127.0.0.1, loaded through weights=
# ---------------------------------------------------------------------------
def _publish(model, folder, stem, serve, member, monkeypatch, tmp_path):
    """Save a random torch state dict with ``model``'s keys as ``<stem>-<sha>.pth``, serve
    it, point ``member``'s URL at it and the hub cache at ``tmp_path``."""
    torch = pytest.importorskip("torch")
    gen = torch.Generator().manual_seed(0)
    sd = {}
    for key, value in model.state_dict().items():
        if value.dtype == np.int64:
            sd[key] = torch.tensor(7)  # num_batches_tracked
        else:
            sd[key] = torch.randn(tuple(value.shape), generator=gen)
    tmp = folder / "tmp.pth"
    torch.save(sd, tmp)
    name = f"{stem}-{hashlib.sha256(tmp.read_bytes()).hexdigest()[:10]}.pth"
    tmp.rename(folder / name)
    monkeypatch.setattr(member.value, "url", serve(folder) + name)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "home"))
    return {k: v.numpy() for k, v in sd.items()}, name


def test_resnet18_weights_download_verify_and_load_strictly(serve, tmp_path, monkeypatch):
    folder = tmp_path / "served"
    folder.mkdir()
    member = models.ResNet18_Weights.IMAGENET1K_V1
    saved, name = _publish(models.resnet18(), folder, "resnet18", serve, member, monkeypatch,
                           tmp_path)
    for model in (models.resnet18(weights="DEFAULT", progress=False),
                  models.get_model("resnet18", weights="IMAGENET1K_V1", progress=False),
                  models.resnet18(weights=get_weight("ResNet18_Weights.IMAGENET1K_V1"))):
        state = model.state_dict()
        assert list(state) == list(saved)
        for key, value in saved.items():
            np.testing.assert_array_equal(state[key].detach().numpy(), value, err_msg=key)
    cache = tmp_path / "home" / "hub" / "checkpoints"
    assert [p.name for p in cache.iterdir()] == [name]  # downloaded once, verified, kept
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        legacy = models.resnet18(pretrained=True)
    np.testing.assert_array_equal(legacy.fc.weight.detach().numpy(), saved["fc.weight"])


def test_a_checkpoint_missing_a_key_fails_the_strict_load(serve, tmp_path, monkeypatch):
    torch = pytest.importorskip("torch")
    folder = tmp_path / "served"
    folder.mkdir()
    sd = {k: torch.zeros(tuple(v.shape)) for k, v in models.resnet18().state_dict().items()
          if k != "fc.bias"}
    torch.save(sd, folder / "part.pth")
    monkeypatch.setattr(models.ResNet18_Weights.IMAGENET1K_V1.value, "url",
                        serve(folder) + "part.pth")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "home"))
    with pytest.raises(ValueError, match='Missing key.*"fc.bias"'):
        models.resnet18(weights="DEFAULT", progress=False)


def test_googlenet_weights_drop_the_untrained_aux_heads_and_transform_input(
        serve, tmp_path, monkeypatch):
    folder = tmp_path / "served"
    folder.mkdir()
    member = models.GoogLeNet_Weights.IMAGENET1K_V1
    saved, _ = _publish(models.googlenet(aux_logits=True), folder, "googlenet", serve, member,
                        monkeypatch, tmp_path)
    model = models.googlenet(weights=member, progress=False)
    assert model.aux1 is None and model.aux2 is None and not model.aux_logits
    assert model.transform_input
    np.testing.assert_array_equal(model.fc.weight.detach().numpy(), saved["fc.weight"])
    assert not any(k.startswith("aux") for k in model.state_dict())
    with pytest.warns(UserWarning, match="auxiliary heads .* NOT trained"):
        kept = models.googlenet(weights=member, aux_logits=True, transform_input=False,
                                progress=False)
    np.testing.assert_array_equal(kept.aux1.fc2.weight.detach().numpy(), saved["aux1.fc2.weight"])
    assert not kept.transform_input


@pytest.mark.parametrize("builder", sorted(EXPECTED))
def test_weights_urls_meta_and_transforms_equal_torchvisions(builder):
    tv_models = pytest.importorskip("torchvision.models", reason="torchvision not installed")
    enum_name = EXPECTED[builder][0]
    ours, ref = getattr(models, enum_name), getattr(tv_models, enum_name)
    assert [m.name for m in ours] == [m.name for m in ref]
    assert ours.DEFAULT.name == ref.DEFAULT.name
    for member in ref:
        mine = ours[member.name]
        assert mine.url == member.url
        # every meta entry but the prose of "_docs"
        assert set(mine.meta) == set(member.meta)
        for key, value in member.meta.items():
            if key == "categories":
                assert list(mine.meta[key] or []) == list(value or [])
            elif key != "_docs":
                assert repr(mine.meta[key]) == repr(value), (member, key)
        a, b = mine.transforms(), member.transforms()
        assert (a.crop_size, a.resize_size, a.mean, a.std) == \
            (b.crop_size, b.resize_size, b.mean, b.std)
        assert str(getattr(a.interpolation, "value", a.interpolation)) == b.interpolation.value
        assert a.antialias == b.antialias


def test_imagenet_preset_outputs_equal_torchvisions():
    torch = pytest.importorskip("torch")
    tv_models = pytest.importorskip("torchvision.models", reason="torchvision not installed")
    from PIL import Image

    rng = np.random.default_rng(0)
    arr = rng.integers(0, 256, (251, 303, 3), dtype=np.uint8)
    for name in ("ResNet50_Weights", "VGG16_Weights", "GoogLeNet_Weights"):
        for member in getattr(tv_models, name):
            ours, ref = getattr(models, name)[member.name].transforms(), member.transforms()
            std = np.float32(ref.std).reshape(3, 1, 1)  # differences before normalising

            def gap(x, x_ref):
                return np.abs(ours(x).numpy() - ref(x_ref).numpy()) * std

            pil = Image.fromarray(arr)
            assert gap(pil, pil).max() < 1e-6
            x = rng.random((2, 3, 240, 250), dtype=np.float32)
            # NOTE: torch's float32 antialiased resize is up to 2.5e-5 off the float64
            # result here (glassnet's: 1.5e-7)
            assert gap(glassnet.tensor(x), torch.from_numpy(x)).max() < 3e-5
            u8 = arr.transpose(2, 0, 1).copy()
            # NOTE: the uint8 resize may round a few pixels one level apart (torch's kernel)
            diff = gap(glassnet.tensor(u8), torch.from_numpy(u8)) * 255
            assert diff.max() <= 1.0001 and (diff > 0.5).mean() < 0.01
