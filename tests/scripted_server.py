"""The scripted server moved to runai_tokens.testing.scripted; these names stay for the tests."""

from runai_tokens.testing.scripted import (
    Handler,
    Recorded,
    Reply,
    ScriptedServer,
    is_grant,
    scripted,
    sequence,
)

__all__ = ["Handler", "Recorded", "Reply", "ScriptedServer", "is_grant", "scripted", "sequence"]
