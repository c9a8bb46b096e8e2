// A throwaway OpenID Connect provider (the npm package `oidc-provider`, panva) on loopback, as the
// identity provider behind Synapse's `oidc_providers` in SSO tests. One confidential client (for
// Synapse), a small fixed user directory, and oidc-provider's built-in development interactions
// (a login form that accepts any login name without a password, then a consent form), so a test
// can play the browser with plain fetch (see browser.ts). Loopback only. See README.md.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import type { Configuration } from 'oidc-provider';

export interface OidcUser {
  readonly preferredUsername: string;
  readonly name: string;
  readonly email: string;
}

export interface OidcProviderOptions {
  /** Listen port; default: a free loopback port. */
  readonly port?: number;
  /** Allowed redirect URIs of the client, e.g. Synapse's `<public_baseurl>_synapse/client/oidc/callback`. */
  readonly redirectUris: readonly string[];
  /** Users by subject (= the login name typed into the dev login form). Default: alice. */
  readonly users?: Readonly<Record<string, OidcUser>>;
  readonly clientId?: string;
}

export interface OidcProviderServer {
  /** http://127.0.0.1:<port> (no trailing slash). */
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly port: number;
  /** How many authorization codes were issued (a sign-in reached the end). */
  readonly codesIssued: number;
  stop(): Promise<void>;
}

export const DEFAULT_OIDC_USERS: Readonly<Record<string, OidcUser>> = {
  alice: { preferredUsername: 'alice', name: 'Alice Andersson', email: 'alice@agency.example' },
};

export async function startOidcProvider(opts: OidcProviderOptions): Promise<OidcProviderServer> {
  const users = opts.users ?? DEFAULT_OIDC_USERS;
  const clientId = opts.clientId ?? 'synapse';
  const clientSecret = randomBytes(24).toString('base64url');

  // Listen first (the issuer must contain the real port), then mount the provider's handler.
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | null = null;
  const server: Server = createServer((req, res) => {
    if (handler) handler(req, res);
    else {
      res.statusCode = 503;
      res.end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const issuer = `http://127.0.0.1:${port}`;

  const configuration: Configuration = {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [...opts.redirectUris],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    // sub = the login name typed into the dev login form; unknown names are refused.
    async findAccount(_ctx, sub) {
      const user = users[sub];
      if (!user) return undefined;
      return {
        accountId: sub,
        async claims() {
          return { sub, preferred_username: user.preferredUsername, name: user.name, email: user.email, email_verified: true };
        },
      };
    },
    claims: {
      openid: ['sub'],
      profile: ['preferred_username', 'name'],
      email: ['email', 'email_verified'],
    },
    scopes: ['openid', 'profile', 'email'],
    features: { devInteractions: { enabled: true } },
    // Also put the scoped claims into the ID token (Synapse reads them from there or userinfo).
    conformIdTokenClaims: false,
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AuthorizationCode: 60, AccessToken: 600, IdToken: 600 },
  };
  const provider = new Provider(issuer, configuration);
  let codesIssued = 0;
  provider.on('authorization_code.saved', () => {
    codesIssued++;
  });
  // Keep the dev-interaction warnings and client errors out of the test output.
  provider.on('server_error', (_ctx, err) => {
    process.stderr.write(`oidc-provider server_error: ${String(err)}\n`);
  });
  handler = provider.callback();

  return {
    issuer,
    clientId,
    clientSecret,
    port,
    get codesIssued() {
      return codesIssued;
    },
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/**
 * homeserver.yaml keys for Synapse 1.163 (docs: "Config Options" → oidc_providers, sso) that
 * make `idp` the only SSO provider. Synapse reports it as `oidc-<idpId>` in GET /login.
 */
export function synapseOidcConfig(idp: OidcProviderServer, o: { idpId?: string; idpName?: string; clientWhitelist?: readonly string[] } = {}): Record<string, unknown> {
  return {
    oidc_providers: [
      {
        idp_id: o.idpId ?? 'test',
        idp_name: o.idpName ?? 'Test organisation',
        issuer: `${idp.issuer}/`.replace(/\/+$/, ''),
        client_id: idp.clientId,
        client_secret: idp.clientSecret,
        client_auth_method: 'client_secret_basic',
        scopes: ['openid', 'profile', 'email'],
        // http on loopback: skip Synapse's https/metadata checks of the provider.
        skip_verification: true,
        user_profile_method: 'userinfo_endpoint',
        user_mapping_provider: {
          config: {
            localpart_template: '{{ user.preferred_username }}',
            display_name_template: '{{ user.name }}',
            email_template: '{{ user.email }}',
          },
        },
      },
    ],
    ...(o.clientWhitelist ? { sso: { client_whitelist: [...o.clientWhitelist] } } : {}),
  };
}
