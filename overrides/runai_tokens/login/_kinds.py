"""The choices of `runai-token login`: where its refresh token is kept (--store) and which loopback
name the browser is sent back to (--redirect-host).

A module of its own, importing nothing, because the CLI's parser names these choices on every
run, a warm `runai-token get` included, which must not pay for the login index's imports.
"""

# What --store (and open_store) take: "auto" picks keyring or file, "none" keeps nothing.
STORE_CHOICES = ("auto", "keyring", "file", "none")

# What --redirect-host takes. 127.0.0.1 is what RFC 8252 section 7.3 recommends (no resolver, and
# no other process listening on ::1 can catch the redirect); localhost is what Run:ai's own CLI
# sends, for a client that allows only that exact redirect URI. The listener binds 127.0.0.1
# either way.
REDIRECT_HOSTS = ("127.0.0.1", "localhost")
