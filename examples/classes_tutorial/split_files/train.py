"""The script half: imports the class from model.py beside it and the phrases from a data module that is not
handed in, then trains at module level."""
import numpy as np

from model import SentimentRNN
from phrases import train_data

words = sorted({w for text in train_data for w in text.split()})
net = SentimentRNN(len(words), 2)

for epoch in range(300):
    for text, label in train_data.items():
        xs = [np.eye(len(words))[:, [words.index(w)]] for w in text.split()]
        y, _ = net.forward(xs)
        p = np.exp(y) / np.exp(y).sum()
        p[int(label)] -= 1
        net.backprop(p)
