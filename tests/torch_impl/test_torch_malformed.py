"""Every malformed input is a one-line ValueError naming the key and expected vs actual."""
import re

import numpy as np
import pytest
import torch

from rnn_parity.reference import RNNConfig, init_params
from rnn_parity.torch_impl import from_scheme, from_state_dict, to_scheme, to_state_dict, to_torch

CONFIG = RNNConfig(3, 4, 2, num_layers=2, bidirectional=True, bias="torch")


def state_dict():
    return to_state_dict(init_params(CONFIG, seed=0))


def one_line_error(fn, *patterns):
    with pytest.raises(ValueError) as e:
        fn()
    message = str(e.value)
    assert "\n" not in message, message
    for p in patterns:
        assert re.search(p, message), f"{p!r} not in {message!r}"
    return message


def edit(sd, key, value=None):
    sd = dict(sd)
    if value is None:
        del sd[key]
    else:
        sd[key] = value
    return sd


SD_CASES = {
    "missing key": (lambda sd: edit(sd, "rnn.weight_hh_l1_reverse"),
                    [r"missing key 'rnn\.weight_hh_l1_reverse'", r"expected shape \(4, 4\)"]),
    "extra key": (lambda sd: edit(sd, "rnn.weight_ih_l2", torch.zeros(4, 8, dtype=torch.float64)),
                  [r"unexpected key 'rnn\.weight_ih_l2'", r"shape \(4, 8\)"]),
    "wrong shape": (lambda sd: edit(sd, "rnn.weight_ih_l1", torch.zeros(4, 4, dtype=torch.float64)),
                    [r"'rnn\.weight_ih_l1' has shape \(4, 4\), expected \(4, 8\)"]),
    "transposed": (lambda sd: edit(sd, "fc.weight", sd["fc.weight"].T),
                   [r"'fc\.weight' has shape \(8, 2\), expected \(2, 8\)"]),
    "float16": (lambda sd: edit(sd, "fc.bias", sd["fc.bias"].half()),
                [r"'fc\.bias' has dtype float16, expected float32 or float64"]),
    "bfloat16": (lambda sd: edit(sd, "fc.bias", sd["fc.bias"].bfloat16()),
                 [r"'fc\.bias' has dtype torch\.bfloat16, expected float32 or float64"]),
    "int64": (lambda sd: edit(sd, "rnn.bias_ih_l0", torch.zeros(4, dtype=torch.long)),
              [r"'rnn\.bias_ih_l0' has dtype int64, expected float32 or float64"]),
    "mixed dtypes": (lambda sd: edit(sd, "rnn.weight_hh_l0", sd["rnn.weight_hh_l0"].float()),
                     [r"'rnn\.weight_hh_l0' has dtype float32, expected float64 like 'rnn\.weight_ih_l0'"]),
    "NaN": (lambda sd: edit(sd, "rnn.weight_hh_l0", sd["rnn.weight_hh_l0"].index_fill(0, torch.tensor([1]),
                                                                                     float("nan"))),
            [r"'rnn\.weight_hh_l0' holds NaN/Inf \(4 of 16 values\), expected finite"]),
    "Inf": (lambda sd: edit(sd, "fc.bias", torch.tensor([0.0, float("-inf")], dtype=torch.float64)),
            [r"'fc\.bias' holds NaN/Inf \(1 of 2 values\)"]),
    "not an array": (lambda sd: edit(sd, "fc.bias", object()), [r"'fc\.bias' has shape \(\), expected \(2,\)"]),
}


@pytest.mark.parametrize("case", SD_CASES)
def test_from_state_dict_rejects(case):
    make, patterns = SD_CASES[case]
    one_line_error(lambda: from_state_dict(make(state_dict()), CONFIG), r"^from_state_dict: ", *patterns)


def test_from_state_dict_rejects_a_config_of_another_bias_mode():
    one_line_error(lambda: from_state_dict(state_dict(), RNNConfig(**{**CONFIG.to_dict(), "bias": "none"})),
                   r"unexpected key 'rnn\.bias_ih_l0'")


