"""Builds the example notebooks of examples/notebooks/ with nbformat (so they stay reviewable as code).

    python examples/notebooks/build.py                 # rewrite the four committed notebooks (seed 0)
    python examples/notebooks/build.py --out DIR --seed 3 --prefix student03_

The notebooks, written for this project, look like homework hand-ins: markdown, imports, constants,
the model, a data cell, a training cell and a plot.

    correct_class.ipynb                 a correct many-to-one RNN (class protocol, backprop form) that
                                        also trains for 1000 epochs and plots: grades pass by default,
                                        without running the training cell
    needs_run_all.ipynb                 a correct character model whose class needs `vocab_size`, built by
                                        a data cell: needs --run-all-cells
    mistake_whh_not_transposed.ipynb    class protocol, W_hh not transposed in the backward pass
    mistake_hidden_grad_not_carried.ipynb   function protocol (deeplearning.ai names), dh_{t+1} dropped

`--seed` changes each notebook's own seed (its initialization and data), as different students'
hand-ins would; the grader sets its own weights, so grades do not depend on it.
"""
from __future__ import annotations

import argparse
import textwrap
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
NAMES = ("correct_class", "needs_run_all", "mistake_whh_not_transposed", "mistake_hidden_grad_not_carried")
# What grading each notebook (default mode) must give: verdict, catalogued mistake id.
EXPECTED = {
    "correct_class": ("pass", None),
    "needs_run_all": ("error", None),  # pass with --run-all-cells
    "mistake_whh_not_transposed": ("fail", "whh_not_transposed_backward"),
    "mistake_hidden_grad_not_carried": ("fail", "hidden_grad_not_carried"),
}


def _code(src: str) -> str:
    return textwrap.dedent(src).strip("\n")


# ----------------------------------------------------------------------------------------------
# A many-to-one classifier: is the number of 1s in a bit string odd? (class protocol, backprop form)

PARITY_IMPORTS = """
    import numpy as np
    import matplotlib.pyplot as plt
    %matplotlib inline
"""

PARITY_CONSTANTS = """
    SEED = {seed}
    HIDDEN = 16
    LEARN_RATE = 0.05
    EPOCHS = 1000
    CLIP = 1.0
    SYMBOLS = "01"
"""

PARITY_MODEL = '''
    class ParityRNN:
        """Reads a bit string one symbol at a time and scores the two classes (even, odd) at the end."""

        def __init__(self, input_size, output_size, hidden_size=HIDDEN, seed=SEED):
            rng = np.random.default_rng(seed)
            self.Wxh = rng.normal(0.0, 0.1, (hidden_size, input_size))
            self.Whh = rng.normal(0.0, 0.1, (hidden_size, hidden_size))
            self.Why = rng.normal(0.0, 0.1, (output_size, hidden_size))
            self.bh = np.zeros((hidden_size, 1))
            self.by = np.zeros((output_size, 1))

        def forward(self, inputs):
            h = np.zeros((self.Whh.shape[0], 1))
            self.last_inputs = inputs
            self.last_hs = {0: h}
            for i, x in enumerate(inputs):
                h = np.tanh(self.Wxh @ x + self.Whh @ h + self.bh)
                self.last_hs[i + 1] = h
            y = self.Why @ h + self.by
            return y, h

        def backprop(self, d_y, learn_rate=LEARN_RATE):
            n = len(self.last_inputs)
            d_Why = d_y @ self.last_hs[n].T
            d_by = d_y
            d_Whh = np.zeros(self.Whh.shape)
            d_Wxh = np.zeros(self.Wxh.shape)
            d_bh = np.zeros(self.bh.shape)
            d_h = self.Why.T @ d_y
            for t in reversed(range(n)):
                temp = (1 - self.last_hs[t + 1] ** 2) * d_h
                d_bh += temp
                d_Whh += temp @ self.last_hs[t].T
                d_Wxh += temp @ self.last_inputs[t].T
                d_h = {BACKWARD_STEP}
            for d in [d_Wxh, d_Whh, d_Why, d_bh, d_by]:
                np.clip(d, -CLIP, CLIP, out=d)
            self.Whh -= learn_rate * d_Whh
            self.Wxh -= learn_rate * d_Wxh
            self.Why -= learn_rate * d_Why
            self.bh -= learn_rate * d_bh
            self.by -= learn_rate * d_by
'''

