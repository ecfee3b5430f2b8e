"""Real-shaped LSTM / GRU models for the checkpoint tests: each as the public code people train writes it
(module names, wrappers, what the forward returns), small. Written here from their shapes, not copied.

Every model runs on time-major input x (T, B[, D]) through RUN below, returning time-major outputs for
output="all" and (B, O) for output="last".
"""
import torch
import torch.nn.functional as F
from torch import nn

D, H, O, V, T, P = 4, 6, 3, 11, 5, 2


class WordLanguageModel(nn.Module):
    """pytorch/examples word_language_model: encoder, nn.LSTM or nn.GRU, decoder, --tied, log-softmax output,
    forward(input, hidden) returning (output, hidden)."""

    def __init__(self, rnn_type="LSTM", tie_weights=True, nlayers=2):
        super().__init__()
        self.drop = nn.Dropout(0.2)
        self.encoder = nn.Embedding(V, H)
        self.rnn = getattr(nn, rnn_type)(H, H, nlayers, dropout=0.2)
        self.decoder = nn.Linear(H, V)
        if tie_weights:
            self.decoder.weight = self.encoder.weight
        self.rnn_type, self.nhid, self.nlayers = rnn_type, H, nlayers

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        decoded = self.decoder(self.drop(output)).view(-1, V)
        return F.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        if self.rnn_type == "LSTM":
            return (weight.new_zeros(self.nlayers, bsz, self.nhid), weight.new_zeros(self.nlayers, bsz, self.nhid))
        return weight.new_zeros(self.nlayers, bsz, self.nhid)


class WordGRU(WordLanguageModel):
    def __init__(self):
        super().__init__("GRU")


class LSTMTagger(nn.Module):
    """The PyTorch sequence-tagging tutorial: word_embeddings, lstm, hidden2tag, one sentence at a time."""

    def __init__(self):
        super().__init__()
        self.word_embeddings = nn.Embedding(V, D)
        self.lstm = nn.LSTM(D, H)
        self.hidden2tag = nn.Linear(H, O)

    def forward(self, sentence):
        embeds = self.word_embeddings(sentence)
        lstm_out, _ = self.lstm(embeds.view(len(sentence), 1, -1))
        tag_space = self.hidden2tag(lstm_out.view(len(sentence), -1))
        return F.log_softmax(tag_space, dim=1)


class CharRNN(nn.Module):
    """char-rnn (Udacity's): batch_first nn.LSTM with dropout, fc at every step, saved as
    {"n_hidden", "n_layers", "state_dict", "tokens"}."""

    def __init__(self, tokens=tuple("abcdefghijk"), n_hidden=H, n_layers=2, cell="LSTM"):
        super().__init__()
        self.chars, self.n_hidden, self.n_layers = tokens, n_hidden, n_layers
        self.lstm = getattr(nn, cell)(len(tokens), n_hidden, n_layers, dropout=0.5, batch_first=True)
        self.dropout = nn.Dropout(0.5)
        self.fc = nn.Linear(n_hidden, len(tokens))

    def forward(self, x, hidden):
        r_output, hidden = self.lstm(x, hidden)
        out = self.dropout(r_output).contiguous().view(-1, self.n_hidden)
        return self.fc(out), hidden

    def init_hidden(self, batch_size):
        weight = next(self.parameters()).data
        zeros = weight.new(self.n_layers, batch_size, self.n_hidden).zero_()
        return (zeros, zeros.clone()) if isinstance(self.lstm, nn.LSTM) else zeros


class CharGRU(CharRNN):
    def __init__(self):
        super().__init__(cell="GRU")


