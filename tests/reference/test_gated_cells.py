"""The LSTM and GRU step functions on their own, against the equations of DESIGN.md written out gate by gate.

The transcriptions below take each gate's own weights (torch's stacking: LSTM i, f, g, o; GRU r, z, n) and
the textbook sigmoid 1 / (1 + exp(-a)), so they share no code with reference/lstm.py and reference/gru.py.
Also: a padded step keeps h and c; the GRU's b_hn sits inside the reset gate's product; the LSTM's projection.
"""
import numpy as np
import pytest

from rnn_parity.reference import RNNConfig, forward, init_params
from rnn_parity.reference import gru, lstm
from rnn_parity.reference.tolerances import GRADCHECK_REL_ERROR, parity_tolerance

TOL = parity_tolerance("forward", "float64")  # the same equations, evaluated in another order


def close(name, mine, theirs, tol=TOL):
    """Shape, then dtype, then values, labelled."""
    assert np.shape(mine) == np.shape(theirs), f"{name}: shape {np.shape(mine)} vs {np.shape(theirs)}"
    assert np.asarray(mine).dtype == np.asarray(theirs).dtype, f"{name}: dtype"
    np.testing.assert_allclose(mine, theirs, rtol=tol.rtol, atol=tol.atol, err_msg=name)


def sig(a):
    return 1.0 / (1.0 + np.exp(-a))


def draw(rng, *shape):
    return rng.uniform(-0.8, 0.8, size=shape)


# ----------------------------------------------------------------------------------------------
# The LSTM: i, f, g, o;  c = f*c_prev + i*g;  h = o*tanh(c);  h = Whr h with a projection
# ----------------------------------------------------------------------------------------------

def lstm_by_the_equations(x, h_prev, c_prev, Wxh, Whh, b, Whr=None):
    """One LSTM step in column form, gate by gate: x (B, D), h_prev (B, S), c_prev (B, H)."""
    (W_ii, W_if, W_ig, W_io), (W_hi, W_hf, W_hg, W_ho) = np.split(Wxh, 4), np.split(Whh, 4)
    b_i, b_f, b_g, b_o = np.split(b, 4)
    out = []
    for xb, hb, cb in zip(x, h_prev, c_prev):  # one sequence at a time, column vectors
        i = sig(W_ii @ xb + b_i + W_hi @ hb)
        f = sig(W_if @ xb + b_f + W_hf @ hb)
        g = np.tanh(W_ig @ xb + b_g + W_hg @ hb)
        o = sig(W_io @ xb + b_o + W_ho @ hb)
        c = f * cb + i * g
        h = o * np.tanh(c)
        out.append((h if Whr is None else Whr @ h, c))
    return np.array([h for h, _ in out]), np.array([c for _, c in out])


@pytest.mark.parametrize("P", [0, 2], ids=["no-projection", "P2"])
def test_lstm_step_forward_is_the_equations(P):
    rng = np.random.default_rng(1)
    B, D, H = 3, 5, 4
    S = P or H
    x, h_prev, c_prev = draw(rng, B, D), draw(rng, B, S), draw(rng, B, H) * 2
    Wxh, Whh, b = draw(rng, 4 * H, D), draw(rng, 4 * H, S), draw(rng, 4 * H)
    Whr = draw(rng, P, H) if P else None
    h, c, cache = lstm.step_forward(x @ Wxh.T + b, h_prev, c_prev, Whh, Whr)
    want_h, want_c = lstm_by_the_equations(x, h_prev, c_prev, Wxh, Whh, b, Whr)
    close("h", h, want_h)
    close("c", c, want_c)
    close("m = o * tanh(c), h before the projection", cache.m, sig(cache.a[:, 3 * H:]) * np.tanh(want_c))
    assert cache.a.shape == (B, 4 * H) and h.shape == (B, S)


def test_lstm_gates_are_stacked_i_f_g_o():
    """Each quarter of the rows moves its own gate: only the forget quarter touches how much of c_prev stays."""
    rng = np.random.default_rng(2)
    B, D, H = 2, 3, 4
    x, h_prev, c_prev = draw(rng, B, D), np.zeros((B, H)), np.ones((B, H))
    xproj = np.zeros((B, 4 * H))
    xproj[:, H:2 * H] = 50.0  # f = 1, i = g = o = their value at 0
    _, c, _ = lstm.step_forward(xproj, h_prev, c_prev, np.zeros((4 * H, H)))
    close("f = 1, i = 1/2, g = 0: c = c_prev", c, c_prev)
    xproj[:, 2 * H:3 * H] = 50.0  # g = 1 as well
    _, c, _ = lstm.step_forward(xproj, h_prev, c_prev, np.zeros((4 * H, H)))
    close("g = 1 adds i * g = 1/2", c, c_prev + 0.5)


