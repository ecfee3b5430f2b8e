"""The gated answer key (grader/judging/conventions.py): torch's convention equals nn.GRU / nn.LSTM, and every
convention's backward is the finite-difference gradient of its own forward."""
import numpy as np
import pytest
import torch

from rnn_parity.grader.judging import conventions as CV
from rnn_parity.reference.tolerances import GRADCHECK_REL_ERROR, parity_tolerance

T, B, D, H = 3, 2, 4, 5


def _inputs(seed, gates):
    g = np.random.default_rng(seed).normal
    return dict(x=g(0, 1, (T, B, D)), h0=g(0, 0.8, (B, H)), Wx=g(0, 0.5, (D, gates * H)),
                Wh=g(0, 0.5, (H, gates * H)), dh=g(0, 1, (T, B, H)), dh_n=g(0, 1, (B, H)))


def _fd(loss, arrays: dict, eps=1e-6) -> dict:
    out = {}
    for name, a in arrays.items():
        grad = np.zeros_like(a)
        for i in np.ndindex(a.shape):
            keep = a[i]
            a[i] = keep + eps
            up = loss()
            a[i] = keep - eps
            down = loss()
            a[i] = keep
            grad[i] = (up - down) / (2 * eps)
        out[name] = grad
    return out


def _rel(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


def test_torch_convention_is_nn_gru():
    c = _inputs(0, 3)
    g = np.random.default_rng(1).normal
    bx, bh = g(0, 0.3, 3 * H), g(0, 0.3, 3 * H)
    mine = CV.gru(c["x"], c["h0"], c["Wx"], c["Wh"], bx, bh, ("after", "old"))
    cell = torch.nn.GRU(D, H).double()
    with torch.no_grad():
        cell.weight_ih_l0.copy_(torch.tensor(c["Wx"].T))
        cell.weight_hh_l0.copy_(torch.tensor(c["Wh"].T))
        cell.bias_ih_l0.copy_(torch.tensor(bx))
        cell.bias_hh_l0.copy_(torch.tensor(bh))
        theirs, _ = cell(torch.tensor(c["x"]), torch.tensor(c["h0"])[None])
    tol = parity_tolerance("forward", "float64")
    np.testing.assert_allclose(mine["h"], theirs.numpy(), rtol=tol.rtol, atol=tol.atol)


def test_standard_lstm_is_nn_lstm():
    c = _inputs(2, 4)
    g = np.random.default_rng(3).normal
    b, c0 = g(0, 0.3, 4 * H), g(0, 0.8, (B, H))
    mine = CV.lstm(c["x"], c["h0"], c0, c["Wx"], c["Wh"], b)
    cell = torch.nn.LSTM(D, H).double()
    with torch.no_grad():
        cell.weight_ih_l0.copy_(torch.tensor(c["Wx"].T))
        cell.weight_hh_l0.copy_(torch.tensor(c["Wh"].T))
        cell.bias_ih_l0.copy_(torch.tensor(b))
        cell.bias_hh_l0.zero_()
        theirs, (h_n, c_n) = cell(torch.tensor(c["x"]), (torch.tensor(c["h0"])[None], torch.tensor(c0)[None]))
    tol = parity_tolerance("forward", "float64")
    np.testing.assert_allclose(mine["h"], theirs.numpy(), rtol=tol.rtol, atol=tol.atol)
    np.testing.assert_allclose(mine["c_n"], c_n[0].numpy(), rtol=tol.rtol, atol=tol.atol)


@pytest.mark.parametrize("convention", CV.GRU_CONVENTIONS)
def test_gru_backward_is_the_gradient_of_its_forward(convention):
    c = _inputs(4, 3)
    g = np.random.default_rng(5).normal
    arrays = {"x": c["x"], "h0": c["h0"], "Wx": c["Wx"], "Wh": c["Wh"], "bx": g(0, 0.3, 3 * H),
              "bh": g(0, 0.3, 3 * H)}

    def loss():
        r = CV.gru(arrays["x"], arrays["h0"], arrays["Wx"], arrays["Wh"], arrays["bx"], arrays["bh"], convention)
        return float(np.sum(r["h"] * c["dh"]) + np.sum(r["h_n"] * c["dh_n"]))

    r = CV.gru(**arrays, convention=convention, dh=c["dh"], dh_n=c["dh_n"])
    for name, fd in _fd(loss, arrays).items():
        assert _rel(r["d" + name], fd) < GRADCHECK_REL_ERROR, (convention, name)


def test_lstm_backward_is_the_gradient_of_its_forward():
    c = _inputs(6, 4)
    g = np.random.default_rng(7).normal
    arrays = {"x": c["x"], "h0": c["h0"], "c0": g(0, 0.8, (B, H)), "Wx": c["Wx"], "Wh": c["Wh"],
              "b": g(0, 0.3, 4 * H)}
    dc_n = g(0, 1, (B, H))

    def loss():
        r = CV.lstm(**arrays)
        return float(np.sum(r["h"] * c["dh"]) + np.sum(r["c_n"] * dc_n))

    r = CV.lstm(**arrays, dh=c["dh"], dc_n=dc_n)
    for name, fd in _fd(loss, arrays).items():
        assert _rel(r["d" + name], fd) < GRADCHECK_REL_ERROR, name


def test_the_four_gru_conventions_are_different_functions():
    c = _inputs(8, 3)
    zeros = np.zeros(3 * H)
    outs = {conv: CV.gru(c["x"], c["h0"], c["Wx"], c["Wh"], zeros + 0.2, zeros + 0.1, conv)["h"]
            for conv in CV.GRU_CONVENTIONS}
    for conv, h in outs.items():
        assert CV.closest(h, outs, 1e-12)[0] == conv


def test_gate_orders_round_trip():
    W = np.arange(2 * 4 * 3).reshape(2, 12).astype(float)
    for order in CV.permutations(4):
        assert np.array_equal(CV.from_canonical(CV.to_canonical(W, order, 3), order, 3), W)
