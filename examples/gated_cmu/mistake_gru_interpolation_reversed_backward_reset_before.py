"""A CMU 11-785-style GRU cell in the textbook convention with one mistake (gru_interpolation_reversed_backward): written for rnn-parity's examples."""
import numpy as np


class Sigmoid:
    def __call__(self, z):
        self.state = 1.0 / (1.0 + np.exp(-z))
        return self.state

    def derivative(self):
        return self.state * (1.0 - self.state)


class Tanh:
    def __call__(self, z):
        self.state = np.tanh(z)
        return self.state

    def derivative(self):
        return 1.0 - self.state ** 2


class GRUCell:
    def __init__(self, in_dim, hidden_dim):
        self.d, self.h = in_dim, hidden_dim
        h, d = hidden_dim, in_dim
        self.Wrx, self.Wzx, self.Wnx = (np.random.randn(h, d) for _ in range(3))
        self.Wrh, self.Wzh, self.Wnh = (np.random.randn(h, h) for _ in range(3))
        self.brx, self.bzx, self.bnx = (np.random.randn(h) for _ in range(3))
        self.brh, self.bzh, self.bnh = (np.random.randn(h) for _ in range(3))
        self.r_act, self.z_act, self.h_act = Sigmoid(), Sigmoid(), Tanh()

    def init_weights(self, Wrx, Wzx, Wnx, Wrh, Wzh, Wnh, brx, bzx, bnx, brh, bzh, bnh):
        self.Wrx, self.Wzx, self.Wnx, self.Wrh, self.Wzh, self.Wnh = Wrx, Wzx, Wnx, Wrh, Wzh, Wnh
        self.brx, self.bzx, self.bnx, self.brh, self.bzh, self.bnh = brx, bzx, bnx, brh, bzh, bnh

    def forward(self, x, h_prev_t):
        self.x, self.hidden = x, h_prev_t
        self.r = self.r_act(self.Wrx @ x + self.brx + self.Wrh @ h_prev_t + self.brh)
        self.z = self.z_act(self.Wzx @ x + self.bzx + self.Wzh @ h_prev_t + self.bzh)
        self.rh = self.r * h_prev_t
        self.n = self.h_act(self.Wnx @ x + self.bnx + self.Wnh @ self.rh + self.bnh)
        return self.z * self.n + (1 - self.z) * h_prev_t

    def backward(self, delta):
        dn = delta * (1 - self.z)
        dz = delta * (self.hidden - self.n)
        dn_act = dn * self.h_act.derivative()
        drh = dn_act @ self.Wnh
        dr = drh * self.hidden
        dz_act = dz * self.z_act.derivative()
        dr_act = dr * self.r_act.derivative()

        self.dWnx = np.outer(dn_act, self.x)
        self.dbnx = dn_act
        self.dWnh = np.outer(dn_act, self.rh)
        self.dbnh = dn_act
        self.dWzx = np.outer(dz_act, self.x)
        self.dbzx = dz_act
        self.dWzh = np.outer(dz_act, self.hidden)
        self.dbzh = dz_act
        self.dWrx = np.outer(dr_act, self.x)
        self.dbrx = dr_act
        self.dWrh = np.outer(dr_act, self.hidden)
        self.dbrh = dr_act

        dx = dn_act @ self.Wnx + dz_act @ self.Wzx + dr_act @ self.Wrx
        dh_prev_t = delta * self.z + drh * self.r + dz_act @ self.Wzh + dr_act @ self.Wrh
        return dx, dh_prev_t
