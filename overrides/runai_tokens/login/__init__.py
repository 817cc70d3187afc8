"""A person's login: `runai-token login` through the browser, and the session it leaves.

The browser flow (OpenID discovery, PKCE, the loopback redirect listener, the code exchange) is
in _discovery, _pkce, _callback, _listener, _exchange and _browser_flow.
"""
