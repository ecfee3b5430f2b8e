"""rnn-parity's stand-ins for the activation and loss objects that tutorial RNN classes import from a helper
module they did not hand in (`from rnn_utils import Softmax, Tanh, CrossEntropyLoss`; a CMU GRUCell's
`from activation import *`): one object per time step, each with forward(...) and backward(...).

Written from the math for the grader; NumPy only. Column convention: x (n, 1) or (n, m), classes on axis 0.
"""
import numpy as np

__all__ = ["Tanh", "Sigmoid", "Softmax", "CrossEntropyLoss"]


class _Activation:
    """CMU 11-785's activation API as well: act(x) is act.forward(x), act.state the output it kept,
    act.derivative() the derivative there, and backward(dout, state=output) at a given output (a GRUCell's
    r_act, z_act, h_act)."""

    def __call__(self, x):
        return self.forward(x)

    @property
    def state(self):
        return self.out


class Tanh(_Activation):
    """forward(x) -> tanh(x); backward(dout) -> dout * (1 - tanh(x)^2), from the output it kept."""

    def forward(self, x):
        self.out = np.tanh(x)
        return self.out

    def backward(self, dout, state=None):
        return dout * (self.derivative() if state is None else 1.0 - np.asarray(state) ** 2)

    def derivative(self):
        return 1.0 - self.out ** 2


class Sigmoid(_Activation):
    """forward(x) -> 1 / (1 + exp(-x)); backward(dout) -> dout * s * (1 - s)."""

    def forward(self, x):
        self.out = 1.0 / (1.0 + np.exp(-x))
        return self.out

    def backward(self, dout, state=None):
        s = self.out if state is None else np.asarray(state)
        return dout * s * (1.0 - s)

    def derivative(self):
        return self.out * (1.0 - self.out)


class Softmax:
    """forward(x) -> softmax over axis 0; backward(dout) -> the Jacobian-vector product for each column."""

    def forward(self, x):
        z = np.exp(x - np.max(x, axis=0, keepdims=True))  # shifted: exp never overflows
        self.out = z / np.sum(z, axis=0, keepdims=True)
        return self.out

    def backward(self, dout):
        s = self.out
        return s * (dout - np.sum(dout * s, axis=0, keepdims=True))


class CrossEntropyLoss:
    """forward(y_hat, y) -> sum over classes of -y log(y_hat), averaged over columns; backward() -> y_hat - y,
    the gradient on the logits when y_hat is a softmax output (the convention of the tutorials that use it)."""

    def forward(self, y_hat, y):
        self.y_hat, self.y = np.asarray(y_hat), np.asarray(y)
        return np.squeeze(np.mean(np.sum(-self.y * np.log(self.y_hat), axis=0)))

    def backward(self):
        return self.y_hat - self.y
