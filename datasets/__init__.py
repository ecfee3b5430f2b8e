"""The seed tasks' data: committed files and seeded generators; never the network.

- sentiment (seeds 000/004): 58 train / 20 test phrases, an 18-word sorted vocabulary;
- fibonacci letters (seed 001): synthetic, seeded, any sample count and length;
- names (seed 003): 5,163 US Census 1990 first names (public domain), 27 characters incl. "\\n";
- recurrent (seed 002): the one word "recurrent", n_x = 27.
"""
from .fibonacci import (ALPHABET, LetterSequences, fibonacci_letters, fibonacci_sequence,
                        fibonacci_split, letters_vocabulary)
from .names import derive_names, encode_name, load_names, names_vocabulary, split_names
from .recurrent import recurrent_example, recurrent_vocabulary
from .sentiment import (LABELS, Phrase, SentimentData, encode_phrase, load_sentiment,
                        sentiment_vocabulary, tokenize)
from .vocab import UnknownTokenError, Vocabulary
from ._files import data_path

__all__ = [
    "Vocabulary", "UnknownTokenError", "data_path",
    "LABELS", "Phrase", "SentimentData", "load_sentiment", "sentiment_vocabulary", "encode_phrase", "tokenize",
    "ALPHABET", "LetterSequences", "fibonacci_letters", "fibonacci_sequence", "fibonacci_split",
    "letters_vocabulary",
    "load_names", "names_vocabulary", "encode_name", "split_names", "derive_names",
    "recurrent_example", "recurrent_vocabulary",
]