def test_from_state_dict_rejects_a_non_mapping():
    one_line_error(lambda: from_state_dict([1, 2], CONFIG), "mapping")


PARAM_CASES = {
    "missing key": (lambda p: p.pop("bhh_l1"), [r"missing key 'bhh_l1' \(expected shape \(4,\)\)"]),
    "extra key": (lambda p: p.__setitem__("Wxh_l2", np.zeros((4, 8))), [r"unexpected key 'Wxh_l2'"]),
    "wrong shape": (lambda p: p.__setitem__("Why", np.zeros((2, 4))), [r"'Why' has shape \(2, 4\), expected \(2, 8\)"]),
    "wrong dtype": (lambda p: p.__setitem__("by", np.zeros(2, np.int32)), [r"'by' has dtype int32"]),
    "NaN": (lambda p: p["Whh"].__setitem__((0, 0), np.nan), [r"'Whh' holds NaN/Inf \(1 of 16 values\)"]),
    "Inf": (lambda p: p["bh"].__setitem__(0, np.inf), [r"'bh' holds NaN/Inf"]),
}


@pytest.mark.parametrize("case", PARAM_CASES)
@pytest.mark.parametrize("fn", [to_state_dict, to_torch], ids=["to_state_dict", "to_torch"])
def test_params_are_checked_before_copying(case, fn):
    params = init_params(CONFIG, seed=0)
    mutate, patterns = PARAM_CASES[case]
    mutate(params)
    one_line_error(lambda: fn(params), *patterns)


def test_params_without_a_config_are_refused():
    one_line_error(lambda: to_state_dict({"Wxh": np.zeros((4, 3))}), "RNNConfig")


def seed_arrays():
    return to_scheme(init_params(RNNConfig(3, 4, 2), seed=0), "coursera")


SCHEME_CASES = {
    "undetectable": (lambda a: {"A": np.zeros((2, 2)), "B": np.zeros(2)},
                     [r"no naming scheme fits the keys found \['A', 'B'\]", "karpathy: Wxh Whh Why bh by",
                      "coursera: Wax Waa Wya ba|b by", "uvw: U V W bh by"]),
    "one name short": (lambda a: edit(a, "Waa"), [r"no naming scheme fits the keys found \['Wax', 'Wya', 'ba', 'by'\]"]),
    "mixed schemes": (lambda a: edit(a, "U", a["Wax"]), [r"no naming scheme fits .*'U'"]),
    "ba and b": (lambda a: edit(a, "b", a["ba"]), ["no naming scheme fits"]),
    "wrong shape": (lambda a: edit(a, "Wya", np.zeros((2, 5))), [r"'Wya' has shape \(2, 5\), expected \(2, 4\)"]),
    "bias shape": (lambda a: edit(a, "ba", np.zeros((1, 4))), [r"'ba' has shape \(1, 4\), expected \(4,\)"]),
    "not square": (lambda a: edit(a, "Waa", np.zeros((4, 5))), [r"'Waa' has shape \(4, 5\), expected \(4, 4\)"]),
    "vector weight": (lambda a: edit(a, "Wax", np.zeros(4)), [r"'Wax' has shape \(4,\), expected a matrix \(H, D\)"]),
    "wrong dtype": (lambda a: edit(a, "by", np.zeros((2, 1), np.float16)), [r"'by' has dtype float16"]),
    "NaN": (lambda a: edit(a, "Wax", np.full((4, 3), np.nan)), [r"'Wax' holds NaN/Inf \(12 of 12 values\)"]),
}


@pytest.mark.parametrize("case", SCHEME_CASES)
def test_from_scheme_rejects(case):
    make, patterns = SCHEME_CASES[case]
    one_line_error(lambda: from_scheme(make(seed_arrays())), r"^from_scheme", *patterns)


def test_from_scheme_named_scheme_must_fit():
    one_line_error(lambda: from_scheme(seed_arrays(), "uvw"),
                   r"from_scheme\(uvw\): the keys found \['Waa', 'Wax', 'Wya', 'ba', 'by'\] are not uvw's: U V W bh by")
    one_line_error(lambda: from_scheme(seed_arrays(), "torch"), r"unknown scheme 'torch'")
