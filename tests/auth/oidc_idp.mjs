// A real OpenID provider for the tests: panva's certified `oidc-provider`, with its own login form.
//
// Usage: node tests/auth/oidc_idp.mjs CONFIG_JSON
//   {"port": 5xxxx, "clients": [{client_id, client_secret, redirect_uris}], "accounts": {"sub": {email, name}},
//    "idTokenTtl": 3600, "kid": "key-1"}
// Prints "READY <issuer>" on stdout when it listens. The login form (/interaction/:uid) takes the account's
// `sub` and the `amr` (comma-separated) and `acr` the test wants the IdP to vouch for; an unknown sub is refused.
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import http from 'node:http';
import Provider from 'oidc-provider';

const config = JSON.parse(process.argv[2]);
const issuer = `http://127.0.0.1:${config.port}`;

// a fresh signing key per start; `kid` names it, so a restart with another kid is a key rotation
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: config.kid || 'key-1', use: 'sig', alg: 'RS256' };

const provider = new Provider(issuer, {
  clients: config.clients.map((c) => ({
    grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic',
    ...c,
  })),
  claims: { openid: ['sub', 'acr', 'amr', 'auth_time'], email: ['email', 'email_verified'], profile: ['name'] },
  conformIdTokenClaims: false, // e-mail and name in the ID token, as Entra ID and Keycloak send them
  features: { devInteractions: { enabled: false }, rpInitiatedLogout: { enabled: true } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  jwks: { keys: [jwk] },
  pkce: { required: () => true },
  ttl: { IdToken: config.idTokenTtl || 3600 },
  cookies: { keys: ['test-cookie-key-0123456789'] },
  acrValues: ['urn:mda:test:pwd', 'urn:mda:test:mfa'],
  findAccount: async (ctx, sub) => {
    const account = config.accounts[sub];
    if (!account) return undefined;
    return { accountId: sub, claims: async () => ({ sub, email_verified: true, ...account }) };
  },
});

const escape = (s) => String(s).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return Object.fromEntries(new URLSearchParams(body));
}

async function interaction(req, res, uid, submitted) {
  const details = await provider.interactionDetails(req, res);
  if (!submitted) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><title>Test-IdP</title><h1>Inloggen bij de test-IdP</h1>
<form method="post" action="/interaction/${escape(uid)}/login">
<label>Gebruiker (sub) <input name="sub" id="sub"></label>
<label>amr <input name="amr" id="amr" value="pwd,otp"></label>
<label>acr <input name="acr" id="acr" value=""></label>
<button type="submit">Inloggen</button></form>`);
    return;
  }
  const form = await readForm(req);
  if (!config.accounts[form.sub]) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><p id="error">Onbekende gebruiker</p>');
    return;
  }
  const grant = new provider.Grant({ accountId: form.sub, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  const grantId = await grant.save();
  const amr = (form.amr || '').split(',').map((s) => s.trim()).filter(Boolean);
  const login = { accountId: form.sub, amr };
  if (form.acr) login.acr = form.acr;
  await provider.interactionFinished(req, res, { login, consent: { grantId } }, { mergeWithLastSubmission: false });
}

// Test-only: a back-channel logout token signed with this IdP's key, as the IdP would POST it to the client.
// Query: sub, aud (defaults to the first client), extra (JSON merged into the claims: a wrong event, a nonce ...).
function logoutToken(query) {
  const b64 = (obj) => Buffer.from(JSON.stringify(obj)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    iss: issuer, aud: query.get('aud') || config.clients[0].client_id, iat: now, exp: now + 120, jti: randomUUID(),
    sub: query.get('sub'), events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
    ...JSON.parse(query.get('extra') || '{}'),
  };
  const input = `${b64({ alg: 'RS256', typ: 'logout+jwt', kid: jwk.kid })}.${b64(claims)}`;
  return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
}

const callback = provider.callback();
const server = http.createServer((req, res) => {
  if (req.url.startsWith('/_test/logout-token?')) {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(logoutToken(new URL(req.url, issuer).searchParams));
    return undefined;
  }
  const match = req.url.match(/^\/interaction\/([\w-]+)(\/login)?$/);
  if (!match) return callback(req, res);
  interaction(req, res, match[1], req.method === 'POST' && Boolean(match[2])).catch((err) => {
    res.writeHead(400, { 'content-type': 'text/plain' });
    res.end(`interaction failed: ${err.message}`);
  });
  return undefined;
});
server.listen(config.port, '127.0.0.1', () => process.stdout.write(`READY ${issuer}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