class SentimentLSTM(nn.Module):
    """A sentiment classifier: embedding, 2-layer bidirectional LSTM, fc on cat(hidden[-2], hidden[-1])."""

    def __init__(self, swapped=False):
        super().__init__()
        self.embedding = nn.Embedding(V, D, padding_idx=0)
        self.rnn = nn.LSTM(D, H, num_layers=2, bidirectional=True, dropout=0.5)
        self.fc = nn.Linear(2 * H, 1)
        self.swapped = swapped

    def forward(self, text):
        embedded = self.embedding(text)
        _, (hidden, _) = self.rnn(embedded)
        pair = (hidden[-1], hidden[-2]) if self.swapped else (hidden[-2], hidden[-1])
        return self.fc(torch.cat(pair, dim=1))


class SentimentSwapped(SentimentLSTM):
    """The same, concatenating [backward ; forward]."""

    def __init__(self):
        super().__init__(swapped=True)


class Forecaster(nn.Module):
    """A Lightning-style forecaster's network: batch_first LSTM, Linear on out[:, -1]."""

    def __init__(self, bidirectional=False):
        super().__init__()
        self.lstm = nn.LSTM(D, H, num_layers=2, batch_first=True, bidirectional=bidirectional)
        self.linear = nn.Linear(H * (2 if bidirectional else 1), 1)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.linear(out[:, -1])


class BiForecaster(Forecaster):
    """out[:, -1] of a bidirectional LSTM: its backward half has seen one step."""

    def __init__(self):
        super().__init__(bidirectional=True)


