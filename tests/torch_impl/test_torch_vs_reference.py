"""TorchRNN answers to the reference's semantics on every structural option (the parity suite goes deeper)."""
import numpy as np
import pytest
import torch

from rnn_parity.reference import init_params, parity_tolerance
from rnn_parity.torch_impl import to_torch

from torch_impl_helpers import DTYPES, config_id, grid_configs, random_inputs, requires_forward

pytestmark = requires_forward


@pytest.mark.parametrize("form", ["dense", "ids"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("config", grid_configs(), ids=config_id)
def test_forward_matches_reference(config, dtype, form):
    from rnn_parity.reference import forward

    params = init_params(config, seed=9, dtype=dtype)
    model = to_torch(params)
    x, h0, lengths = random_inputs(config, dtype, seed=1, ids=form == "ids")
    for kw in ({}, {"h0": h0, "lengths": lengths}):
        logits, h_n, cache = forward(params, x.numpy(), **{k: v.numpy() for k, v in kw.items()})
        with torch.no_grad():
            t_logits, t_h_n = model(x, **kw)
            out, _ = model.hidden_states(x, **kw)
        if config.batch_first:
            out = out.transpose(0, 1)
        tol = parity_tolerance("forward", dtype)
        for name, mine, theirs in (("logits", logits, t_logits), ("h_n", h_n, t_h_n),
                                   ("top-layer outputs", cache.outputs[-1], out)):
            assert mine.shape == tuple(theirs.shape), name
            np.testing.assert_allclose(mine, theirs.numpy(), rtol=tol.rtol, atol=tol.atol, err_msg=name)
