"""`python -m runai_tokens` is the runai-token CLI."""

from .cli import run

if __name__ == "__main__":
    run()
