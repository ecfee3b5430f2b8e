"""Model classes in the shapes real vanilla-RNN code takes, for the checkpoint-reading tests.

Each builds with no arguments (so `--model checkpoint_models.py:NAME` can construct it; NeedsSizes only from
the sizes its checkpoint saved) and holds small
sizes: D=4 inputs, H=6 hidden, O=3 outputs, V=11 tokens, T-independent unless said otherwise.
"""
import torch
import torch.nn.functional as F
from torch import nn

D, H, O, V, T = 4, 6, 3, 11, 5


class Classifier(nn.Module):
    """nn.RNN under `encoder.rnn` and a head named `classifier`, batch-first, last step."""

    def __init__(self):
        super().__init__()
        self.encoder = nn.Module()
        self.encoder.rnn = nn.RNN(D, H, batch_first=True)
        self.classifier = nn.Linear(H, O)

    def forward(self, x):
        out, h_n = self.encoder.rnn(x)
        return self.classifier(out[:, -1])


class H2O(nn.Module):
    """The 2024 PyTorch names tutorial: nn.RNN + h2o on hidden[0], then LogSoftmax."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(D, H)
        self.h2o = nn.Linear(H, O)
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, x):
        _, hidden = self.rnn(x)
        return self.softmax(self.h2o(hidden[0]))


class BareHead(nn.Module):
    """nn.RNN plus a bare (H, O) parameter W and a top-level bias b: h @ W + b at every step, ReLU RNN."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(D, H, nonlinearity="relu", num_layers=2)
        self.W = nn.Parameter(torch.randn(H, O) * 0.3)
        self.b = nn.Parameter(torch.randn(O) * 0.1)

    def forward(self, x):
        out, _ = self.rnn(x)
        return out @ self.W + self.b


class WordLM(nn.Module):
    """pytorch/examples word_language_model RNNModel (RNN_TANH), tied: encoder = Embedding, decoder = Linear."""

    def __init__(self):
        super().__init__()
        self.drop = nn.Dropout(0.2)
        self.encoder = nn.Embedding(V, H)
        self.rnn = nn.RNN(H, H, 2, nonlinearity="tanh", dropout=0.2)
        self.decoder = nn.Linear(H, V)
        self.decoder.weight = self.encoder.weight

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        decoded = self.decoder(self.drop(output)).view(-1, V)
        return F.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        return self.encoder.weight.new_zeros(2, bsz, H)


class EmbedRNN(nn.Module):
    """Embedding (V, D) + nn.RNN + head named `decoder`, untied, batch-first, every step."""

    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(V, D)
        self.rnn = nn.RNN(D, H, batch_first=True)
        self.decoder = nn.Linear(H, O)

    def forward(self, ids):
        out, _ = self.rnn(self.embedding(ids))
        return self.decoder(out)


class CharRNN(nn.Module):
    """The PyTorch char-RNN tutorial (2023): i2h, h2h, h2o, one step per call, tanh, LogSoftmax."""

    def __init__(self):
        super().__init__()
        self.hidden_size = H
        self.i2h = nn.Linear(D, H)
        self.h2h = nn.Linear(H, H)
        self.h2o = nn.Linear(H, O)
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, input, hidden):
        hidden = torch.tanh(self.i2h(input) + self.h2h(hidden))
        return self.softmax(self.h2o(hidden)), hidden

    def initHidden(self):
        return torch.zeros(1, self.hidden_size)


class CatRNN(nn.Module):
    """One i2h (H, D+H) on cat(x_t, h_{t-1}), ReLU, a head `out`; loops over time itself (time-major)."""

    def __init__(self):
        super().__init__()
        self.i2h = nn.Linear(D + H, H)
        self.out = nn.Linear(H, O)

    def forward(self, x):
        h = x.new_zeros(x.shape[1], H)
        for t in range(x.shape[0]):
            h = torch.relu(self.i2h(torch.cat((x[t], h), 1)))
        return self.out(h)


class TutorialI2O(nn.Module):
    """The classic names tutorial: i2h and i2o both on cat(input, hidden), no activation."""

    def __init__(self):
        super().__init__()
        self.i2h = nn.Linear(D + H, H)
        self.i2o = nn.Linear(D + H, O)
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, input, hidden):
        combined = torch.cat((input, hidden), 1)
        return self.softmax(self.i2o(combined)), self.i2h(combined)


