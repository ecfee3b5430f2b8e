import numpy as np


from rnn_parity.reference import RNNConfig, init_params


def make_case(T=4, B=2, D=3, H=4, O=2, seed=0, lengths=False, ids=False, h0=False, **config_kw):
    """A config, its params and random inputs: (params, x, targets, h0, lengths)."""
    config = RNNConfig(D, H, O, **config_kw)
    params = init_params(config, seed=seed)
    rng = np.random.default_rng(seed + 100)
    x = rng.integers(0, D, size=(T, B)) if ids else rng.normal(size=(T, B, D))
    if config.batch_first:
        x = np.swapaxes(x, 0, 1)
    t_shape = (B,) if config.output == "last" else ((B, T) if config.batch_first else (T, B))
    targets = rng.integers(0, O, size=t_shape)
    state = rng.normal(size=(config.num_layers * config.num_directions, B, H)) if h0 else None
    lens = rng.integers(1, T + 1, size=B) if lengths else None
    if lens is not None:
        lens[0] = T  # the longest sequence fills the batch, as in a real padded batch
    return params, x, targets, state, lens


