// A real, OpenID Certified provider implementation (panva's oidc-provider from npm) for the
// interoperability tests. Configured only through its documented options; everything else,
// including where claims go, is its default: for the code flow, profile and e-mail claims are
// returned from the UserInfo endpoint only, not in the ID token.
//
// Usage: node tests/oidc_provider.mjs CONFIG.json
// CONFIG: {"issuer", "port", "client": {client_id, client_secret, redirect_uris,
//          post_logout_redirect_uris, token_endpoint_auth_method}, "accounts": {sub: claims}}
// Log in through its development login form with a sub as "login" and any password.
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));

const provider = new Provider(config.issuer, {
  clients: [
    {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      ...config.client,
    },
  ],
  // The people this provider knows: whoever the test put in its roster, with their claims.
  async findAccount(ctx, sub) {
    const claims = config.accounts[sub];
    if (!claims) return undefined;
    return { accountId: sub, async claims() { return { ...claims, sub }; } };
  },
  claims: {
    openid: ['sub'],
    profile: ['name', 'given_name', 'family_name', 'preferred_username'],
    email: ['email', 'email_verified'],
  },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  pkce: { required: () => true },
});

provider.listen(config.port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${config.issuer}`);
});
