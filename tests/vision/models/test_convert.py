"""load_torch_weights from a mapping, a torch.save file and a safetensors file."""
from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn
from glassnet.vision import models

torch = pytest.importorskip("torch")


def _pair():
    torch.manual_seed(0)
    tnet = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.BatchNorm2d(4),
                               torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(64, 5))
    tnet(torch.randn(3, 3, 4, 4))  # non-trivial running statistics
    tnet.eval()
    gnet = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.Flatten(), nn.Linear(64, 5))
    gnet.eval()
    return tnet, gnet


def _outputs_match(tnet, gnet):
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 4)).astype(np.float32)
    with torch.no_grad():
        ref = tnet(torch.from_numpy(x)).numpy()
    with gn.no_grad():
        out = gnet(gn.tensor(x)).numpy()
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("zip_format", [True, False], ids=["zip", "legacy"])
def test_a_torch_saved_state_dict_file_loads_strictly_and_gives_torchs_outputs(
        tmp_path, zip_format):
    tnet, gnet = _pair()
    path = tmp_path / "net.pth"
    torch.save(tnet.state_dict(), path, _use_new_zipfile_serialization=zip_format)
    models.load_torch_weights(gnet, path, strict=True)
    _outputs_match(tnet, gnet)


def test_a_safetensors_file_still_loads(tmp_path):
    safetensors_torch = pytest.importorskip("safetensors.torch")
    tnet, gnet = _pair()
    path = tmp_path / "net.safetensors"
    safetensors_torch.save_file({k: v.contiguous() for k, v in tnet.state_dict().items()},
                                str(path))
    models.load_torch_weights(gnet, str(path), strict=True)
    _outputs_match(tnet, gnet)


def test_a_pth_file_that_is_not_a_state_dict_is_refused(tmp_path):
    path = tmp_path / "list.pth"
    torch.save([torch.zeros(2)], path)
    with pytest.raises(ValueError, match="holds a list, expected a state_dict mapping"):
        models.load_torch_weights(nn.Linear(2, 2), path)
