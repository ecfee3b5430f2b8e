"""Judging, parent side: the answer key (the reference), the checks and their tolerances, own-gradient
verdicts, GRU/LSTM conventions, and the mistake diagnosis. plan, schemes and own_gradient's recording half
are shared with the child, which imports them without the reference."""
