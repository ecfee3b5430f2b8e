"""A correct many-to-one RNN in the class protocol, backprop(d_y, learn_rate) form.

    rnn = CharClassifier(input_size, output_size, hidden_size)
    y, h = rnn.forward(inputs)            # inputs: list of (input_size, 1) one-hot columns
    rnn.backprop(d_y, learn_rate)         # d_y = dL/dy, (output_size, 1); updates the weights in place

Weights use the karpathy names Wxh Whh Why bh by, biases as (n, 1) columns. Gradients are clipped
element-wise to [-1, 1] before the update. `rnn-parity grade examples/correct_class.py` passes.
"""
import numpy as np


class CharClassifier:
    def __init__(self, input_size, output_size, hidden_size=32, seed=0):
        rng = np.random.default_rng(seed)
        self.Wxh = rng.standard_normal((hidden_size, input_size)) * 0.01
        self.Whh = rng.standard_normal((hidden_size, hidden_size)) * 0.01
        self.Why = rng.standard_normal((output_size, hidden_size)) * 0.01
        self.bh = np.zeros((hidden_size, 1))
        self.by = np.zeros((output_size, 1))
        self.clip_at = 1.0

    def forward(self, inputs):
        state = np.zeros((self.Whh.shape[0], 1))
        self.xs, self.states = list(inputs), [state]
        for x in self.xs:
            state = np.tanh(self.Wxh @ x + self.Whh @ state + self.bh)
            self.states.append(state)
        return self.Why @ state + self.by, state

    def backprop(self, d_y, learn_rate=0.02):
        steps = len(self.xs)
        grads = {name: np.zeros_like(getattr(self, name)) for name in ("Wxh", "Whh", "Why", "bh", "by")}
        grads["Why"] = d_y @ self.states[steps].T
        grads["by"] = d_y.copy()
        d_state = self.Why.T @ d_y                      # dL/dh at the last step
        for t in range(steps - 1, -1, -1):
            d_pre = d_state * (1.0 - self.states[t + 1] ** 2)   # through tanh: 1 - h_t^2
            grads["bh"] += d_pre
            grads["Wxh"] += d_pre @ self.xs[t].T
            grads["Whh"] += d_pre @ self.states[t].T            # pairs with h_{t-1}
            d_state = self.Whh.T @ d_pre                         # on to h_{t-1}
        for name, g in grads.items():
            g = np.clip(g, -self.clip_at, self.clip_at)
            setattr(self, name, getattr(self, name) - learn_rate * g)


if __name__ == "__main__":  # a tiny smoke run, never executed by the grader
    rnn = CharClassifier(5, 2, 8)
    xs = [np.eye(5)[:, [i]] for i in (1, 3, 0)]
    y, h = rnn.forward(xs)
    print(y.ravel(), h.shape)
