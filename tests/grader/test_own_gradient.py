"""own_gradient: a backward judged against finite differences of its own forward (any protocol)."""
import numpy as np

from rnn_parity.grader.judging import own_gradient as OG
from rnn_parity.reference.tolerances import OWN_GRADIENT_REL_ERROR as TOL


def _forward(a):
    return np.tanh(a["x"] @ a["W"] + a["b"])


def _grads(x, W, b, dh, wrong=False):
    h = np.tanh(x @ W + b)
    da = dh * (1 - h ** 2) if not wrong else dh  # wrong: the tanh derivative left out
    return {"x": da @ W.T, "W": x.T @ da, "b": da.sum(axis=0)}


def _case(seed=0):
    rng = np.random.default_rng(seed)
    return {"x": rng.normal(size=(3, 4)), "W": rng.normal(size=(4, 5)), "b": rng.normal(size=5)}, rng.normal(size=(3, 5))


def test_exact_gradient_of_own_forward_agrees():
    inputs, dh = _case()
    errors = {k: OG.rel_error(e) for k, e in OG.directional(_forward, inputs, [dh], _grads(**inputs, dh=dh)).items()}
    assert set(errors) == {"x", "W", "b"}
    assert max(errors.values()) <= TOL, errors


def test_wrong_gradient_disagrees_and_wrong_shape_is_said():
    inputs, dh = _case(1)
    grads = _grads(**inputs, dh=dh, wrong=True)
    grads["b"] = grads["b"][None]  # (1, 5): the shape, before any value
    found = OG.directional(_forward, inputs, [dh], grads)
    assert OG.rel_error(found["x"]) > 1e-3 and OG.rel_error(found["W"]) > 1e-3
    assert "shape (1, 5), expected (5,)" in found["b"]["error"]


def test_sentence_tells_forward_from_backward():
    ok = OG.sentence("lstm_backward", "lstm_forward", {"x": 1e-10}, TOL, forward_ok=False, backward_ok=False)
    assert ok.startswith("lstm_backward is the exact gradient of your lstm_forward") and "is not an LSTM" in ok
    bad = OG.sentence("lstm_backward", "lstm_forward", {"x": 0.3, "Wx": 1e-10}, TOL, True, False)
    assert "(dx disagrees" in bad and "the mistake is in lstm_backward" in bad


def test_a_forward_that_rounds_to_float32_is_judged_at_float32s_step_and_tolerance():
    """DLFS2-style float32 buffers: at float64's step the differences are noise; at 1e-2 the exact gradient
    agrees to float32's bound and a wrong one still does not."""
    from rnn_parity.reference.tolerances import OWN_DIFFERENCES_REL_ERROR

    inputs, dh = _case(2)
    f32 = lambda a: _forward(a).astype(np.float32)  # noqa: E731
    info = {"own_gradient": {"bwd": OG.directional(f32, inputs, [dh], _grads(**inputs, dh=dh))}}
    assert {e["precision"] for e in info["own_gradient"]["bwd"].values()} == {"float32"}
    assert OG.tolerance(info, "bwd") == OWN_DIFFERENCES_REL_ERROR["float32"]
    assert max(OG.verdicts(info)["bwd"].values()) <= OG.tolerance(info, "bwd")
    wrong = OG.directional(f32, inputs, [dh], _grads(**inputs, dh=dh, wrong=True))
    assert OG.rel_error(wrong["x"]) > OG.tolerance(info, "bwd")


def test_a_forward_that_refuses_one_perturbed_input_spoils_only_that_entry():
    inputs, dh = _case(3)

    def picky(a):
        if not np.array_equal(a["b"], inputs["b"]):
            raise ValueError("b changed")
        return _forward(a)
    found = OG.directional(picky, inputs, [dh], _grads(**inputs, dh=dh))
    assert found["b"] == {"error": "the forward failed on a perturbed b: ValueError"}
    assert OG.rel_error(found["x"]) <= TOL and OG.rel_error(found["W"]) <= TOL