def test_lstm_step_backward_is_the_gradient_of_step_forward():
    """Central differences of one step, every input: the pre-activations' gradient da, dh_prev and dc_prev."""
    rng = np.random.default_rng(3)
    B, H, P = 2, 4, 3
    xproj, h_prev, c_prev = draw(rng, B, 4 * H), draw(rng, B, P), draw(rng, B, H)
    Whh, Whr = draw(rng, 4 * H, P), draw(rng, P, H)
    dh, dc = draw(rng, B, P), draw(rng, B, H)

    def objective(xp, hp, cp):
        h, c, _ = lstm.step_forward(xp, hp, cp, Whh, Whr)
        return float((h * dh).sum() + (c * dc).sum())

    _, _, cache = lstm.step_forward(xproj, h_prev, c_prev, Whh, Whr)
    da, dh_prev, dc_prev = lstm.step_backward(dh, dc, cache, Whh, Whr)
    for name, mine, k in (("da", da, 0), ("dh_prev", dh_prev, 1), ("dc_prev", dc_prev, 2)):
        numeric = central_differences(objective, [xproj, h_prev, c_prev], k)
        assert relative_error(mine, numeric) < GRADCHECK_REL_ERROR, name


# ----------------------------------------------------------------------------------------------
# The GRU: r, z, n;  n = tanh(W_in x + b_in + r * (W_hn h + b_hn));  h = (1-z)*n + z*h_prev
# ----------------------------------------------------------------------------------------------

def gru_by_the_equations(x, h_prev, Wxh, Whh, b_ih, b_hh, reset_after=True):
    """One GRU step in column form, gate by gate. reset_after=False is the other convention (Keras
    reset_after=False, DLFS2, textbooks): n = tanh(W_in x + b_in + W_hn (r * h) + b_hn)."""
    (W_ir, W_iz, W_in), (W_hr, W_hz, W_hn) = np.split(Wxh, 3), np.split(Whh, 3)
    (b_ir, b_iz, b_in), (b_hr, b_hz, b_hn) = np.split(b_ih, 3), np.split(b_hh, 3)
    out = []
    for xb, hb in zip(x, h_prev):
        r = sig(W_ir @ xb + b_ir + W_hr @ hb + b_hr)
        z = sig(W_iz @ xb + b_iz + W_hz @ hb + b_hz)
        if reset_after:
            n = np.tanh(W_in @ xb + b_in + r * (W_hn @ hb + b_hn))
        else:
            n = np.tanh(W_in @ xb + b_in + W_hn @ (r * hb) + b_hn)
        out.append((1 - z) * n + z * hb)
    return np.array(out)


def gru_inputs(seed=4, B=3, D=5, H=4):
    rng = np.random.default_rng(seed)
    return (draw(rng, B, D), draw(rng, B, H) * 2, draw(rng, 3 * H, D), draw(rng, 3 * H, H), draw(rng, 3 * H),
            draw(rng, 3 * H))


def test_gru_step_forward_is_the_equations():
    x, h_prev, Wxh, Whh, b_ih, b_hh = gru_inputs()
    h, cache = gru.step_forward(x @ Wxh.T + b_ih, h_prev, Whh, b_hh)
    close("h", h, gru_by_the_equations(x, h_prev, Wxh, Whh, b_ih, b_hh))
    H = h.shape[1]
    close("q_n = W_hn h + b_hn, what r scales", cache.q_n, h_prev @ Whh[2 * H:].T + b_hh[2 * H:])


