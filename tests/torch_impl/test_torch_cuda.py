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
