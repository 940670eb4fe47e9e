// oauth2-mock-server (npm) run by tests/interop as a third-party OpenID Provider, next to panva's
// oidc-provider. The package itself is used as published: its discovery document, authorization,
// token, JWKS and end-session endpoints, its ID tokens (signed with the one key of the configured
// algorithm, RS256 or ES256). It has no users, no login page and no client registry, so this
// wrapper adds what a test needs, through the package's own hooks where it has them:
//
//   - a login page in front of GET /authorize (hidden `prompt=login`, fields `login` and
//     `password`, like oidc-provider's dev interactions, so the same test driver signs in), and a
//     Cancel button that answers `error=access_denied` as a provider does when the user cancels;
//   - the user's claims put into the ID token (`beforeTokenSigning`), from the code's login;
//   - client authentication checked strictly (`beforeResponse`): the Basic credentials are NOT
//     form-decoded, as several real providers do (RFC 6749 2.3.1 says they must be);
//   - `discovery` overrides (OP_CONFIG), e.g. the auth methods and algorithms it really accepts:
//     the package always publishes `token_endpoint_auth_methods_supported: ["none"]` and
//     `id_token_signing_alg_values_supported: ["RS256"]`.
//
// Configuration: JSON in OP_CONFIG {port, issuer, alg, kid, clients: {id: secret}, users: {sub:
// claims}, discovery: {...}}. Binds 127.0.0.1 only; GET /__interop/stats counts requests per path.
import http from 'node:http';

import { Events, OAuth2Issuer, OAuth2Service } from 'oauth2-mock-server';

const config = JSON.parse(process.env.OP_CONFIG);
const { port, users, clients } = config;

const issuer = new OAuth2Issuer();
issuer.url = config.issuer; // as configured: a trailing slash is kept in discovery and in `iss`
await issuer.keys.generate(config.alg, { kid: config.kid });
const service = new OAuth2Service(issuer);

const loginOfCode = new Map(); // authorization code -> the user's sub

service.on(Events.BeforeAuthorizeRedirect, (redirect, req) => {
  const code = redirect.url.searchParams.get('code');
  if (code) loginOfCode.set(code, req.interopLogin);
});

service.on(Events.BeforeTokenSigning, (token, req) => {
  const sub = loginOfCode.get(req.body?.code);
  if (sub === undefined) return;
  token.payload.sub = sub;
  if (token.payload.aud !== undefined) Object.assign(token.payload, users[sub]); // the ID token
});

function basicCredentials(req) {
  const header = String(req.headers.authorization || '');
  if (!header.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  // Deliberately no form-decoding of either part (what the providers of issue 18 do).
  return colon < 0 ? undefined : { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

service.on(Events.BeforeResponse, (response, req) => {
  const credentials = basicCredentials(req)
    || { id: String(req.body?.client_id ?? ''), secret: String(req.body?.client_secret ?? '') };
  const known = Object.hasOwn(clients, credentials.id) && clients[credentials.id] === credentials.secret;
  const sub = loginOfCode.get(req.body?.code);
  loginOfCode.delete(req.body?.code); // single use
  if (!known) {
    response.statusCode = 401;
    response.body = { error: 'invalid_client' };
  } else if (sub === undefined) {
    response.statusCode = 400;
    response.body = { error: 'invalid_grant' };
  }
});

const escape = (value) => String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(query) {
  const hidden = Object.entries(query)
    .map(([name, value]) => `<input type="hidden" name="${escape(name)}" value="${escape(value)}">`)
    .join('');
  return `<!DOCTYPE html><html><body><h1>Sign in (oauth2-mock-server)</h1>
<form method="post" action="/authorize">${hidden}<input type="hidden" name="prompt" value="login">
<input name="login" autofocus><input name="password" type="password">
<button type="submit">Sign in</button><button type="submit" name="cancel" value="1">Cancel</button>
</form></body></html>`;
}

async function formBody(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 65536) break;
  }
  return Object.fromEntries(new URLSearchParams(body));
}

const stats = {};
const handler = service.requestHandler;
const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, `http://127.0.0.1:${port}`);
  if (url.pathname === '/__interop/stats') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(stats));
    return;
  }
  stats[url.pathname] = (stats[url.pathname] || 0) + 1;
  if (url.pathname === '/authorize' && req.method === 'GET') {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(loginPage(Object.fromEntries(url.searchParams)));
    return;
  }
  if (url.pathname === '/authorize' && req.method === 'POST') {
    const { login, password, prompt, cancel, ...params } = await formBody(req);
    if (cancel) {
      const back = new URL(params.redirect_uri);
      back.searchParams.set('error', 'access_denied');
      back.searchParams.set('error_description', 'The user cancelled');
      if (params.state) back.searchParams.set('state', params.state);
      res.writeHead(302, { location: back.href });
      res.end();
      return;
    }
    if (!Object.hasOwn(users, login || '')) {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(loginPage(params));
      return;
    }
    req.method = 'GET'; // on to the package's own authorization endpoint
    req.url = `/authorize?${new URLSearchParams(params)}`;
    req.interopLogin = login;
  }
  if (url.pathname === '/.well-known/openid-configuration' && config.discovery) {
    const end = res.end.bind(res);
    res.end = (chunk, ...rest) => {
      const body = JSON.stringify({ ...JSON.parse(String(chunk)), ...config.discovery });
      res.setHeader('content-length', Buffer.byteLength(body));
      return end(body, ...rest);
    };
  }
  handler(req, res);
});
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ ready: true, issuer: issuer.url, port })}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}