class FlattenHead(nn.Module):
    """A head over every step at once: fc reads out.reshape(B, T*H)."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(D, H, batch_first=True)
        self.fc = nn.Linear(T * H, O)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.fc(out.reshape(x.shape[0], -1))


class ActivationBetween(nn.Module):
    """ReLU between the RNN and the head: the same keys as a plain RNN + Linear, a different function."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(D, H)
        self.fc = nn.Linear(H, O)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.fc(torch.relu(out[-1]))


class ReluRNN(nn.Module):
    """nn.RNN(nonlinearity="relu") + fc: nothing in the checkpoint says relu."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(D, H, nonlinearity="relu")
        self.fc = nn.Linear(H, O)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.fc(out[-1])


class Stacked(nn.Module):
    """Two separate nn.RNN modules, rnn1 (D -> H) then rnn2 (H -> H), and a head `linear`."""

    def __init__(self):
        super().__init__()
        self.rnn1 = nn.RNN(D, H)
        self.rnn2 = nn.RNN(H, H)
        self.linear = nn.Linear(H, O)

    def forward(self, x):
        out, _ = self.rnn1(x)
        out, _ = self.rnn2(out)
        return self.linear(out[-1])


class LSTMModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(D, H)
        self.fc = nn.Linear(H, O)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.fc(out[-1])


class NoHead(nn.Module):
    """Only an nn.RNN: the hidden states are the output."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(D, H, bidirectional=True)

    def forward(self, x):
        return self.rnn(x)[0]


def make_h2o():
    """A function returning the module (the --model NAME may be one)."""
    return H2O()


class CellLoop(nn.Module):
    """nn.RNNCell stepped in a loop (keys cell.weight_ih, no _l0), head `fc`."""

    def __init__(self):
        super().__init__()
        self.cell = nn.RNNCell(D, H)
        self.fc = nn.Linear(H, O)

    def forward(self, x):
        h = x.new_zeros(x.shape[1], H)
        for t in range(x.shape[0]):
            h = self.cell(x[t], h)
        return self.fc(h)


class GRUModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(D, H)
        self.out = nn.Linear(H, O)


class TwoHeads(nn.Module):
    """Two (O, H) Linears: either could be the head."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(D, H)
        self.fc = nn.Linear(H, O)
        self.aux = nn.Linear(H, O)

    def forward(self, x):
        return self.fc(self.rnn(x)[0][-1])


class MLPHead(nn.Module):
    """Two Linears after the RNN (with a ReLU between): not one linear head."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(D, H)
        self.fc1 = nn.Linear(H, 8)
        self.fc2 = nn.Linear(8, O)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(self.rnn(x)[0][-1])))


class NoTanhCharRNN(CharRNN):
    """The char-RNN's Linears with no activation on the recurrence: the keys of CharRNN, another function."""

    def forward(self, input, hidden):
        hidden = self.i2h(input) + self.h2h(hidden)
        return self.softmax(self.h2o(hidden)), hidden


class NeedsLengths(nn.Module):
    """forward(x, lengths): not callable as model(x); --forward run_with_lengths calls it."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(D, H)
        self.fc = nn.Linear(H, O)

    def forward(self, x, lengths):
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted=False)
        _, h_n = self.rnn(packed)
        return self.fc(h_n[-1])


def run_with_lengths(model, x):
    """The --forward FUNC for NeedsLengths: every sequence at full length."""
    return model(x, torch.full((x.shape[1],), x.shape[0], dtype=torch.long))


class ScratchRNN(nn.Module):
    """d2l.ai's RNNScratch: bare W_xh (D, H) used as X @ W_xh, W_hh (H, H) as H @ W_hh, b_h."""

    def __init__(self):
        super().__init__()
        self.W_xh = nn.Parameter(torch.randn(D, H) * 0.3)
        self.W_hh = nn.Parameter(torch.randn(H, H) * 0.3)
        self.b_h = nn.Parameter(torch.zeros(H))

    def forward(self, inputs, state=None):
        state = inputs.new_zeros(inputs.shape[1], H) if state is None else state
        outputs = []
        for X in inputs:
            state = torch.tanh(X @ self.W_xh + state @ self.W_hh + self.b_h)
            outputs.append(state)
        return outputs, state