PARITY_HELPERS = """
    def one_hot(bits):
        return [np.eye(len(SYMBOLS))[:, [SYMBOLS.index(b)]] for b in bits]


    def softmax(z):
        e = np.exp(z - z.max())
        return e / e.sum()
"""

PARITY_DATA = """
    rng = np.random.default_rng(SEED)
    strings = ["".join(rng.choice(list(SYMBOLS), size=rng.integers(2, 7))) for _ in range(60)]
    labels = [s.count("1") % 2 for s in strings]
    train_set, test_set = list(zip(strings, labels))[:45], list(zip(strings, labels))[45:]
    print(len(train_set), "training strings, e.g.", train_set[:3])
"""

PARITY_TRAIN = """
    rnn = ParityRNN(len(SYMBOLS), 2)
    losses = []
    for epoch in range(EPOCHS):
        order = rng.permutation(len(train_set))
        total = 0.0
        for i in order:
            bits, label = train_set[i]
            y, _ = rnn.forward(one_hot(bits))
            p = softmax(y)
            total -= np.log(p[label, 0])
            p[label] -= 1                      # dL/dy for softmax + cross-entropy
            rnn.backprop(p)
        losses.append(total / len(train_set))
        if epoch % 100 == 99:
            correct = sum(int(np.argmax(rnn.forward(one_hot(b))[0]) == l) for b, l in test_set)
            print(f"epoch {epoch + 1}: loss {losses[-1]:.3f}, test accuracy {correct / len(test_set):.2f}")
"""

PARITY_PLOT = """
    plt.plot(losses)
    plt.xlabel("epoch")
    plt.ylabel("mean cross-entropy")
    plt.title("ParityRNN training")
    plt.show()
"""


def parity_notebook(seed: int, mistake: bool) -> nbformat.NotebookNode:
    step = "self.Whh @ temp" if mistake else "self.Whh.T @ temp"
    title = "# Homework 3: a recurrent network for bit-string parity"
    cells = [
        ("md", title + "\n\nA many-to-one RNN reads a string of 0s and 1s and predicts whether it holds an odd "
               "number of 1s. Implement `forward` and `backprop` by hand (BPTT), then train it."),
        ("code", PARITY_IMPORTS),
        ("code", PARITY_CONSTANTS.replace("{seed}", str(seed))),
        ("md", "## The model\n\n`forward(inputs)` returns the output scores `y` and the last hidden state; "
               "`backprop(d_y, learn_rate)` backpropagates through time, clips, and updates the weights."),
        ("code", PARITY_MODEL.replace("{BACKWARD_STEP}", step)),
        ("code", PARITY_HELPERS),
        ("md", "## Data"),
        ("code", PARITY_DATA),
        ("md", f"## Training ({1000} epochs of per-example SGD)"),
        ("code", PARITY_TRAIN),
        ("code", PARITY_PLOT),
    ]
    return _notebook(cells)


# ----------------------------------------------------------------------------------------------
# A character model whose class reads vocab_size from a data cell (class protocol, loss/backward form)

CHAR_SETUP = """
    !pip install numpy matplotlib
    %matplotlib inline
    import numpy as np
"""

CHAR_DATA = """
    def make_corpus(seed):
        rng = np.random.default_rng(seed)
        syllables = ["ra", "ne", "to", "ki", "lu", "mo", "sa"]
        return ["".join(rng.choice(syllables, size=rng.integers(2, 4))) for _ in range(24)]


    corpus = make_corpus(SEED)
    chars = sorted(set("".join(corpus)) | {"."})
    vocab_size = len(chars)
    char_to_ix = {c: i for i, c in enumerate(chars)}
    print(vocab_size, "characters:", "".join(chars))
"""

