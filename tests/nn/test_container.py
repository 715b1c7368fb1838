"""Tests of Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict vs torch."""
from collections import OrderedDict

import numpy as np
import pytest

import glassnet
import glassnet.nn as nn

torch = pytest.importorskip("torch")
tnn = torch.nn


def _names(module):
    return [n for n, _ in module.named_parameters()]


def _kinds(seq):
    return [type(m).__name__ for m in seq]


def test_sequential_forward_chains_modules_and_matches_torch():
    g = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    t = tnn.Sequential(tnn.Linear(3, 4), tnn.ReLU(), tnn.Linear(4, 2))
    t.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in g.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_allclose(g(glassnet.tensor(x)).data, t(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    assert _names(g) == _names(t) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_sequential_ordered_dict_form_names():
    g = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.Tanh())]))
    t = tnn.Sequential(OrderedDict([("fc", tnn.Linear(2, 2)), ("act", tnn.Tanh())]))
    assert _names(g) == _names(t) == ["fc.weight", "fc.bias"]
    assert g.fc is g[0] and repr(g) == repr(t)


def test_sequential_indexing_slicing_and_mutation_match_torch():
    def build(m):
        return m.Sequential(m.Linear(1, 2), m.ReLU(), m.Linear(2, 3), m.Tanh(), m.Linear(3, 4))

    g, t = build(nn), build(tnn)
    assert len(g) == len(t) == 5
    assert type(g[-1]).__name__ == "Linear" and g[-1] is g[4]
    sl = g[1:4]
    assert isinstance(sl, nn.Sequential) and _kinds(sl) == _kinds(t[1:4])
    assert list(sl._modules) == list(t[1:4]._modules)  # keys kept, as torch
    assert _kinds(g[::2]) == _kinds(t[::2])
    with pytest.raises(IndexError):
        g[5]
    with pytest.raises(IndexError):
        g[-6]
    # mutate both the same way; compare parameter names and module kinds
    for seq, m in ((g, nn), (t, tnn)):
        del seq[1]
        seq.append(m.Sigmoid())
        seq.insert(0, m.Identity())
        seq.insert(-1, m.ReLU6())
        seq.extend([m.Softsign()])
        seq[2] = m.Linear(2, 3)
        del seq[0:1]
        seq.pop(0)
    assert _kinds(g) == _kinds(t)
    assert list(g._modules) == list(t._modules)
    assert _names(g) == _names(t)
    assert [type(m).__name__ for m in g] == _kinds(t)


def test_sequential_add_and_mul():
    a = nn.Sequential(nn.ReLU())
    b = nn.Sequential(nn.Tanh(), nn.Sigmoid())
    assert _kinds(a + b) == ["ReLU", "Tanh", "Sigmoid"]
    assert _kinds(b * 2) == ["Tanh", "Sigmoid"] * 2
    a += b
    assert _kinds(a) == ["ReLU", "Tanh", "Sigmoid"]
    with pytest.raises(ValueError):
        a + [nn.ReLU()]
    with pytest.raises(ValueError):
        b * 0


def test_modulelist_registers_indexes_and_repr_matches_torch():
    def build(m):
        return m.ModuleList([m.Linear(2, 2), m.Linear(2, 2), m.Linear(2, 2), m.ReLU(),
                             m.Linear(2, 3)])

    g, t = build(nn), build(tnn)
    assert repr(g) == repr(t)
    assert _names(g) == _names(t)
    assert g[-1].out_features == 3 and len(g) == 5
    assert isinstance(g[1:3], nn.ModuleList) and len(g[1:3]) == 2
    for lst, m in ((g, nn), (t, tnn)):
        lst.append(m.Tanh())
        lst.extend([m.Sigmoid(), m.Linear(1, 1)])
        lst.insert(1, m.Identity())
        del lst[2]
        lst[0] = m.Linear(5, 5)
        lst += [m.ReLU()]
        lst.pop(-2)
    assert [type(m).__name__ for m in g] == [type(m).__name__ for m in t]
    assert list(g._modules) == list(t._modules)
    assert _names(g) == _names(t)
    assert repr(g) == repr(t)
    assert repr(nn.ModuleList()) == repr(tnn.ModuleList()) == "ModuleList()"
    with pytest.raises(TypeError, match="iterable"):
        nn.ModuleList(nn.ReLU())


