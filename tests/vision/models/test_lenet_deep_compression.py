"""LeNet-300-100 and Caffe's LeNet-5: parameter counts of Deep Compression's Table 1,
registry names, and outputs equal to the same layers built in torch with the same weights."""
from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
import glassnet.models


def test_parameter_counts_and_names():
    m1 = glassnet.models.get_model("lenet_300_100")
    m2 = glassnet.models.get_model("lenet5_caffe")
    assert sum(p.numel() for p in m1.parameters()) == 784 * 300 + 300 + 300 * 100 + 100 + 1010
    assert sum(p.numel() for p in m2.parameters()) == 431_080  # "431K" in the paper
    assert [n for n, _ in m2.named_parameters()][::2] == ["conv1.weight", "conv2.weight",
                                                          "fc1.weight", "fc2.weight"]
    assert {"lenet_300_100", "lenet5_caffe"} <= set(glassnet.models.list_models())


def test_outputs_equal_torch():
    torch = pytest.importorskip("torch")
    tnn = torch.nn
    gn.manual_seed(0)
    x = np.random.default_rng(0).standard_normal((3, 1, 28, 28)).astype(np.float32)
    for name, ref in (
        ("lenet_300_100", tnn.Sequential(tnn.Flatten(), tnn.Linear(784, 300), tnn.ReLU(),
                                         tnn.Linear(300, 100), tnn.ReLU(), tnn.Linear(100, 10))),
        ("lenet5_caffe", tnn.Sequential(tnn.Conv2d(1, 20, 5), tnn.MaxPool2d(2),
                                        tnn.Conv2d(20, 50, 5), tnn.MaxPool2d(2), tnn.Flatten(),
                                        tnn.Linear(800, 500), tnn.ReLU(), tnn.Linear(500, 10))),
    ):
        m = glassnet.models.get_model(name)
        tparams = [p for p in ref.parameters()]
        with torch.no_grad():
            for p, t in zip(m.parameters(), tparams):
                t.copy_(torch.from_numpy(p.detach().numpy()))
        out = m(gn.tensor(x)).detach().numpy()
        np.testing.assert_allclose(out, ref(torch.from_numpy(x)).detach().numpy(), rtol=1e-4,
                                   atol=1e-5)
