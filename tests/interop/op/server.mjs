// panva's oidc-provider (OpenID Certified), configured by tests/interop to play either
//   - "oidc":    a plain OpenID Provider like Okta/Entra/Keycloak (standard routes, discovery,
//                a JSON-array `groups` claim in the ID token, RP-Initiated Logout), or
//   - "cognito": a Cognito user pool domain (Cognito's routes on the domain root, the issuer
//                with a pool-id path, `custom:groups` as a bracketed string, `token_use: "id"`,
//                Cognito's GET /logout?client_id&logout_uri that ends the session at once).
//
// Configuration comes as JSON in the OP_CONFIG environment variable (see harness.py). The
// server binds 127.0.0.1 only, prints one line `{"ready": true, ...}` when it listens, and
// counts the requests it serves per path (GET /__interop/stats) so a test can see, for
// instance, how often the relying party fetched the JWKS.
import http from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(process.env.OP_CONFIG);
const { shape, port, issuer } = config;
const prefix = new URL(issuer).pathname.replace(/\/$/, ''); // Cognito: "/us-east-1_Pool"

const users = config.users; // sub -> claims (without sub)

async function findAccount(ctx, sub) {
  if (!Object.hasOwn(users, sub)) return undefined;
  return {
    accountId: sub,
    async claims() {
      return { sub, ...users[sub] };
    },
  };
}

const cognitoRoutes = {
  authorization: '/oauth2/authorize',
  token: '/oauth2/token',
  userinfo: '/oauth2/userInfo',
  revocation: '/oauth2/revoke',
  jwks: '/.well-known/jwks.json', // under the issuer path, as Cognito's
  end_session: '/__oidc_end_session', // Cognito's /logout is emulated below, not OIDC's
};

const configuration = {
  clients: config.clients,
  jwks: config.jwks,
  findAccount,
  claims: config.claims,
  scopes: config.scopes,
  clientAuthMethods: config.clientAuthMethods,
  // Custom claims (groups, custom:groups, token_use...) go into the ID token itself, as Okta's
  // groups claim filter and Cognito do, not only into userinfo.
  conformIdTokenClaims: false,
  pkce: { required: () => true }, // the relying party must always send S256
  cookies: { keys: ['tenant-sso-interop-cookie-key'] },
  features: {
    devInteractions: { enabled: true }, // login form (any password) and consent form
    rpInitiatedLogout: { enabled: true },
    // OIDC Back-Channel Logout 1.0: logout tokens POSTed to clients' backchannel_logout_uri
    // when a session ends at the provider (tests/interop/test_backchannel_logout.py).
    backchannelLogout: { enabled: true },
    revocation: { enabled: true },
    userinfo: { enabled: true },
  },
  ttl: {
    AccessToken: 600,
    AuthorizationCode: 300, // Cognito: codes are valid 5 minutes
    IdToken: 3600,
    Interaction: 600,
    Session: 3600, // Cognito's session cookie lives an hour
    Grant: 3600,
  },
  // Outgoing requests (back-channel logout tokens) go to the app on 127.0.0.1, which the
  // provider's SSRF guard refuses ("special-use IP address"): drop the guard, tests only.
  fetch(url, options) {
    const { dispatcher, ...rest } = options;
    return globalThis.fetch(url, rest);
  },
  renderError(ctx, out) {
    ctx.type = 'json';
    ctx.body = out;
  },
};
if (shape === 'cognito') {
  configuration.routes = cognitoRoutes;
  // Cognito asks for no consent: the grant is the scopes the app client asked for.
  configuration.loadExistingGrant = async (ctx) => {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope(ctx.oidc.params.scope);
    await grant.save();
    return grant;
  };
}

const provider = new Provider(issuer, configuration);
provider.proxy = false;
// Back-channel logout outcomes in the log (the POST to the relying party happens in the background).
provider.on('backchannel.success', (client, accountId, sid) => {
  process.stdout.write(`${JSON.stringify({ backchannel: 'success', client: client.clientId, sid })}\n`);
});
provider.on('backchannel.error', (ctx, error, client) => {
  process.stdout.write(`${JSON.stringify({ backchannel: 'error', client: client?.clientId, error: String(error), cause: String(error?.cause) })}\n`);
});

if (shape === 'cognito') {
  // Cognito's logout (docs/cognito.md, "Logout"): GET /logout?client_id&logout_uri, where
  // logout_uri must be one of the app client's sign-out URLs; the session ends at once (no
  // confirmation page) and the browser is redirected. No id_token_hint, no state.
  provider.use(async (ctx, next) => {
    if (ctx.path !== '/logout') return next();
    if (ctx.method !== 'GET') {
      ctx.status = 405;
      return undefined;
    }
    const clientId = String(ctx.query.client_id || '');
    const logoutUri = String(ctx.query.logout_uri || '');
    const client = clientId ? await provider.Client.find(clientId) : undefined;
    if (!client || !logoutUri || !client.postLogoutRedirectUriAllowed(logoutUri)) {
      ctx.status = 400;
      ctx.type = 'json';
      ctx.body = { error: 'invalid_request', error_description: 'client_id or logout_uri not registered' };
      return undefined;
    }
    const session = await provider.Session.get(ctx);
    if (session.accountId) await session.destroy();
    ctx.cookies.set(provider.cookieName('session'), null, { signed: true, httpOnly: true, sameSite: 'lax' });
    ctx.status = 302;
    ctx.redirect(logoutUri);
    return undefined;
  });
}

const stats = {};
const handler = provider.callback();
const server = http.createServer((req, res) => {
  const path = req.url.split('?')[0];
  if (path === '/__interop/stats') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(stats));
    return;
  }
  stats[path] = (stats[path] || 0) + 1;
  // oidc-provider builds its URLs under the issuer's path (the mount path): strip it, so the
  // provider answers both there and on the domain root, as Cognito's domain does.
  if (prefix && (req.url === prefix || req.url.startsWith(`${prefix}/`) || req.url.startsWith(`${prefix}?`))) {
    req.url = req.url.slice(prefix.length) || '/';
  }
  handler(req, res);
});
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ ready: true, issuer, port })}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}
