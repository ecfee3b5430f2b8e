"""The seeds' hand-written naming conventions: one table, standard library only.

    karpathy  Wxh Whh Why bh by          (min-char-rnn; the reference's own single-layer names)
    coursera  Wax Waa Wya ba|b by        (deeplearning.ai notation)
    uvw       U V W bh by                (U input->hidden, V hidden->hidden, W hidden->output)

torch_impl.schemes reads and writes weight files with it; the grader recognises students' names with it.
It imports nothing, so that the grader's child process can load this file alone, without the
reference package (numpy, scipy) behind it.
"""

# scheme -> reference name -> accepted source names (the first is the one to_scheme writes).
SCHEMES: dict[str, dict[str, tuple[str, ...]]] = {
    "karpathy": {"Wxh": ("Wxh",), "Whh": ("Whh",), "Why": ("Why",), "bh": ("bh",), "by": ("by",)},
    "coursera": {"Wxh": ("Wax",), "Whh": ("Waa",), "Why": ("Wya",), "bh": ("ba", "b"), "by": ("by",)},
    "uvw": {"Wxh": ("U",), "Whh": ("V",), "Why": ("W",), "bh": ("bh",), "by": ("by",)},
}
