"""A real OpenID provider for the login interop tests (tests/test_oidc_interop.py).

- provider.mjs: panva's oidc-provider (pinned in package.json), set up like Run:ai's Keycloak
  realm; provider.py starts and stops it, as tests/helpers/prism.py does Prism.
- control_plane.py: the small Run:ai control plane in front of it: the realm at
  /auth/realms/runai forwarded as is, and /api/v2/token and /api/v1/token turned into the
  provider's own token requests.
- browser.py: a scripted browser (httpx) that walks the provider's own login and consent pages,
  usable as $BROWSER for `runai-token login`.
"""