def test_moduledict_behaves_like_an_ordered_dict():
    def build(m):
        return m.ModuleDict({"b": m.Linear(1, 2), "a": m.ReLU()})

    g, t = build(nn), build(tnn)
    assert list(g.keys()) == list(t.keys()) == ["b", "a"]
    assert "a" in g and len(g) == 2 and list(g) == ["b", "a"]
    g["c"] = nn.Linear(2, 2)
    t["c"] = tnn.Linear(2, 2)
    g.update([("d", nn.Tanh())])
    t.update([("d", tnn.Tanh())])
    del g["a"]
    del t["a"]
    assert g.pop("d").__class__.__name__ == "Tanh"
    t.pop("d")
    assert _names(g) == _names(t) and repr(g) == repr(t)
    assert [type(v).__name__ for v in g.values()] == [type(v).__name__ for v in t.values()]
    g.clear()
    assert len(g) == 0
    with pytest.raises(ValueError):
        g.update([("x", nn.ReLU(), 3)])


def test_parameterlist_wraps_tensors_registers_names_and_repr():
    g = nn.ParameterList([glassnet.zeros(2, 3), nn.Parameter(glassnet.ones(4))])
    t = tnn.ParameterList([torch.zeros(2, 3), tnn.Parameter(torch.ones(4))])
    assert all(isinstance(p, nn.Parameter) for p in g)
    assert _names(g) == _names(t) == ["0", "1"]
    g.append(glassnet.zeros(1))
    t.append(torch.zeros(1))
    g.extend([glassnet.zeros(5)])
    t.extend([torch.zeros(5)])
    assert len(g) == len(t) == 4 and g[-1].shape == (5,)
    assert repr(g) == repr(t).replace("torch.", "glassnet.")
    m = nn.Module()
    m.plist = g
    assert [n for n, _ in m.named_parameters()] == ["plist.0", "plist.1", "plist.2",
                                                    "plist.3"]
    with pytest.raises(RuntimeError):
        g(1)
    with pytest.raises(TypeError):
        g.extend(glassnet.zeros(3))


def test_parameterdict_wraps_tensors_registers_names_and_repr():
    g = nn.ParameterDict({"w": glassnet.zeros(2), "b": nn.Parameter(glassnet.ones(3, 2))})
    t = tnn.ParameterDict({"w": torch.zeros(2), "b": tnn.Parameter(torch.ones(3, 2))})
    assert _names(g) == _names(t) == ["b", "w"]  # a plain dict is sorted, as in torch
    assert isinstance(g["w"], nn.Parameter) and "b" in g and len(g) == 2
    g["z"] = glassnet.zeros(1, dtype=glassnet.float64)
    t["z"] = torch.zeros(1, dtype=torch.float64)
    assert list(g.keys()) == list(t.keys())
    assert repr(g) == repr(t).replace("torch.", "glassnet.")
    assert g.pop("w").shape == (2,)
    assert list(g) == ["b", "z"]
    with pytest.raises(TypeError, match="keys must be strings"):
        g[1] = glassnet.zeros(1)
    g.clear()
    assert len(g) == 0 and list(g.named_parameters()) == []


def test_containers_state_dict_round_trip():
    model = nn.Sequential(nn.ModuleList([nn.Linear(2, 2)]),
                          nn.ModuleDict({"h": nn.Linear(2, 1)}))
    model.add_module("params", nn.ParameterList([glassnet.ones(3)]))
    sd = model.state_dict()
    assert list(sd) == ["0.0.weight", "0.0.bias", "1.h.weight", "1.h.bias", "params.0"]
    other = nn.Sequential(nn.ModuleList([nn.Linear(2, 2)]),
                          nn.ModuleDict({"h": nn.Linear(2, 1)}))
    other.add_module("params", nn.ParameterList([glassnet.zeros(3)]))
    other.load_state_dict(sd)
    for k, v in other.state_dict().items():
        np.testing.assert_array_equal(v.data, sd[k].data)
