"""Neural style transfer: VGG-19 features from a torchvision-format file (strict) equal
torch's; the losses equal torch's on the same features; the optimisation lowers them;
``glassnet stylize`` writes an image and says which features it used."""
import numpy as np
import pytest

from glassnet.apps.style import (FeatureExtractor, content_loss, gram_matrix,
                                 random_vgg19_features, stylize, style_loss,
                                 total_variation_loss, vgg19_features, vgg_layer_names)
from glassnet import from_numpy
from glassnet.tensor import Tensor
from glassnet.vision.models.vgg import CFGS

MEAN = np.array([0.485, 0.456, 0.406], np.float32).reshape(1, 3, 1, 1)
STD = np.array([0.229, 0.224, 0.225], np.float32).reshape(1, 3, 1, 1)


def _torch_vgg19_features(torch):
    """torchvision's vgg19().features where torchvision is installed, else its layout
    built in plain torch (checked against torchvision's where it is installed)."""
    layers, c = [], 3
    for v in CFGS["E"]:
        if v == "M":
            layers.append(torch.nn.MaxPool2d(2, 2))
        else:
            layers += [torch.nn.Conv2d(c, v, 3, padding=1), torch.nn.ReLU()]
            c = v
    plain = torch.nn.Sequential(*layers)
    try:
        from torchvision.models import vgg19
    except ImportError:
        return plain
    ref = vgg19(weights=None).features
    assert [type(m) for m in ref] == [type(m) for m in plain]
    assert ({k: v.shape for k, v in ref.state_dict().items()}
            == {k: v.shape for k, v in plain.state_dict().items()})
    return ref


@pytest.fixture(scope="module")
def torch_vgg(tmp_path_factory):
    torch = pytest.importorskip("torch")
    pytest.importorskip("safetensors")
    from safetensors.numpy import save_file

    torch.manual_seed(0)
    net = _torch_vgg19_features(torch).eval()
    path = tmp_path_factory.mktemp("vgg") / "vgg19_features.safetensors"
    save_file({f"features.{k}": v.numpy() for k, v in net.state_dict().items()}, str(path))
    return torch, net, path


def test_layer_names_follow_vgg19_indices():
    names = vgg_layer_names(CFGS["E"])
    assert len(names) == 37
    # torchvision's vgg19().features indices of the layers Gatys et al. use
    assert [names.index(n) for n in ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu4_2",
                                     "relu5_1")] == [1, 6, 11, 20, 22, 29]
    assert names[4] == "pool1" and names[-1] == "pool5"


def test_weights_file_loads_strictly_and_gives_torchs_features(torch_vgg):
    torch, net, path = torch_vgg
    ext = vgg19_features(path, pool="max")
    assert str(path) in ext.source
    x = np.random.default_rng(0).random((1, 3, 32, 32)).astype(np.float32)
    ours = ext(Tensor(x), ["relu1_1", "relu3_1", "relu5_1"])
    with torch.no_grad():
        h = torch.from_numpy((x - MEAN) / STD)
        ref = {}
        for i, m in enumerate(net):
            h = m(h)
            ref[i] = h.clone()
    for name, idx in (("relu1_1", 1), ("relu3_1", 11), ("relu5_1", 29)):
        r = ref[idx].numpy()
        np.testing.assert_allclose(ours[name].numpy(), r, rtol=1e-4,
                                   atol=1e-4 * float(np.abs(r).max()))


def test_weights_file_with_a_missing_key_is_refused(torch_vgg, tmp_path):
    from safetensors.numpy import load_file, save_file

    _, _, path = torch_vgg
    state = load_file(str(path))
    del state["features.34.bias"]
    state["features.99.weight"] = np.zeros(3, np.float32)
    bad = tmp_path / "bad.safetensors"
    save_file(state, str(bad))
    with pytest.raises(ValueError, match=r"34\.bias[\s\S]*99\.weight|99\.weight[\s\S]*34\.bias"):
        vgg19_features(bad)


def test_losses_equal_torchs_on_the_same_features(torch_vgg):
    torch = torch_vgg[0]
    ext = random_vgg19_features(seed=1)
    rng = np.random.default_rng(2)
    img = rng.random((1, 3, 40, 48)).astype(np.float32)
    sty = rng.random((1, 3, 32, 32)).astype(np.float32)
    layers = ["relu1_1", "relu2_1", "relu3_1"]
    # real features of a photo-sized input and of a style image of another size
    f = {k: v.numpy() for k, v in ext(Tensor(img), layers + ["relu2_2"]).items()}
    s = {k: v.numpy() for k, v in ext(Tensor(sty), layers).items()}
    c = f["relu2_2"] * 0.5 + 0.1

    def total(lib, leaf, const):
        if lib == "glassnet":
            con, sty_, tv = content_loss, style_loss, total_variation_loss
        else:
            mse = torch.nn.functional.mse_loss

            def tgram(a):
                n, ch, h, w = a.shape
                a = a.reshape(n, ch, h * w)
                return a @ a.transpose(1, 2) / (ch * h * w)

            def con(a, b):
                return mse(a, b)

            def sty_(a, b):
                return mse(tgram(a), tgram(b))

            def tv(x):
                return (((x[:, :, 1:] - x[:, :, :-1]) ** 2).mean()
                        + ((x[..., 1:] - x[..., :-1]) ** 2).mean())
        terms = [con(leaf["relu2_2"], const["c"])]
        terms += [sty_(leaf[k], const[k]) for k in layers]
        terms += [tv(leaf["image"])]
        return terms, terms[0] + 1e3 * (terms[1] + terms[2] + terms[3]) + terms[4]

    arrays = dict(f, image=img)
    g_leaf = {k: from_numpy(v.astype(np.float64)).requires_grad_(True)
              for k, v in arrays.items()}
    t_leaf = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
              for k, v in arrays.items()}
    g_const = {k: from_numpy(v.astype(np.float64)) for k, v in dict(s, c=c).items()}
    t_const = {k: torch.tensor(v, dtype=torch.float64) for k, v in dict(s, c=c).items()}
    g_terms, g_total = total("glassnet", g_leaf, g_const)
    t_terms, t_total = total("torch", t_leaf, t_const)
    for ours, ref in zip(g_terms, t_terms):
        assert float(ours) == pytest.approx(ref.item(), rel=1e-9)
    assert g_terms[1].item() > 0 and g_terms[4].item() > 0
    g_total.backward()
    t_total.backward()
    for k in arrays:
        ref = t_leaf[k].grad.numpy()
        assert np.abs(ref).max() > 0, k
        np.testing.assert_allclose(g_leaf[k].grad.numpy(), ref, rtol=1e-9,
                                   atol=1e-12 * np.abs(ref).max())