def test_gru_b_hn_sits_inside_the_reset_product():
    """Added outside r * (.), b_hn would move the candidate by (1 - r) * b_hn: with r near 0 that is all of it.

    Here W_hh = 0 and b_hr = -40 (r ~ 4e-18), so inside the product b_hn is as good as gone, while added outside
    it would shift n by a full 0.9 before the tanh."""
    x, h_prev, Wxh, _, b_ih, _ = gru_inputs(seed=5)
    H = h_prev.shape[1]
    Whh = np.zeros((3 * H, H))
    b_hh = np.concatenate([np.full(H, -40.0), np.zeros(H), np.full(H, 0.9)])
    h, cache = gru.step_forward(x @ Wxh.T + b_ih, h_prev, Whh, b_hh)
    assert cache.r.max() < 1e-15
    inside = gru_by_the_equations(x, h_prev, Wxh, Whh, b_ih, b_hh)
    without = gru_by_the_equations(x, h_prev, Wxh, Whh, b_ih, np.zeros(3 * H))
    outside = gru_by_the_equations(x, h_prev, Wxh, Whh, b_ih + np.concatenate([np.zeros(2 * H), b_hh[2 * H:]]),
                                   np.zeros(3 * H))
    close("h with b_hn inside r * (.)", h, inside)
    close("r ~ 0 scales b_hn away", h, without)
    assert np.abs(h - outside).max() > 0.05, "b_hn added outside the reset product gives a different h"


def test_the_grus_b_hn_cannot_be_folded_into_the_input_bias_but_b_hr_b_hz_can():
    """A model-level consequence: moving b_hr and b_hz into bh leaves the model unchanged; moving b_hn changes it."""
    config = RNNConfig(3, 4, 2, bias="torch", cell="gru", output="all")
    params = init_params(config, seed=6)
    params["bhh"] = params["bhh"] * 4  # large enough to matter
    x = np.random.default_rng(7).normal(size=(5, 2, 3))
    reference = forward(params, x)[0]
    H = 4
    for rows, same in ((slice(0, 2 * H), True), (slice(2 * H, 3 * H), False)):
        moved = params.copy()
        moved["bh"] = params["bh"].copy()
        moved["bhh"] = params["bhh"].copy()
        moved["bh"][rows] += params["bhh"][rows]
        moved["bhh"][rows] = 0.0
        logits = forward(moved, x)[0]
        if same:
            close("b_hr, b_hz folded into bh", logits, reference)
        else:
            assert np.abs(logits - reference).max() > 1e-3, "b_hn folded into bh must change the model"


def test_the_other_gru_convention_is_a_different_function_not_a_layout():
    """Reset before the product vs after it: no reordering of rows makes them agree; the values differ."""
    x, h_prev, Wxh, Whh, b_ih, b_hh = gru_inputs(seed=8)
    after = gru_by_the_equations(x, h_prev, Wxh, Whh, b_ih, b_hh, reset_after=True)
    before = gru_by_the_equations(x, h_prev, Wxh, Whh, b_ih, b_hh, reset_after=False)
    assert np.abs(after - before).max() > 1e-2
    h, _ = gru.step_forward(x @ Wxh.T + b_ih, h_prev, Whh, b_hh)
    close("the reference is the reset-after (torch) GRU", h, after)


def test_gru_step_backward_is_the_gradient_of_step_forward():
    x, h_prev, Wxh, Whh, b_ih, b_hh = gru_inputs(seed=9)
    xproj = x @ Wxh.T + b_ih
    dh = draw(np.random.default_rng(10), *h_prev.shape)

    def objective(xp, hp, bias):
        return float((gru.step_forward(xp, hp, Whh, bias)[0] * dh).sum())

    _, cache = gru.step_forward(xproj, h_prev, Whh, b_hh)
    dp, dq, dh_prev = gru.step_backward(dh, cache, Whh)
    checks = (("dp (the input projection)", dp, 0), ("dh_prev", dh_prev, 1), ("dq summed: d b_hh", dq.sum(0), 2))
    for name, mine, k in checks:
        numeric = central_differences(objective, [xproj, h_prev, b_hh], k)
        assert relative_error(mine, numeric) < GRADCHECK_REL_ERROR, name


# ----------------------------------------------------------------------------------------------
# Both: a padded step keeps the state (pack_padded_sequence); the LSTM's projection in the model
# ----------------------------------------------------------------------------------------------