CHAR_MODEL = '''
    class CharRNN:
        """Predicts the next character at every step (U: input->hidden, V: hidden->hidden, W: hidden->output)."""

        def __init__(self, input_size=vocab_size, output_size=vocab_size, hidden_size=HIDDEN):
            rng = np.random.default_rng(SEED)
            self.U = rng.normal(0.0, 0.1, (hidden_size, input_size))
            self.V = rng.normal(0.0, 0.1, (hidden_size, hidden_size))
            self.W = rng.normal(0.0, 0.1, (output_size, hidden_size))
            self.bh = np.zeros((hidden_size, 1))
            self.by = np.zeros((output_size, 1))

        def forward(self, inputs):
            self.xs, self.hs, self.ps = inputs, [np.zeros((self.V.shape[0], 1))], []
            for x in inputs:
                self.hs.append(np.tanh(self.U @ x + self.V @ self.hs[-1] + self.bh))
                z = self.W @ self.hs[-1] + self.by
                self.ps.append(np.exp(z - z.max()) / np.exp(z - z.max()).sum())
            return self.ps

        def loss(self, Y):
            self.Y = Y
            return -sum(np.log(float(p[np.argmax(y), 0])) for p, y in zip(self.ps, Y))

        def backward(self):
            self.dU, self.dV, self.dW = np.zeros_like(self.U), np.zeros_like(self.V), np.zeros_like(self.W)
            self.dbh, self.dby = np.zeros_like(self.bh), np.zeros_like(self.by)
            dh_next = np.zeros_like(self.hs[0])
            for t in reversed(range(len(self.xs))):
                dz = self.ps[t] - self.Y[t]
                self.dW += dz @ self.hs[t + 1].T
                self.dby += dz
                da = (1 - self.hs[t + 1] ** 2) * (self.W.T @ dz + dh_next)
                self.dU += da @ self.xs[t].T
                self.dV += da @ self.hs[t].T
                self.dbh += da
                dh_next = self.V.T @ da

        def update(self, learn_rate):
            for name in ("U", "V", "W", "bh", "by"):
                setattr(self, name, getattr(self, name) - learn_rate * getattr(self, "d" + name))
'''

CHAR_TRAIN = """
    def encode(word):
        return [np.eye(vocab_size)[:, [char_to_ix[c]]] for c in word]


    model = CharRNN()
    for epoch in range(15):
        total = 0.0
        for word in corpus:
            xs, ys = encode(word), encode(word[1:] + ".")
            model.forward(xs)
            total += model.loss(ys)
            model.backward()
            model.update(0.1)
    print(f"loss after 15 epochs: {total / len(corpus):.3f}")
"""


def char_notebook(seed: int) -> nbformat.NotebookNode:
    cells = [
        ("md", "# Lab 5: a character-level RNN\n\nA many-to-many RNN predicts the next character of made-up "
               "words. The model reads its sizes from the data."),
        ("code", CHAR_SETUP),
        ("code", f"SEED = {seed}\nHIDDEN = 24"),
        ("md", "## Data: the vocabulary comes from the corpus"),
        ("code", CHAR_DATA),
        ("md", "## The model"),
        ("code", CHAR_MODEL),
        ("md", "## A short training run"),
        ("code", CHAR_TRAIN),
    ]
    return _notebook(cells)


# ----------------------------------------------------------------------------------------------
# deeplearning.ai-style functions (function protocol): the gradient from step t+1 is dropped

FUNC_IMPORTS = """
    import numpy as np
    from matplotlib import pyplot as plt
"""

FUNC_CELL = '''
    def rnn_step_forward(x, a_prev, params):
        a_next = np.tanh(params["Wax"] @ x + params["Waa"] @ a_prev + params["ba"])
        y = params["Wya"] @ a_next + params["by"]
        return a_next, y


    def forward(params, inputs, h0):
        """Outputs (logits) at every step, and the cache backward needs."""
        a, outputs, states = h0, [], [h0]
        for x in inputs:
            a, y = rnn_step_forward(x, a, params)
            outputs.append(y)
            states.append(a)
        return outputs, (inputs, states)
'''