class ScratchLM(nn.Module):
    """d2l.ai's RNNLMScratch over dense input: W_hq (H, O) and b_q at every step, stacked batch-first."""

    def __init__(self):
        super().__init__()
        self.rnn = ScratchRNN()
        self.W_hq = nn.Parameter(torch.randn(H, O) * 0.3)
        self.b_q = nn.Parameter(torch.zeros(O))

    def forward(self, X, state=None):
        rnn_outputs, _ = self.rnn(X, state)
        return torch.stack([h @ self.W_hq + self.b_q for h in rnn_outputs], 1)


class CellParams(nn.Module):
    """nn.RNNCell's layout written by hand: W_ih (H, D), W_hh (H, H), b_ih, b_hh; head `fc`."""

    def __init__(self):
        super().__init__()
        self.W_ih = nn.Parameter(torch.randn(H, D) * 0.3)
        self.W_hh = nn.Parameter(torch.randn(H, H) * 0.3)
        self.b_ih = nn.Parameter(torch.randn(H) * 0.1)
        self.b_hh = nn.Parameter(torch.randn(H) * 0.1)
        self.fc = nn.Linear(H, O)

    def forward(self, x):
        h = x.new_zeros(x.shape[1], H)
        for t in range(x.shape[0]):
            h = torch.tanh(x[t] @ self.W_ih.T + self.b_ih + h @ self.W_hh.T + self.b_hh)
        return self.fc(h)


class MixedOrientation(CellParams):
    """CellParams' parameters, but W_hh applied as h @ W_hh: only running the model can tell."""

    def forward(self, x):
        h = x.new_zeros(x.shape[1], H)
        for t in range(x.shape[0]):
            h = torch.tanh(x[t] @ self.W_ih.T + self.b_ih + h @ self.W_hh + self.b_hh)
        return self.fc(h)


class ChannelsSecond(EmbedRNN):
    """EmbedRNN returning (B, O, T), the layout nn.CrossEntropyLoss takes for sequences."""

    def forward(self, ids):
        return super().forward(ids).permute(0, 2, 1)


class Sentiment(nn.Module):
    """Embedding + nn.RNN + one output unit and a sigmoid (binary sentiment), batch-first, h_n[-1]."""

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(V, D)
        self.rnn = nn.RNN(D, H, batch_first=True)
        self.out = nn.Linear(H, 1)

    def forward(self, ids):
        _, h_n = self.rnn(self.emb(ids))
        return torch.sigmoid(self.out(h_n[-1])).squeeze(1)


class CellStep(nn.Module):
    """nn.RNNCell called one step at a time: forward(input, hidden) -> (output, hidden), head `out`."""

    def __init__(self):
        super().__init__()
        self.cell = nn.RNNCell(D, H, nonlinearity="relu")
        self.out = nn.Linear(H, O)

    def forward(self, input, hidden):
        hidden = self.cell(input, hidden)
        return self.out(hidden), hidden


class EncoderDecoderNames(nn.Module):
    """Two RNNs of one shape (H -> H) named `first` and `second`, used second then first: the names do not
    give the order, so only --model can."""

    def __init__(self):
        super().__init__()
        self.inp = nn.Embedding(V, H)
        self.first = nn.RNN(H, H)
        self.second = nn.RNN(H, H)
        self.fc = nn.Linear(H, O)

    def forward(self, ids):
        out, _ = self.second(self.inp(ids))
        out, _ = self.first(out)
        return self.fc(out[-1])


class Wrapped(nn.Module):
    """A module whose every key starts with `model.`: its own names keep the prefix."""

    def __init__(self):
        super().__init__()
        self.model = H2O()

    def forward(self, x):
        return self.model(x)


class StockNames(nn.Module):
    """A time-series regressor whose keys are TorchRNN's own (rnn.*, fc.*): 2 layers, batch-first, out[:, -1]."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(D, H, num_layers=2, batch_first=True)
        self.fc = nn.Linear(H, 1)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.fc(out[:, -1, :])


class NeedsMask(nn.Module):
    """forward(x, mask): a padding mask (B, T) zeroing the padded steps' outputs; --forward run_with_mask calls it."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(D, H, batch_first=True)
        self.fc = nn.Linear(H, O)

    def forward(self, x, mask):
        out, _ = self.rnn(x)
        return self.fc(out * mask.unsqueeze(-1))


def run_with_mask(model, x):
    """The --forward FUNC for NeedsMask: nothing padded (x comes in its nn.RNN's layout, (B, T, D))."""
    return model(x, torch.ones(x.shape[:2], dtype=x.dtype))


