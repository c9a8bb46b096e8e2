// Where a call the user starts is held, and under which name (issue 5, protocols.md B.1).
// The Jitsi server comes from the organisation's policy, then the account's own setting, then
// the Matrix server's .well-known (im.vector.riot.jitsi.preferredDomain); there is no public
// default, so a user without any of these is told why the call cannot start. Room names carry
// 160 random bits, so nobody can guess their way into a meeting.
import { randomBytes } from 'node:crypto';
import { AppError } from '../../../common/errors';
import { base32 } from '../../../common/base32';
import type { CallInvite } from '../../../protocols/contract';

export interface MeetingServer {
  /** Host name (and port) of the Jitsi server, e.g. meet.agency.se. */
  readonly domain: string;
  /** The server admits only people with a JWT from the organisation's token issuer. */
  readonly requiresToken: boolean;
  /**
   * The organisation's token service for such a server, as an https URL template with `{room}`
   * (e.g. https://auth.agency.se/jitsi/{room}): it signs the user in with the organisation's own
   * sign-in and forwards to the meeting with `?jwt=` (the jitsi-openid / Keycloak-adapter pattern).
   */
  readonly tokenIssuer?: string;
}

/** Where the caller joins, and whether the app's meeting window may show it. */
export interface PlannedCall {
  readonly invite: CallInvite;
  /** The caller's way in: the meeting itself, or the token service that leads there. */
  readonly joinUrl: string;
  /** 'browser': the sign-in at the token service needs the system browser (its own origin and SSO). */
  readonly openIn: 'window' | 'browser';
}

/** The token service's address for a room: https, no credentials, `{room}` filled in (encoded). */
export function issuerUrl(template: string, room: string, domain: string): string | null {
  if (!template.includes('{room}')) return null;
  const filled = template.replaceAll('{room}', encodeURIComponent(room)).replaceAll('{domain}', encodeURIComponent(domain));
  try {
    const u = new URL(filled);
    return u.protocol === 'https:' && u.username === '' && u.password === '' ? u.href : null;
  } catch {
    return null;
  }
}

export interface CallPlannerDeps {
  /** Central configuration by IT; wins over everything. */
  readonly policy: MeetingServer | undefined;
  /** The user's own setting for an account (accounts:setMeetingServer). */
  accountSetting(accountId: string): MeetingServer | null;
  /** What the account's server advertises (Matrix .well-known), if anything. */
  advertised(accountId: string): string | null;
  /** Every server the app knows of, for recognising links (all accounts' settings and adverts). */
  allKnown(): readonly string[];
}

/** A host name with an optional port; no scheme, path or credentials. */
const DOMAIN = /^(?=.{1,253}(:\d{1,5})?$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*(:\d{1,5})?$/u;

export function isMeetingDomain(domain: string): boolean {
  return DOMAIN.test(domain);
}

/** 'Samverka' + 32 base32 characters (160 bits). Letters and digits only: safe in every URL and widget. */
export function unguessableRoom(random: (n: number) => Uint8Array = (n) => randomBytes(n)): string {
  return `Samverka${base32(random(20), 'abcdefghijklmnopqrstuvwxyz234567')}`;
}

export class CallPlanner {
  constructor(private readonly deps: CallPlannerDeps) {}

  /** The server for a call from this account, or an AppError saying what is missing. */
  serverFor(accountId: string): MeetingServer {
    const chosen = this.deps.policy ?? this.deps.accountSetting(accountId) ?? advertisedServer(this.deps.advertised(accountId));
    if (!chosen) {
      throw new AppError('unsupported', 'No meeting server is configured for this account: ask IT for the organisation\'s Jitsi server, or set one in the account settings');
    }
    if (chosen.requiresToken && !(chosen.tokenIssuer && issuerUrl(chosen.tokenIssuer, 'x', chosen.domain))) {
      throw new AppError('forbidden', `The meeting server ${chosen.domain} admits only people with a sign-in token (JWT), and no token issuer is configured for this account`);
    }
    return chosen;
  }

  /**
   * A new call: the invitation carries the plain meeting address (each guest signs in their own
   * way); the caller of a token-only server goes in through the organisation's token service.
   */
  newCall(accountId: string, opts: { title?: string; video: boolean }): PlannedCall {
    const server = this.serverFor(accountId);
    const room = unguessableRoom();
    const invite: CallInvite = { url: `https://${server.domain}/${room}`, domain: server.domain, room, video: opts.video, ...(opts.title ? { title: opts.title.slice(0, 200) } : {}) };
    const viaIssuer = server.requiresToken && server.tokenIssuer ? issuerUrl(server.tokenIssuer, room, server.domain) : null;
    return viaIssuer ? { invite, joinUrl: viaIssuer, openIn: 'browser' } : { invite, joinUrl: invite.url, openIn: 'window' };
  }

  /** Hosts known to run Jitsi, so that links to them become Join cards. */
  knownJitsiHosts(): readonly string[] {
    return [...new Set([...(this.deps.policy ? [this.deps.policy.domain] : []), ...this.deps.allKnown()])];
  }
}

function advertisedServer(domain: string | null): MeetingServer | null {
  return domain && isMeetingDomain(domain) ? { domain, requiresToken: false } : null;
}