FUNC_BACKWARD = '''
    def rnn_step_backward(da_next, a_next, a_prev, x, params):
        dz = (1 - a_next ** 2) * da_next
        return {"dWax": dz @ x.T, "dWaa": dz @ a_prev.T, "dba": dz, "da_prev": params["Waa"].T @ dz}


    def backward(params, cache, d_outputs):
        inputs, states = cache
        grads = {"d" + k: np.zeros_like(v) for k, v in params.items()}
        da_prev = np.zeros_like(states[0])
        for t in reversed(range(len(inputs))):
            grads["dWya"] += d_outputs[t] @ states[t + 1].T
            grads["dby"] += d_outputs[t]
            da = params["Wya"].T @ d_outputs[t]{CARRY}
            step = rnn_step_backward(da, states[t + 1], states[t], inputs[t], params)
            for k in ("dWax", "dWaa", "dba"):
                grads[k] += step[k]
            da_prev = step["da_prev"]
        return grads
'''

FUNC_TRAIN = """
    text = "recurrent"
    letters = sorted(set(text))
    n_x, n_a = len(letters), 20
    rng = np.random.default_rng(SEED)
    params = {"Wax": rng.normal(0, 0.1, (n_a, n_x)), "Waa": rng.normal(0, 0.1, (n_a, n_a)),
              "Wya": rng.normal(0, 0.1, (n_x, n_a)), "ba": np.zeros((n_a, 1)), "by": np.zeros((n_x, 1))}
    xs = [np.eye(n_x)[:, [letters.index(c)]] for c in text[:-1]]
    targets = [letters.index(c) for c in text[1:]]
    history = []
    for it in range(300):
        outputs, cache = forward(params, xs, np.zeros((n_a, 1)))
        d_outputs, loss = [], 0.0
        for y, k in zip(outputs, targets):
            p = np.exp(y - y.max()) / np.exp(y - y.max()).sum()
            loss -= np.log(p[k, 0])
            p[k] -= 1
            d_outputs.append(p)
        grads = backward(params, cache, d_outputs)
        for k in params:
            params[k] -= 0.05 * np.clip(grads["d" + k], -5, 5)
        history.append(loss)
    plt.semilogy(history)
    plt.show()
"""


def function_notebook(seed: int, mistake: bool) -> nbformat.NotebookNode:
    carry = "" if mistake else " + da_prev"
    cells = [
        ("md", "# Assignment 2: backpropagation through time, step by step\n\nWrite the forward and backward "
               "passes of a vanilla RNN as functions, then fit the word \"recurrent\"."),
        ("code", FUNC_IMPORTS),
        ("code", f"SEED = {seed}"),
        ("md", "## Forward pass"),
        ("code", FUNC_CELL),
        ("md", "## Backward pass"),
        ("code", FUNC_BACKWARD.replace("{CARRY}", carry)),
        ("md", "## Fit the word"),
        ("code", FUNC_TRAIN),
    ]
    return _notebook(cells)


# ----------------------------------------------------------------------------------------------


def _notebook(cells) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                   "language_info": {"name": "python"}}
    for i, (kind, src) in enumerate(cells):
        cell = nbformat.v4.new_markdown_cell(src) if kind == "md" else nbformat.v4.new_code_cell(_code(src))
        cell.id = f"cell-{i:02d}"  # fixed ids: the same input builds the same bytes
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def notebook(name: str, seed: int = 0) -> nbformat.NotebookNode:
    if name == "correct_class":
        return parity_notebook(seed, mistake=False)
    if name == "needs_run_all":
        return char_notebook(seed)
    if name == "mistake_whh_not_transposed":
        return parity_notebook(seed, mistake=True)
    if name == "mistake_hidden_grad_not_carried":
        return function_notebook(seed, mistake=True)
    raise ValueError(f"unknown notebook {name!r}; one of {', '.join(NAMES)}")


def build_all(out_dir=HERE, seed: int = 0, prefix: str = "") -> list:
    """Write the four notebooks to out_dir as <prefix><name>.ipynb; returns their paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in NAMES:
        path = out_dir / f"{prefix}{name}.ipynb"
        path.write_text(nbformat.writes(notebook(name, seed)), encoding="utf-8")
        paths.append(path)
    return paths


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(HERE), help="folder to write to (default: examples/notebooks)")
    parser.add_argument("--seed", type=int, default=0, help="the notebooks' own seed (default 0)")
    parser.add_argument("--prefix", default="", help="file name prefix, e.g. student07_")
    args = parser.parse_args(argv)
    for path in build_all(args.out, args.seed, args.prefix):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
