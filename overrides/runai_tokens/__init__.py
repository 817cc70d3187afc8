"""runai_tokens: the hand-written layer over the generated Run:ai token client."""

__version__ = "0.1.0"