class CellNoHead(nn.Module):
    """An nn.RNNCell wrapper whose forward(input, hidden) returns the new hidden state alone (no head)."""

    def __init__(self):
        super().__init__()
        self.cell = nn.RNNCell(D, H)

    def forward(self, input, hidden):
        return self.cell(input, hidden)


class OneHotInside(nn.Module):
    """No embedding: forward(ids, state) one-hots token ids (B, T) itself, transposed to time-major for its
    nn.RNN, and flattens the outputs to (T*B, D) (d2l's RNNModel shape)."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(D, H)
        self.linear = nn.Linear(H, O)

    def forward(self, ids, state):
        y, state = self.rnn(F.one_hot(ids.T.long(), D).to(self.linear.weight.dtype), state)
        return self.linear(y.reshape(-1, H)), state


class FixedBatch(nn.Module):
    """A state built for self.batch_size in forward: it runs only on batches of that size."""

    def __init__(self):
        super().__init__()
        self.batch_size = 16
        self.rnn = nn.RNN(D, H, batch_first=True)
        self.fc = nn.Linear(H, O)

    def forward(self, x):
        h = torch.zeros(1, self.batch_size, H, dtype=x.dtype)
        out, _ = self.rnn(x, h)
        return self.fc(out.contiguous().view(-1, H))


class ZeroH0Buffer(nn.Module):
    """An initial state registered as a buffer of zeros (1, 1, H), expanded over the batch: the default h0."""

    def __init__(self):
        super().__init__()
        self.register_buffer("h0", torch.zeros(1, 1, H))
        self.rnn = nn.RNN(D, H, batch_first=True)
        self.fc = nn.Linear(H, O)

    def forward(self, x):
        out, _ = self.rnn(x, self.h0.expand(-1, x.shape[0], -1).contiguous())
        return self.fc(out[:, -1])


class LearnedH0(ZeroH0Buffer):
    """The same with h0 a trained nn.Parameter: nonzero, so the reference's weights cannot hold it."""

    def __init__(self):
        super().__init__()
        del self.h0
        self.h0 = nn.Parameter(torch.zeros(1, 1, H))


class StepEmbedRNN(nn.Module):
    """Embedding + 2-layer nn.RNN fed one step of ids per call: forward(input (B,), hidden (2, B, H))."""

    def __init__(self):
        super().__init__()
        self.encoder = nn.Embedding(V, H)
        self.rnn = nn.RNN(H, H, 2)
        self.decoder = nn.Linear(H, V)

    def forward(self, input, hidden):
        output, hidden = self.rnn(self.encoder(input).view(1, input.size(0), -1), hidden)
        return self.decoder(output.view(input.size(0), -1)), hidden

    def init_hidden(self, batch_size):
        return torch.zeros(2, batch_size, H)


class StockNamesNoBias(nn.Module):
    """TorchRNN's own key names, but neither the RNN nor the head `fc` has a bias."""

    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(V, D)
        self.rnn = nn.RNN(D, H, bias=False, batch_first=True)
        self.fc = nn.Linear(H, O, bias=False)

    def forward(self, ids):
        _, h_n = self.rnn(self.embedding(ids))
        return self.fc(h_n[-1])


class NormBetween(nn.Module):
    """A LayerNorm between the RNN and the head: not one linear head."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(D, H, batch_first=True)
        self.norm = nn.LayerNorm(H)
        self.fc = nn.Linear(H, O)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.fc(self.norm(out[:, -1]))


class AllLayerStates(nn.Module):
    """TorchRNN's key names, but `fc` reads the final states of all 3 layers at once, (O, 3H)."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(D, H, num_layers=3, batch_first=True)
        self.fc = nn.Linear(3 * H, O)

    def forward(self, x):
        _, h_n = self.rnn(x)
        return self.fc(h_n.permute(1, 0, 2).flatten(1))


class TaskHeads(nn.Module):
    """Two heads on the last state, returned together: a class head `cls` (O) and a regression head `reg` (1)."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(D, H, batch_first=True)
        self.cls = nn.Linear(H, O)
        self.reg = nn.Linear(H, 1)

    def forward(self, x):
        last = self.rnn(x)[0][:, -1]
        return self.cls(last), self.reg(last)


def reg_output(model, x):
    """The --forward FUNC that picks TaskHeads' second output."""
    return model(x)[1]