def test_gram_matrix_by_hand():
    f = np.arange(8, dtype=np.float32).reshape(1, 2, 2, 2)  # channels [0..3], [4..7]
    g = gram_matrix(Tensor(f)).numpy()[0]
    a, b = np.arange(4.0), np.arange(4.0, 8.0)
    np.testing.assert_allclose(g, np.array([[a @ a, a @ b], [b @ a, b @ b]]) / 8, rtol=1e-6)


def _photo_pair(n=48):
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:n, 0:n] / n
    content = np.stack([xx, yy, 0.5 + 0.4 * np.sin(6 * xx)]).astype(np.float32)
    stripes = (np.sin(40 * (xx + yy)) > 0).astype(np.float32)
    style = np.stack([stripes, 1 - stripes, rng.random((n, n))]).astype(np.float32)
    return content, style


def test_stylize_lowers_the_loss_with_lbfgs_and_with_adam():
    content, style = _photo_pair()
    ext = random_vgg19_features(seed=0)
    r = stylize(content, style, ext, steps=15, content_layers=["relu3_1"],
                style_layers=["relu1_1", "relu2_1", "relu3_1"])
    assert [h["step"] for h in r.history] == list(range(16))
    assert r.loss_reduction > 5
    assert r.history[-1]["evaluations"] == r.evaluations > 15
    assert r.image.shape == (3, 48, 48) and 0 <= r.image.min() and r.image.max() <= 1
    assert "random weights" in r.source
    a = stylize(content, style, ext, steps=15, optimizer="adam", lr=0.05,
                content_layers=["relu3_1"], style_layers=["relu1_1", "relu2_1"])
    assert a.history[-1]["total"] < 0.7 * a.history[0]["total"]


def test_content_reconstruction_from_noise_approaches_the_content():
    content, style = _photo_pair(32)
    r = stylize(content, style, random_vgg19_features(seed=0), steps=20, style_weight=0,
                tv_weight=0, init="noise", content_layers=["relu1_2"])
    start = np.random.default_rng(0).uniform(0, 1, (1, 3, 32, 32)).astype(np.float32)[0]
    assert np.abs(r.image - content).mean() < 0.6 * np.abs(start - content).mean()
    assert r.history[-1]["style"] == 0.0


def test_bad_inputs_name_the_function_and_argument():
    ext = random_vgg19_features()
    content, style = _photo_pair(16)
    with pytest.raises(ValueError, match="stylize: optimizer must be"):
        stylize(content, style, ext, optimizer="sgd")
    with pytest.raises(ValueError, match="stylize: content must be an RGB image"):
        stylize(content[:1], style, ext)
    with pytest.raises(ValueError, match="FeatureExtractor: unknown layers"):
        ext(Tensor(content[None]), ["relu9_1"])
    with pytest.raises(ValueError, match="content_loss: target must have input's shape"):
        content_loss(Tensor(np.zeros((1, 2, 3, 3))), Tensor(np.zeros((1, 2, 3, 4))))
    with pytest.raises(ValueError, match=r"gram_matrix: input must have shape \(N, C, H, W\)"):
        gram_matrix(Tensor(np.zeros((2, 3))))
    with pytest.raises(FileNotFoundError, match="weights file not found"):
        vgg19_features("no/such/file.safetensors")
    assert isinstance(ext, FeatureExtractor)


def test_stylize_cli_writes_the_image_and_names_the_features(tmp_path, capsys):
    from PIL import Image

    from glassnet.cli.main import main

    content, style = _photo_pair(40)
    for name, img in (("c.png", content), ("s.png", style)):
        Image.fromarray((img.transpose(1, 2, 0) * 255).astype(np.uint8)).save(tmp_path / name)
    out = tmp_path / "out.png"
    rc = main(["stylize", str(tmp_path / "c.png"), str(tmp_path / "s.png"), "--out", str(out),
               "--size", "32", "--steps", "4", "--no-progress"])
    assert rc == 0
    text = capsys.readouterr().out
    assert "features used: random weights" in text and "x lower" in text
    im = Image.open(out)
    assert im.size == (32, 32) and im.mode == "RGB"
    assert np.asarray(im).std() > 5  # an image, not a constant
