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
    if (chosen.requiresToken) {
      throw new AppError('forbidden', `The meeting server ${chosen.domain} admits only people with a sign-in token (JWT), and no token issuer is configured for this account`);
    }
    return chosen;
  }

  newCall(accountId: string, opts: { title?: string; video: boolean }): CallInvite {
    const server = this.serverFor(accountId);
    const room = unguessableRoom();
    return { url: `https://${server.domain}/${room}`, domain: server.domain, room, video: opts.video, ...(opts.title ? { title: opts.title.slice(0, 200) } : {}) };
  }

  /** Hosts known to run Jitsi, so that links to them become Join cards. */
  knownJitsiHosts(): readonly string[] {
    return [...new Set([...(this.deps.policy ? [this.deps.policy.domain] : []), ...this.deps.allKnown()])];
  }
}

function advertisedServer(domain: string | null): MeetingServer | null {
  return domain && isMeetingDomain(domain) ? { domain, requiresToken: false } : null;
}