class ProjLSTM(nn.Module):
    """nn.LSTM(proj_size=P), float64, head on h_n[-1]."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(D, H, num_layers=2, proj_size=P)
        self.head = nn.Linear(P, O)

    def forward(self, x):
        _, (h_n, _) = self.lstm(x)
        return self.head(h_n[-1])


class TwoLSTMs(nn.Module):
    """Single-layer LSTMs in sequence, as Keras-style code writes a stack."""

    def __init__(self):
        super().__init__()
        self.lstm1 = nn.LSTM(D, H, batch_first=True)
        self.lstm2 = nn.LSTM(H, H, batch_first=True)
        self.dense = nn.Linear(H, O)

    def forward(self, x):
        x, _ = self.lstm1(x)
        x, _ = self.lstm2(x)
        return self.dense(x[:, -1, :])


class ReusedGRU(nn.Module):
    """One nn.GRU module applied twice: two layers that share weights (the state_dict keys share storage)."""

    def __init__(self):
        super().__init__()
        self.gru1 = nn.GRU(H, H)
        self.gru2 = self.gru1
        self.out = nn.Linear(H, O)

    def forward(self, x):
        x, _ = self.gru1(x)
        x, _ = self.gru2(x)
        return self.out(x[-1])


class LSTMCellLoop(nn.Module):
    """nn.LSTMCells stepped in a loop: one two-layer stack (keys lstm1.weight_ih, no _l0)."""

    def __init__(self):
        super().__init__()
        self.lstm1 = nn.LSTMCell(D, H)
        self.lstm2 = nn.LSTMCell(H, H)
        self.linear = nn.Linear(H, O)

    def forward(self, x):
        B = x.size(1)
        h1 = c1 = h2 = c2 = torch.zeros(B, H, dtype=x.dtype)
        outs = []
        for x_t in x.split(1, dim=0):
            h1, c1 = self.lstm1(x_t[0], (h1, c1))
            h2, c2 = self.lstm2(h1, (h2, c2))
            outs.append(self.linear(h2))
        return torch.stack(outs)


class GRUCellLoop(nn.Module):
    """One nn.GRUCell, head on the last state."""

    def __init__(self):
        super().__init__()
        self.cell = nn.GRUCell(D, H)
        self.fc = nn.Linear(H, O)

    def forward(self, x):
        h = torch.zeros(x.size(1), H, dtype=x.dtype)
        for t in range(x.size(0)):
            h = self.cell(x[t], h)
        return self.fc(h)


class CatLSTM(nn.Module):
    """A hand-written LSTM cell: one Linear(D+H, 4H) on cat(x, h), gates chunked i, f, o, g."""

    def __init__(self):
        super().__init__()
        self.gates = nn.Linear(D + H, 4 * H)
        self.fc = nn.Linear(H, O)

    def forward(self, x):
        h = c = torch.zeros(x.size(1), H, dtype=x.dtype)
        for x_t in x:
            i, f, o, g = self.gates(torch.cat([x_t, h], 1)).chunk(4, 1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
        return self.fc(h)


class X2HLSTM(nn.Module):
    """x2h + h2h Linears of 4H, gates i, f, g, o (torch's), an output at every step."""

    def __init__(self):
        super().__init__()
        self.x2h = nn.Linear(D, 4 * H)
        self.h2h = nn.Linear(H, 4 * H)
        self.fc = nn.Linear(H, O)

    def forward(self, x):
        h = c = torch.zeros(x.size(1), H, dtype=x.dtype)
        outs = []
        for x_t in x:
            i, f, g, o = (self.x2h(x_t) + self.h2h(h)).chunk(4, 1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
            outs.append(self.fc(h))
        return torch.stack(outs)


class X2HGRU(nn.Module):
    """x2h + h2h Linears of 3H, fused (z, r) + n, the reset gate after the recurrent product (as torch)."""

    def __init__(self, reset_before=False):
        super().__init__()
        self.x2h = nn.Linear(D, 3 * H)
        self.h2h = nn.Linear(H, 3 * H)
        self.fc = nn.Linear(H, O)
        self.reset_before = reset_before

    def forward(self, x):
        h = torch.zeros(x.size(1), H, dtype=x.dtype)
        for x_t in x:
            xz, xr, xn = self.x2h(x_t).chunk(3, 1)
            hz, hr, hn = self.h2h(h).chunk(3, 1)
            z, r = torch.sigmoid(xz + hz), torch.sigmoid(xr + hr)
            if self.reset_before:  # a different function: W_hn (r * h)
                hn = F.linear(r * h, self.h2h.weight[2 * H:], self.h2h.bias[2 * H:])
                n = torch.tanh(xn + hn)
            else:
                n = torch.tanh(xn + r * hn)
            h = (1 - z) * n + z * h
        return self.fc(h)


class ResetBeforeGRU(X2HGRU):
    def __init__(self):
        super().__init__(reset_before=True)


def _triple(n_in, n_h):
    return (nn.Parameter(0.1 * torch.randn(n_in, n_h)), nn.Parameter(0.1 * torch.randn(n_h, n_h)),
            nn.Parameter(torch.zeros(n_h)))


class D2LScratchLSTM(nn.Module):
    """d2l's LSTMScratch inside an RNNLMScratch: per-gate (in, out) parameters W_xi, W_hi, b_i, ..., output
    W_hq (H, O) + b_q, used as x @ W; outputs at every step, batch-first stacked."""

    def __init__(self):
        super().__init__()
        self.W_xi, self.W_hi, self.b_i = _triple(D, H)
        self.W_xf, self.W_hf, self.b_f = _triple(D, H)
        self.W_xo, self.W_ho, self.b_o = _triple(D, H)
        self.W_xc, self.W_hc, self.b_c = _triple(D, H)
        self.W_hq = nn.Parameter(0.1 * torch.randn(H, O))
        self.b_q = nn.Parameter(torch.zeros(O))

    def forward(self, X):
        h = c = torch.zeros(X.size(1), H, dtype=X.dtype)
        outs = []
        for x in X:
            i = torch.sigmoid(x @ self.W_xi + h @ self.W_hi + self.b_i)
            f = torch.sigmoid(x @ self.W_xf + h @ self.W_hf + self.b_f)
            o = torch.sigmoid(x @ self.W_xo + h @ self.W_ho + self.b_o)
            c_tilde = torch.tanh(x @ self.W_xc + h @ self.W_hc + self.b_c)
            c = f * c + i * c_tilde
            h = o * torch.tanh(c)
            outs.append(h @ self.W_hq + self.b_q)
        return torch.stack(outs, 1)  # (B, T, O)


class D2LScratchGRU(nn.Module):
    """d2l's GRUScratch: W_xz, W_hz, b_z, W_xr, W_hr, b_r, W_xh, W_hh, b_h; the reset gate acts BEFORE the
    recurrent product, (R * H) @ W_hh: a different function than nn.GRU's. No output layer."""

    def __init__(self):
        super().__init__()
        self.W_xz, self.W_hz, self.b_z = _triple(D, H)
        self.W_xr, self.W_hr, self.b_r = _triple(D, H)
        self.W_xh, self.W_hh, self.b_h = _triple(D, H)

    def forward(self, X):
        h, outs = torch.zeros(X.size(1), H, dtype=X.dtype), []
        for x in X:
            z = torch.sigmoid(x @ self.W_xz + h @ self.W_hz + self.b_z)
            r = torch.sigmoid(x @ self.W_xr + h @ self.W_hr + self.b_r)
            h_tilde = torch.tanh(x @ self.W_xh + (r * h) @ self.W_hh + self.b_h)
            h = z * h + (1 - z) * h_tilde
            outs.append(h)
        return torch.stack(outs)


class GateLinears(nn.Module):
    """Per-gate Linears named by their gate: W_i, W_f, W_c, W_o on x_t (with bias), U_* on h_{t-1} (without)."""

    def __init__(self):
        super().__init__()
        for g in ("i", "f", "c", "o"):
            setattr(self, f"W_{g}", nn.Linear(D, H))
            setattr(self, f"U_{g}", nn.Linear(H, H, bias=False))
        self.classifier = nn.Linear(H, O)

    def forward(self, x):
        h = c = torch.zeros(x.size(1), H, dtype=x.dtype)
        for x_t in x:
            i = torch.sigmoid(self.W_i(x_t) + self.U_i(h))
            f = torch.sigmoid(self.W_f(x_t) + self.U_f(h))
            o = torch.sigmoid(self.W_o(x_t) + self.U_o(h))
            c = f * c + i * torch.tanh(self.W_c(x_t) + self.U_c(h))
            h = o * torch.tanh(c)
        return self.classifier(h)


class BiasParamHead(nn.Module):
    """nn.LSTM with a head written as Linear(H, O, bias=False) plus a separate nn.Parameter bias."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(D, H)
        self.W = nn.Linear(H, O, bias=False)
        self.b = nn.Parameter(torch.zeros(O))

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.W(out[-1]) + self.b


class RowBiasRNN(nn.Module):
    """A hand-written vanilla recurrence with a 2-D bias b_h (1, H) and no head: it returns the hidden states."""

    def __init__(self):
        super().__init__()
        self.W_xh = nn.Parameter(0.1 * torch.randn(D, H))
        self.W_hh = nn.Parameter(0.1 * torch.randn(H, H))
        self.b_h = nn.Parameter(torch.zeros(1, H))

    def forward(self, X):
        h, outs = torch.zeros(X.size(1), H, dtype=X.dtype), []
        for x in X:
            h = torch.tanh(x @ self.W_xh + h @ self.W_hh + self.b_h)
            outs.append(h)
        return torch.stack(outs)


def run_word_lm(m, x):
    return m(x, m.init_hidden(x.shape[1]))[0].view(x.shape[0], x.shape[1], -1)


def run_tagger(m, x):
    return torch.stack([m(x[:, b]) for b in range(x.shape[1])], 1)


def run_char(m, x):
    return m(x.transpose(0, 1), m.init_hidden(x.shape[1]))[0].view(x.shape[1], x.shape[0], -1).transpose(0, 1)


def bf(m, x):
    return m(x.transpose(0, 1))


# name -> (output, runs on token ids, run(model, time-major x) -> time-major output, what follows the head)
RUN = {
    "WordLanguageModel": ("all", True, run_word_lm, "log-softmax"),
    "WordGRU": ("all", True, run_word_lm, "log-softmax"),
    "LSTMTagger": ("all", True, run_tagger, "log-softmax"),
    "CharRNN": ("all", False, run_char, None),
    "CharGRU": ("all", False, run_char, None),
    "SentimentLSTM": ("last", True, lambda m, x: m(x), None),
    "SentimentSwapped": ("last", True, lambda m, x: m(x), None),
    "Forecaster": ("last", False, bf, None),
    "BiForecaster": ("last", False, bf, None),
    "ProjLSTM": ("last", False, lambda m, x: m(x), None),
    "TwoLSTMs": ("last", False, bf, None),
    "ReusedGRU": ("last", False, lambda m, x: m(x), None),
    "LSTMCellLoop": ("all", False, lambda m, x: m(x), None),
    "GRUCellLoop": ("last", False, lambda m, x: m(x), None),
    "CatLSTM": ("last", False, lambda m, x: m(x), None),
    "X2HLSTM": ("all", False, lambda m, x: m(x), None),
    "X2HGRU": ("last", False, lambda m, x: m(x), None),
    "D2LScratchLSTM": ("all", False, lambda m, x: m(x).transpose(0, 1), None),
    "GateLinears": ("last", False, lambda m, x: m(x), None),
    "BiasParamHead": ("last", False, lambda m, x: m(x), None),
    "RowBiasRNN": ("all", False, lambda m, x: m(x), None),
}


class GateCatLinears(nn.Module):
    """Four per-gate Linears on cat(x, h), named i_gate_linear, f_gate_linear, c_gate_linear, o_gate_linear."""

    def __init__(self):
        super().__init__()
        for g in ("i", "f", "c", "o"):
            setattr(self, f"{g}_gate_linear", nn.Linear(D + H, H))
        self.out = nn.Linear(H, O)

    def forward(self, x):
        h = c = torch.zeros(x.size(1), H, dtype=x.dtype)
        for x_t in x:
            xh = torch.cat([x_t, h], 1)
            i, f, o = (torch.sigmoid(getattr(self, f"{g}_gate_linear")(xh)) for g in "ifo")
            c = f * c + i * torch.tanh(self.c_gate_linear(xh))
            h = o * torch.tanh(c)
        return self.out(h)


class UnpairedNames(nn.Module):
    """Per-gate Linears whose names do not pair (w1..w4 on x, r1..r4 on h) and do not name their gate."""

    def __init__(self):
        super().__init__()
        for k in range(1, 5):
            setattr(self, f"linear_gate_w{k}", nn.Linear(D, H))
            setattr(self, f"linear_gate_r{k}", nn.Linear(H, H, bias=False))
        self.fc = nn.Linear(H, O)

    def forward(self, x):
        h = c = torch.zeros(x.size(1), H, dtype=x.dtype)
        for x_t in x:  # gate k: 1 forget, 2 input, 3 candidate, 4 output
            a = [getattr(self, f"linear_gate_w{k}")(x_t) + getattr(self, f"linear_gate_r{k}")(h) for k in range(1, 5)]
            c = torch.sigmoid(a[0]) * c + torch.sigmoid(a[1]) * torch.tanh(a[2])
            h = torch.sigmoid(a[3]) * torch.tanh(c)
        return self.fc(h)


RUN.update({"GateCatLinears": ("last", False, lambda m, x: m(x), None),
            "UnpairedNames": ("last", False, lambda m, x: m(x), None)})


class CustomLSTM(nn.Module):
    """The 'LSTM by hand' blog shape: U_* (D, H) on x, V_* (H, H) on h, b_* (H,), gates i, f, c, o, x @ U."""

    def __init__(self):
        super().__init__()
        for g in "ifco":
            setattr(self, f"U_{g}", nn.Parameter(0.3 * torch.randn(D, H)))
            setattr(self, f"V_{g}", nn.Parameter(0.3 * torch.randn(H, H)))
            setattr(self, f"b_{g}", nn.Parameter(torch.zeros(H)))
        self.fc = nn.Linear(H, O)

    def forward(self, x):
        h = c = torch.zeros(x.size(1), H, dtype=x.dtype)
        for x_t in x:
            a = {g: x_t @ getattr(self, f"U_{g}") + h @ getattr(self, f"V_{g}") + getattr(self, f"b_{g}")
                 for g in "ifco"}
            c = torch.sigmoid(a["f"]) * c + torch.sigmoid(a["i"]) * torch.tanh(a["c"])
            h = torch.sigmoid(a["o"]) * torch.tanh(c)
        return self.fc(h)


class TorchNamesLSTM(nn.Module):
    """torch's own names by hand: w_ii (H, D), w_hi (H, H) applied as W @ x, two column-bias groups
    b_ii, b_hi (H, 1); gates i, f, g, o; no head."""

    def __init__(self):
        super().__init__()
        for g in "ifgo":
            setattr(self, f"w_i{g}", nn.Parameter(0.3 * torch.randn(H, D)))
            setattr(self, f"w_h{g}", nn.Parameter(0.3 * torch.randn(H, H)))
            setattr(self, f"b_i{g}", nn.Parameter(torch.zeros(H, 1)))
            setattr(self, f"b_h{g}", nn.Parameter(torch.zeros(H, 1)))

    def forward(self, x):
        h = c = torch.zeros(H, x.size(1), dtype=x.dtype)
        outs = []
        for x_t in x:
            a = {g: getattr(self, f"w_i{g}") @ x_t.T + getattr(self, f"b_i{g}") + getattr(self, f"w_h{g}") @ h
                 + getattr(self, f"b_h{g}") for g in "ifgo"}
            c = torch.sigmoid(a["f"]) * c + torch.sigmoid(a["i"]) * torch.tanh(a["g"])
            h = torch.sigmoid(a["o"]) * torch.tanh(c)
            outs.append(h.T)
        return torch.stack(outs)


RUN.update({"CustomLSTM": ("last", False, lambda m, x: m(x), None),
            "TorchNamesLSTM": ("all", False, lambda m, x: m(x), None)})


class SplitGRU(nn.Module):
    """A GRU fused as (z, r) + n: x2h/h2h of 2H for z and r, x2r/h2r of H for the candidate, reset after the
    recurrent product (so torch's function)."""

    def __init__(self):
        super().__init__()
        self.x2h, self.h2h = nn.Linear(D, 2 * H), nn.Linear(H, 2 * H)
        self.x2r, self.h2r = nn.Linear(D, H), nn.Linear(H, H)
        self.fc = nn.Linear(H, O)

    def forward(self, x):
        h = torch.zeros(x.size(1), H, dtype=x.dtype)
        for x_t in x:
            z, r = torch.sigmoid(self.x2h(x_t) + self.h2h(h)).chunk(2, -1)
            g = torch.tanh(self.h2r(h) * r + self.x2r(x_t))
            h = z * h + (1 - z) * g
        return self.fc(h)


class ListGRU(nn.Module):
    """Per-gate Linears in ModuleLists (in2hid.0..2 on x, hid2hid.0..2 on h): names that say no gate."""

    def __init__(self):
        super().__init__()
        self.in2hid = nn.ModuleList([nn.Linear(D, H) for _ in range(3)])
        self.hid2hid = nn.ModuleList([nn.Linear(H, H) for _ in range(3)])
        self.fc = nn.Linear(H, O)

    def forward(self, x):
        h = torch.zeros(x.size(1), H, dtype=x.dtype)
        for x_t in x:
            r = torch.sigmoid(self.in2hid[0](x_t) + self.hid2hid[0](h))
            z = torch.sigmoid(self.in2hid[1](x_t) + self.hid2hid[1](h))
            n = torch.tanh(self.in2hid[2](x_t) + r * self.hid2hid[2](h))
            h = (1 - z) * h + z * n  # z weighs the candidate (Wikipedia's form): torch's with z's sign flipped
        return self.fc(h)


RUN.update({"SplitGRU": ("last", False, lambda m, x: m(x), None), "ListGRU": ("last", False, lambda m, x: m(x), None)})


class LitForecaster(nn.Module):
    """A Lightning forecaster's shape: built from its hyper-parameters (saved in the .ckpt as hyper_parameters),
    batch_first LSTM with dropout, Linear on out[:, -1]."""

    def __init__(self, n_features, hidden_size, num_layers, dropout=0.2):
        super().__init__()
        self.lstm = nn.LSTM(n_features, hidden_size, num_layers, batch_first=True, dropout=dropout)
        self.linear = nn.Linear(hidden_size, 1)

    def forward(self, x):
        lstm_out, _ = self.lstm(x)
        return self.linear(lstm_out[:, -1])


class StepLSTMCell(nn.Module):
    """An LSTM cell module called one step at a time, forward(input, (h, c)) -> the new (h, c); gates i, f, o, g."""

    def __init__(self):
        super().__init__()
        self.x2h, self.h2h = nn.Linear(D, 4 * H), nn.Linear(H, 4 * H)

    def forward(self, input, hx):
        hx, cx = hx
        i, f, o, g = (self.x2h(input) + self.h2h(hx)).chunk(4, -1)
        cy = torch.sigmoid(f) * cx + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(cy), cy


def run_steps(m, x):
    state, outs = (torch.zeros(x.size(1), H, dtype=x.dtype),) * 2, []
    for x_t in x:
        state = m(x_t, state)
        outs.append(state[0])
    return torch.stack(outs)


RUN.update({"LitForecaster": ("last", False, bf, None), "StepLSTMCell": ("all", False, run_steps, None)})


class LSTMCellScratch(nn.Module):
    """A hand-written LSTM cell: x2h + h2h of 4H, gates i, f, g, o."""

    def __init__(self, d, h):
        super().__init__()
        self.x2h, self.h2h = nn.Linear(d, 4 * h), nn.Linear(h, 4 * h)

    def forward(self, x, state):
        h, c = state
        i, f, g, o = (self.x2h(x) + self.h2h(h)).chunk(4, 1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c), c


class CellListLSTM(nn.Module):
    """Two hand-written cells in a ModuleList (rnn_cell_list.0, rnn_cell_list.1): one two-layer stack."""

    def __init__(self):
        super().__init__()
        self.rnn_cell_list = nn.ModuleList([LSTMCellScratch(D, H), LSTMCellScratch(H, H)])
        self.fc = nn.Linear(H, O)

    def forward(self, x):
        states = [(torch.zeros(x.size(1), H, dtype=x.dtype),) * 2 for _ in self.rnn_cell_list]
        for x_t in x:
            inp = x_t
            for k, cell in enumerate(self.rnn_cell_list):
                states[k] = cell(inp, states[k])
                inp = states[k][0]
        return self.fc(inp)


RUN.update({"CellListLSTM": ("last", False, lambda m, x: m(x), None)})


class StepCharLSTM(nn.Module):
    """char-rnn.pytorch's shape: embedding, nn.LSTM fed one step per call, forward(input, hidden), init_hidden."""

    def __init__(self):
        super().__init__()
        self.encoder = nn.Embedding(V, H)
        self.rnn = nn.LSTM(H, H, 2)
        self.decoder = nn.Linear(H, V)

    def forward(self, input, hidden):
        output, hidden = self.rnn(self.encoder(input).view(1, input.size(0), -1), hidden)
        return self.decoder(output.view(input.size(0), -1)), hidden

    def init_hidden(self, batch_size):
        return (torch.zeros(2, batch_size, H), torch.zeros(2, batch_size, H))


def run_char_steps(m, x):
    hidden = tuple(h.double() for h in m.init_hidden(x.shape[1]))
    outs = []
    for x_t in x:
        out, hidden = m(x_t, hidden)
        outs.append(out)
    return torch.stack(outs)


RUN.update({"StepCharLSTM": ("all", True, run_char_steps, None)})
