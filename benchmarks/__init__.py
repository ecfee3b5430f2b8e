"""The benchmarks (`rnn-parity bench`, `make bench`): see runner.py; results in results.md and results.json.

Sections: sentiment (the seed's protocol: classic tutorial loop vs reference vs torch), batched
(forward + BPTT, reference vs TorchRNN on the CPU), long (T = 1,000 and 10,000: time and cache memory),
profile (cProfile of the reference), suite (wall time of `make test` and `rnn-parity check --quick`).
"""
