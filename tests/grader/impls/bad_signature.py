"""forward takes the wrong arguments."""


def forward(x, params):
    return [], None


def backward(params, cache, d_outputs):
    return {}
