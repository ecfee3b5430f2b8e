"""The torch side on a CUDA device: converters stay bit-exact, the forward agrees with the CPU model."""
import pytest
import torch

from rnn_parity.reference import RNNConfig, init_params, parity_tolerance
from rnn_parity.torch_impl import from_torch, to_torch

from torch_impl_helpers import assert_params_bit_exact, random_inputs

pytestmark = [pytest.mark.cuda, pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("bias", ["single", "torch", "none"])
def test_cuda_model(dtype, bias):
    config = RNNConfig(3, 5, 2, num_layers=2, bidirectional=True, bias=bias, output="all")
    params = init_params(config, seed=0, dtype=dtype)
    gpu, cpu = to_torch(params, device="cuda"), to_torch(params)
    assert gpu.fc.weight.is_cuda
    assert_params_bit_exact(from_torch(gpu), params)
    tol = parity_tolerance("forward", dtype)
    for ids in (False, True):
        x, h0, lengths = random_inputs(config, dtype, ids=ids)
        with torch.no_grad():
            mine = gpu(x.cuda(), h0.cuda(), lengths)
            theirs = cpu(x, h0, lengths)
        for a, b in zip(mine, theirs):
            torch.testing.assert_close(a.cpu(), b, rtol=tol.rtol, atol=tol.atol)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("cell, proj_size, bias", [("lstm", 0, "torch"), ("lstm", 2, "single"), ("gru", 0, "torch"),
                                                   ("gru", 0, "none")])
def test_cuda_gated_model(cell, proj_size, bias, dtype):
    """cuDNN's LSTM (with and without a projection) and GRU: converters bit-exact, the forward (logits and the
    whole state, an LSTM's c_n too) as the CPU model's, with lengths."""
    config = RNNConfig(3, 5, 2, num_layers=2, bidirectional=True, bias=bias, output="all", cell=cell,
                       proj_size=proj_size)
    params = init_params(config, seed=1, dtype=dtype)
    gpu, cpu = to_torch(params, device="cuda"), to_torch(params)
    assert gpu.rnn.weight_ih_l0.is_cuda and type(gpu.rnn) is type(cpu.rnn)
    assert_params_bit_exact(from_torch(gpu), params)
    x, h0, lengths = random_inputs(config, dtype)
    state = (h0[..., :config.state_size].contiguous(), h0) if cell == "lstm" else h0  # (h0 (.., S), c0 (.., H))
    on_gpu = tuple(s.cuda() for s in state) if cell == "lstm" else state.cuda()
    tol = parity_tolerance("forward", dtype)
    with torch.no_grad():
        mine_logits, mine_h_n = gpu(x.cuda(), on_gpu, lengths)
        theirs_logits, theirs_h_n = cpu(x, state, lengths)
    torch.testing.assert_close(mine_logits.cpu(), theirs_logits, rtol=tol.rtol, atol=tol.atol)
    pairs = zip(mine_h_n, theirs_h_n) if cell == "lstm" else [(mine_h_n, theirs_h_n)]
    for a, b in pairs:
        torch.testing.assert_close(a.cpu(), b, rtol=tol.rtol, atol=tol.atol)