def test_a_padded_lstm_step_keeps_h_and_c_and_passes_no_gradient():
    rng = np.random.default_rng(11)
    T, B, H, P = 5, 3, 4, 2
    xproj, h0, c0 = draw(rng, T, B, 4 * H), draw(rng, B, P), draw(rng, B, H)
    Whh, Whr = draw(rng, 4 * H, P), draw(rng, P, H)
    lengths = np.array([5, 2, 1])
    mask = (np.arange(T)[:, None] < lengths[None, :])[:, :, None]
    hs, c_T, caches = lstm.recurrence_forward(xproj, h0, c0, Whh, Whr, mask)
    cs = [cache.c_prev for cache in caches] + [c_T]  # c before each step, then after the last
    for b, n in enumerate(lengths):
        for t in range(n, T):
            assert np.array_equal(hs[t + 1, b], hs[n, b]), f"h of sequence {b} moved at padded step {t}"
            assert np.array_equal(cs[t + 1][b], cs[n][b]), f"c of sequence {b} moved at padded step {t}"
    dA, dh0, dc0, _ = lstm.recurrence_backward(draw(rng, T, B, P), draw(rng, B, P), draw(rng, B, H), caches, Whh,
                                               Whr, mask)
    assert not dA[~mask[:, :, 0]].any(), "a padded step's gates get no gradient"


def test_a_padded_gru_step_keeps_h():
    rng = np.random.default_rng(12)
    T, B, H = 4, 2, 3
    xproj, h0, Whh, bhh = draw(rng, T, B, 3 * H), draw(rng, B, H), draw(rng, 3 * H, H), draw(rng, 3 * H)
    mask = (np.arange(T)[:, None] < np.array([4, 1])[None, :])[:, :, None]
    hs, caches = gru.recurrence_forward(xproj, h0, Whh, bhh, mask)
    assert all(np.array_equal(hs[t, 1], hs[1, 1]) for t in range(1, T + 1))
    dP, dQ, _ = gru.recurrence_backward(None, draw(rng, B, H), caches, Whh, mask)
    assert not dP[1:, 1].any() and not dQ[1:, 1].any()


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_a_padded_sequence_ends_where_it_ends_alone(cell):
    """Through the whole model (two layers, both directions): a short sequence padded into a batch gives the h_n
    (and c_n) it gives on its own."""
    config = RNNConfig(3, 4, 2, num_layers=2, bidirectional=True, cell=cell, proj_size=2 if cell == "lstm" else 0)
    params = init_params(config, seed=13)
    x = np.random.default_rng(14).normal(size=(6, 2, 3))
    _, h_n, _ = forward(params, x, lengths=np.array([6, 3]))
    _, alone, _ = forward(params, x[:3, 1:2])
    pairs = zip(("h_n", "c_n"), h_n, alone) if cell == "lstm" else [("h_n", h_n, alone)]
    for name, batched, single in pairs:
        close(name, batched[:, 1:2], single)


def test_the_lstm_projection_narrows_h_everywhere_it_goes():
    """h = Whr (o * tanh(c)): h_n is (L*dirs, B, P), the next layer reads 2P wide, the head dirs*P; and h_n is
    the projection of the last step's o * tanh(c_n)."""
    config = RNNConfig(3, 5, 2, num_layers=2, bidirectional=True, cell="lstm", proj_size=2)
    params = init_params(config, seed=15)
    assert params["Whr"].shape == (2, 5) and params["Whh"].shape == (20, 2) and params["Wxh_l1"].shape == (20, 4)
    assert params["Why"].shape == (2, 4)
    x = np.random.default_rng(16).normal(size=(4, 2, 3))
    _, (h_n, c_n), cache = forward(params, x)
    assert h_n.shape == (4, 2, 2) and c_n.shape == (4, 2, 5)
    last = cache.directions[0][0][1][-1]  # layer 0, forward direction: (hs, step caches); the last step's cache
    close("h_n = Whr (o * tanh(c_n))", h_n[0], (last.o * np.tanh(c_n[0])) @ params["Whr"].T)
    close("m of the last step", last.m, last.o * np.tanh(c_n[0]))


# ----------------------------------------------------------------------------------------------

def central_differences(f, args, k, eps=1e-6):
    """d f / d args[k] by central differences, float64."""
    base = args[k]
    grad = np.zeros_like(base)
    for idx in np.ndindex(base.shape):
        plus, minus = base.copy(), base.copy()
        plus[idx] += eps
        minus[idx] -= eps
        grad[idx] = (f(*[plus if j == k else a for j, a in enumerate(args)])
                     - f(*[minus if j == k else a for j, a in enumerate(args)])) / (2 * eps)
    return grad


def relative_error(mine, numeric) -> float:
    return float(np.linalg.norm(mine - numeric) / max(np.linalg.norm(numeric), 1e-300))