def half_sentiment():
    """Sentiment saved in half precision (model.half()), as mixed-precision training scripts save it."""
    return Sentiment().half()


class BiLastOutput(nn.Module):
    """Bidirectional, head on out[:, -1]: the backward half there has seen only the last step (not h_n)."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(D, H, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(2 * H, O)

    def forward(self, x):
        return self.fc(self.rnn(x)[0][:, -1, :])


class FixedSteps(nn.Module):
    """Reshapes its input to self.sequence_length steps (row-by-row image classifiers): runs only at that T."""

    def __init__(self):
        super().__init__()
        self.sequence_length = 9
        self.rnn = nn.RNN(D, H, batch_first=True)
        self.fc = nn.Linear(H, O)

    def forward(self, x):
        out, _ = self.rnn(x.reshape(-1, self.sequence_length, D))
        return self.fc(out[:, -1, :])


class UnivariateSeries(nn.Module):
    """A one-feature time series taken as (B, T) and unsqueezed to (B, T, 1) inside forward."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(1, H, num_layers=2, batch_first=True)
        self.fc = nn.Linear(H, 1)

    def forward(self, x):
        out, _ = self.rnn(x.unsqueeze(-1))
        return self.fc(out[:, -1, :]).squeeze(-1)


class WeightedLoss(nn.Module):
    """A Lightning-style module holding its loss: CrossEntropyLoss(weight=...) puts `criterion.weight` (O,) in
    the state_dict, training state that is not part of the output."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(D, H, batch_first=True)
        self.fc = nn.Linear(H, O)
        self.criterion = nn.CrossEntropyLoss(weight=torch.tensor([1.0, 2.0, 4.0]))

    def forward(self, x):
        return self.fc(self.rnn(x)[0][:, -1])


class Seq2SeqPair(nn.Module):
    """An encoder and a decoder nn.RNN that both take D features (the decoder starts from the encoder's state),
    one head: not one stacked RNN. The decoder's weight_ih (H, D) has an embedding's shape (V, D)."""

    def __init__(self):
        super().__init__()
        self.encoder = nn.RNN(D, H, batch_first=True)
        self.decoder = nn.RNN(D, H, batch_first=True)
        self.fc = nn.Linear(H, O)

    def forward(self, src):
        _, h = self.encoder(src)
        out, _ = self.decoder(src, h)
        return self.fc(out)


class Seq2SeqEncoderHead(Seq2SeqPair):
    """Seq2SeqPair's weights, used through the encoder and the head only: what `--map rnn=encoder,head=fc` ports."""

    def forward(self, src):
        out, _ = self.encoder(src)
        return self.fc(out[:, -1])


class BagOfWords(nn.Module):
    """The PyTorch text-classification tutorial's shape: nn.EmbeddingBag (V, D) -> Linear (O, D), no recurrence.
    fc (3, 4) has the shape of a cat recurrence (H, D+H) with H=3, D=1."""

    def __init__(self):
        super().__init__()
        self.embedding = nn.EmbeddingBag(V, D)
        self.fc = nn.Linear(D, O)

    def forward(self, text, offsets=None):
        return self.fc(self.embedding(text, offsets))


class ReluVocabClassifier(nn.Module):
    """Embedding with padding_idx=0, a 2-layer relu nn.RNN without biases (dropout between layers), a Linear(H, 1)
    reading hidden[-1] and a sigmoid in forward; saved beside its vocabulary."""

    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(V, D, padding_idx=0)
        self.rnn = nn.RNN(D, H, num_layers=2, nonlinearity="relu", bias=False, batch_first=True, dropout=0.2)
        self.fc = nn.Linear(H, 1)

    def forward(self, ids):
        _, hidden = self.rnn(self.embedding(ids))
        return torch.sigmoid(self.fc(hidden[-1])).squeeze(1)


class TinyRNNForCausalLM(nn.Module):
    """A tiny custom RNN language model in Hugging Face's names (embeddings, lm_head), as save_pretrained writes
    it: a folder holding pytorch_model.bin (a bare state_dict) beside config.json."""

    def __init__(self):
        super().__init__()
        self.embeddings = nn.Embedding(V, D)
        self.rnn = nn.RNN(D, H, batch_first=True)
        self.lm_head = nn.Linear(H, V)

    def forward(self, input_ids):
        out, _ = self.rnn(self.embeddings(input_ids))
        return self.lm_head(out)


class Seq2SeqEncoderStates(Seq2SeqPair):
    """Seq2SeqPair's weights used as an encoder: it returns the encoder's hidden states, the head unused."""

    def forward(self, src):
        out, _ = self.encoder(src)
        return out


class WeightNormHead(nn.Module):
    """A head under weight_norm: the state_dict holds g (O, 1) and v (O, H), and v alone has the head's shape."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(D, H, batch_first=True)
        self.fc = nn.utils.parametrizations.weight_norm(nn.Linear(H, O))

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.fc(out[:, -1])


class NeedsSizes(nn.Module):
    """Built only with its sizes, as most scripts' models are; a Lightning checkpoint keeps them in
    hyper_parameters (and a script's checkpoint in its argparse args)."""

    def __init__(self, input_size, hidden_size, num_layers, num_classes, dropout=0.0):
        super().__init__()
        self.rnn = nn.RNN(input_size, hidden_size, num_layers, batch_first=True, dropout=dropout)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.fc(out[:, -1, :])


class OneSentenceTagger(nn.Module):
    """The PyTorch sequence-tagging tutorial's shape with nn.RNN: one sentence of ids (T,) per call, reshaped with
    view(len(sentence), 1, -1); it runs at batch size 1 only."""

    def __init__(self):
        super().__init__()
        self.word_embeddings = nn.Embedding(V, D)
        self.rnn = nn.RNN(D, H)
        self.hidden2tag = nn.Linear(H, O)

    def forward(self, sentence):
        out, _ = self.rnn(self.word_embeddings(sentence).view(len(sentence), 1, -1))
        return F.log_softmax(self.hidden2tag(out.view(len(sentence), -1)), dim=1)


class NeutralRoles(nn.Module):
    """An embedding (V, H) and a bias-free head (V, H) under names that say nothing, D == H: the shapes allow
    either as the embedding; only running the model tells (the head is declared first)."""

    def __init__(self):
        super().__init__()
        self.first = nn.Linear(H, V, bias=False)
        self.rnn = nn.RNN(H, H, batch_first=True)
        self.second = nn.Embedding(V, H)

    def forward(self, ids):
        out, _ = self.rnn(self.second(ids))
        return self.first(out)


class ColumnBiases(nn.Module):
    """Karpathy's min-char-rnn in torch: (H, D) matrices used as W @ x and column biases (H, 1), (V, 1), one-hot
    characters in and logits over the same characters out (O == D)."""

    def __init__(self):
        super().__init__()
        self.Wxh = nn.Parameter(0.1 * torch.randn(H, D))
        self.Whh = nn.Parameter(0.1 * torch.randn(H, H))
        self.Why = nn.Parameter(0.1 * torch.randn(D, H))
        self.bh = nn.Parameter(torch.zeros(H, 1))
        self.by = nn.Parameter(torch.zeros(D, 1))

    def forward(self, x):  # x: (T, B, D) -> (T, B, D)
        h = x.new_zeros(H, x.shape[1])
        ys = []
        for xt in x:
            h = torch.tanh(self.Wxh @ xt.T + self.Whh @ h + self.bh)
            ys.append((self.Why @ h + self.by).T)
        return torch.stack(ys)


class ParamsListLM(nn.Module):
    """d2l's get_params order, W_xh (D, H), W_hh, b_h, W_hq (H, O), b_q, kept as a list its code saves
    with torch.save(params, path): the file holds the tensors, not their names."""

    def __init__(self):
        super().__init__()
        self.params = nn.ParameterList([nn.Parameter(0.3 * torch.randn(*s)) for s in ((D, H), (H, H), (H,), (H, O), (O,))])

    def forward(self, x):  # (T, B, D) -> (T, B, O)
        W_xh, W_hh, b_h, W_hq, b_q = self.params
        h = x.new_zeros(x.shape[1], H)
        ys = []
        for xt in x:
            h = torch.tanh(xt @ W_xh + h @ W_hh + b_h)
            ys.append(h @ W_hq + b_q)
        return torch.stack(ys)


class NextStepForecast(nn.Module):
    """A stock / music next-step model: 2-layer relu nn.RNN, the head maps back to the input's features
    (Linear(H, D)) at the last step."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(D, H, num_layers=2, nonlinearity="relu", batch_first=True)
        self.fc = nn.Linear(H, D)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.fc(out[:, -1, :])
