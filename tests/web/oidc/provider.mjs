// A real OpenID Connect provider for the page tests: panva's oidc-provider (npm), on
// loopback, with one confidential client and a few people. Its development login form
// (devInteractions) signs in whoever types a login it knows, with any password; consent
// is granted without asking (a first-party client). PKCE (S256) is required.
//
// Given as JSON in OIDC_TEST_CONFIG: {port, client: {client_id, client_secret,
// redirect_uris, post_logout_redirect_uris}, users: {login: {email, name}}}.
// Prints "listening <issuer>" once it answers.
import Provider from 'oidc-provider';

const config = JSON.parse(process.env.OIDC_TEST_CONFIG);
const issuer = `http://127.0.0.1:${config.port}`;

const provider = new Provider(issuer, {
  clients: [{
    ...config.client,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  cookies: { keys: ['collab-test-provider-cookie-key'] },
  async findAccount(ctx, id) {
    const user = config.users[id];
    if (!user) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: user.email, email_verified: true, name: user.name };
      },
    };
  },
  // no consent screen: the client is the institution's own
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
});

provider.listen(config.port, '127.0.0.1', () => {
  console.log(`listening ${issuer}`);
});
