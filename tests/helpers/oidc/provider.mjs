// panva's oidc-provider (an OpenID-Certified authorization server), set up like Run:ai's Keycloak
// realm for the login interop tests (tests/test_oidc_interop.py starts it, as tests/helpers/prism.py
// starts Prism).
//
//   OIDC_ISSUER=http://127.0.0.1:<control plane port>/auth/realms/runai OIDC_PORT=<port> \
//     node tests/helpers/oidc/provider.mjs
//
// The issuer lives under the control plane's origin, at /auth/realms/runai, where Run:ai serves
// Keycloak: the control-plane proxy (tests/helpers/oidc/control_plane.py) forwards that path here with its
// Host header, so every URL the provider builds (authorization endpoint, interaction pages, the
// redirect back) names the control plane, as Keycloak's do behind Run:ai's ingress.
//
// The realm: client "runai" is public (token_endpoint_auth_method none, a native app whose
// loopback redirect may use any port, RFC 8252 section 7.3), PKCE S256 is required, refresh
// tokens rotate on every use and a reused one revokes the whole grant (oidc-provider's default for
// public clients, Keycloak's "Revoke Refresh Token"), refresh tokens are issued only for
// offline_access (oidc-provider's stock policy; it also drops offline_access unless the request
// has prompt=consent, OIDC Core section 11), the revocation endpoint is on (RFC 7009), and the
// redirect carries the RFC 9207 iss parameter. Client "runai-pkce-optional" is the same client
// with PKCE optional, as a Keycloak client without a PKCE method is.
//
// The login and consent pages are oidc-provider's own devInteractions: any login name is
// accepted (the password is not checked) and becomes the subject.
//
// Outside the issuer's path, on this port only (the proxy never forwards them), two routes serve
// the tests:
//   GET  /_test/events          what the provider did, as JSON: grants (with their grant_type),
//                               grant errors, revoked grants and revocations; never a token.
//   POST /_test/clock?advance=N moves the provider's clock N seconds ahead, so an access token
//                               expires without the test waiting for it.
import http from 'node:http';

import Provider from 'oidc-provider';

const issuer = process.env.OIDC_ISSUER;
const port = Number(process.env.OIDC_PORT);
if (!issuer || !Number.isInteger(port) || port <= 0) {
  console.error('OIDC_ISSUER and OIDC_PORT are required');
  process.exit(2);
}
const mount = new URL(issuer).pathname.replace(/\/$/, '');

// The provider's clock: every expiry it checks reads Date.now().
let offsetMs = 0;
const realNow = Date.now;
Date.now = () => realNow() + offsetMs;

const ACCESS_TOKEN_TTL = 300; // Keycloak's default access token lifespan
const loopback = ['http://127.0.0.1/callback', 'http://localhost/callback'];
const publicClient = {
  application_type: 'native',
  token_endpoint_auth_method: 'none',
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  redirect_uris: loopback,
};

const provider = new Provider(issuer, {
  clients: [
    { client_id: 'runai', ...publicClient },
    { client_id: 'runai-pkce-optional', ...publicClient },
  ],
  pkce: { required: (ctx, client) => client.clientId !== 'runai-pkce-optional' },
  rotateRefreshToken: true,
  scopes: ['openid', 'offline_access'],
  features: {
    devInteractions: { enabled: true },
    revocation: { enabled: true },
  },
  ttl: {
    AccessToken: ACCESS_TOKEN_TTL,
    AuthorizationCode: 60,
    IdToken: ACCESS_TOKEN_TTL,
    RefreshToken: 30 * 60,
    Interaction: 10 * 60,
    Session: 60 * 60,
    Grant: 60 * 60,
  },
  async findAccount(ctx, sub) {
    return { accountId: sub, async claims() { return { sub }; } };
  },
  // Signs the provider's own cookies; it guards nothing outside this test process.
  cookies: { keys: ['oidc-interop-test-cookie-key-not-a-secret'] },
});

const events = [];
const record = (kind) => (ctx, extra) => {
  const grantType = ctx?.oidc?.params?.grant_type;
  const clientId = ctx?.oidc?.client?.clientId;
  const error = extra instanceof Error ? extra.error || extra.name : undefined;
  events.push({ kind, grantType, clientId, error });
};
provider.on('grant.success', record('grant.success'));
provider.on('grant.error', record('grant.error'));
provider.on('grant.revoked', record('grant.revoked'));
provider.on('revocation.success', record('revocation.success'));
provider.on('revocation.error', record('revocation.error'));
provider.on('server_error', (ctx, err) => console.error('server_error', err));

const callback = provider.callback();

function test(req, res) {
  const url = new URL(req.url, 'http://127.0.0.1');
  res.setHeader('Content-Type', 'application/json');
  if (req.method === 'GET' && url.pathname === '/_test/events') {
    res.end(JSON.stringify(events));
  } else if (req.method === 'POST' && url.pathname === '/_test/clock') {
    const seconds = Number(url.searchParams.get('advance'));
    if (!Number.isFinite(seconds) || seconds < 0) {
      res.statusCode = 400;
      res.end(JSON.stringify({ error: 'advance must be a number of seconds, at least 0' }));
      return;
    }
    offsetMs += seconds * 1000;
    res.end(JSON.stringify({ offset: offsetMs / 1000 }));
  } else {
    res.statusCode = 404;
    res.end('{}');
  }
}

const server = http.createServer((req, res) => {
  if (req.url === mount || req.url.startsWith(`${mount}/`) || req.url.startsWith(`${mount}?`)) {
    // Mounted as a framework would mount it: oidc-provider reads the mount path from these.
    req.originalUrl = req.url;
    req.baseUrl = mount;
    const rest = req.url.slice(mount.length);
    req.url = rest.startsWith('/') ? rest : `/${rest}`;
    callback(req, res);
  } else if (req.url.startsWith('/_test/')) {
    test(req, res);
  } else {
    res.statusCode = 404;
    res.end();
  }
});

server.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider ${issuer} listening on 127.0.0.1:${port}`);
});

const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
