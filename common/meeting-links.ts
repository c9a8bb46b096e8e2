// Meeting links in message text (protocols.md B.3): which video-meeting system a link belongs to,
// so that the UI can offer "Join <system>" for it. Data-driven: one entry per system with the
// hosts it may live on and the path shapes of a meeting.
//
// What is never offered: anything that is not https, links with user:password@, punycode hosts
// (look-alikes such as "zооm.us" with Cyrillic o's; see safeMeetingUrl) and vendor look-alikes
// ("zoom.us.evil.example", "teams-microsoft.com"): a vendor-hosted system only matches its own
// domain or a subdomain of it. Self-hosted systems (Jitsi, Nextcloud Talk, BigBlueButton, Pexip,
// Cisco Meeting Server) are recognised by their distinctive paths on any host, except Jitsi,
// whose links look like any other page: it only matches hosts the caller knows are Jitsi servers
// (the accounts' meeting servers, policy, meet.jit.si and 8x8.vc).
import { safeMeetingUrl } from './meetings';

export interface DetectedMeeting {
  /** The system's name as users know it. */
  readonly system: string;
  readonly url: string;
}

interface MeetingSystem {
  readonly system: string;
  /** Vendor domains (the host must be one of them or a subdomain); absent = any host. */
  readonly domains?: readonly string[];
  /** Path (+ query + fragment) of a meeting on that host. */
  readonly path: RegExp;
}

const SYSTEMS: readonly MeetingSystem[] = [
  { system: 'Zoom', domains: ['zoom.us', 'zoomgov.com'], path: /^\/(j|my|w|wc)\/[\w.-]+/iu },
  { system: 'Microsoft Teams', domains: ['teams.microsoft.com', 'teams.live.com'], path: /^\/(l\/meetup-join\/|meet\/)\S+/iu },
  { system: 'Google Meet', domains: ['meet.google.com'], path: /^\/[a-z]{3}-[a-z]{4}-[a-z]{3}(\/|\?|$)/u },
  { system: 'Webex', domains: ['webex.com'], path: /^\/(meet\/[\w.-]+|[\w-]+\/j\.php\?MTID=\w+|join\/[\w.-]+|[\w-]+\/join\/)/iu },
  { system: 'Element Call', domains: ['call.element.io'], path: /^\/room\/#\/\S+/iu },
  { system: 'Nextcloud Talk', path: /^(\/[\w.-]+)*?(\/index\.php)?\/call\/[a-z0-9]{4,32}(\/|#message_\d+|\?|$)/iu },
  { system: 'BigBlueButton', path: /^(\/bigbluebutton\/api\/join\?\S*checksum=\w+|\/b\/[\w-]{3,}(\/|\?|$)|\/rooms\/[\w-]{3,}\/join)/iu },
  { system: 'Pexip', path: /^\/webapp\d?\/(conference\/[^/?#\s]+|m\/[^/?#\s]+|\?conference=\S+|#\/\?conference=\S+)/iu },
  { system: 'Cisco Meeting Server', path: /^\/meeting\/\d{3,}(\?|$)/iu },
];

/** Jitsi servers everyone may know of (recognition only: the app never starts calls there by default). */
export const PUBLIC_JITSI_HOSTS: readonly string[] = ['meet.jit.si', '8x8.vc'];

/** A Jitsi room path: one segment (two on 8x8.vc: <AppID>/<room>), optional ?jwt= and #config. */
const JITSI_PATH = /^\/([\w-]{1,120}\/)?[\w.-]{3,200}\/?(\?jwt=[\w.-]+)?(#\S*)?$/u;

function hostMatches(host: string, domains: readonly string[]): boolean {
  return domains.some((d) => host === d || host.endsWith(`.${d}`));
}

/** The meeting a single URL is, or null. `jitsiHosts`: host names known to run Jitsi. */
export function meetingOfUrl(raw: string, jitsiHosts: readonly string[]): DetectedMeeting | null {
  const url = safeMeetingUrl(raw);
  if (url === null) return null;
  const u = new URL(url);
  const host = u.hostname.toLowerCase();
  const rest = `${u.pathname}${u.search}${u.hash}`;
  for (const s of SYSTEMS) {
    if (s.domains && !hostMatches(host, s.domains)) continue;
    if (s.path.test(rest)) return { system: s.system, url };
  }
  const jitsi = [...PUBLIC_JITSI_HOSTS, ...jitsiHosts].map((h) => h.toLowerCase());
  if (jitsi.includes(u.host.toLowerCase()) || jitsi.includes(host)) {
    if (u.pathname !== '/' && JITSI_PATH.test(rest)) return { system: 'Jitsi', url };
  }
  return null;
}

const URL_IN_TEXT = /\bhttps:\/\/[^\s<>"'`]+/giu;
const TRAILING = /[.,;:!?)\]}»”’]+$/u;

/**
 * The first meeting link in a message's text, or null. `jitsiHosts` is asked only when the text
 * has a link at all: this runs for every message ingested, and most have none.
 */
export function detectMeeting(text: string, jitsiHosts: () => readonly string[]): DetectedMeeting | null {
  let hosts: readonly string[] | null = null;
  // Messages are at most ~1 MB; links are in the first part of any real invitation.
  for (const m of text.slice(0, 20_000).matchAll(URL_IN_TEXT)) {
    hosts ??= jitsiHosts();
    const found = meetingOfUrl(m[0].replace(TRAILING, ''), hosts);
    if (found) return found;
  }
  return null;
}
