"""Where a login's refresh token can be kept: the --store choices of `runai-token login`.

A module of its own, importing nothing, because the CLI's parser names these choices on every
run, a warm `runai-token get` included, which must not pay for the login index's imports.
"""

# What --store (and open_store) take: "auto" picks keyring or file, "none" keeps nothing.
STORE_CHOICES = ("auto", "keyring", "file", "none")
