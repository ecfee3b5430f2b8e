"""Clipping parity with clipping active: clip_value vs clip_grad_value_, clip_norm vs clip_grad_norm_
(L2 and inf norms), including the norm clip_grad_norm_ returns."""
import pytest

from rnn_parity.parity import CLIP_METHODS, GRID, clip_numpy, clip_torch, clipping_active, parity, setup
from rnn_parity.parity import assert_parity


@pytest.mark.parametrize("method", list(CLIP_METHODS))
@pytest.mark.parametrize("case", GRID)
def test_clip(case, method, device):
    s = setup(case, device)
    assert clipping_active(s, method), "the gradients must exceed the threshold, or the test proves nothing"
    assert_parity(parity(f"clip-{method}", clip_numpy(s, method), clip_torch(s, method), "grad", s.dtypes))
