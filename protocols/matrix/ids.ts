// Matrix identifiers: user ids (@local:server), room ids (!x:server), aliases (#x:server), mxc URIs.
export interface UserId {
  readonly full: string;
  readonly localpart: string;
  readonly server: string;
}

const USER_RE = /^@([^:\s]+):([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?$/;

export function parseUserId(s: string): UserId | null {
  const m = USER_RE.exec(s.trim());
  if (!m) return null;
  const server = m[3] ? `${m[2]}:${m[3]}` : m[2]!;
  return { full: s.trim(), localpart: m[1]!, server };
}

/** Room ids: `!opaque:server`, or just `!opaque` from room version 12 (MSC4291) on. */
export function isRoomId(s: string): boolean {
  return /^![^\s/]{1,255}$/.test(s);
}
export function isRoomAlias(s: string): boolean {
  return /^#[^\s:]+:\S+$/.test(s);
}

export function isEventId(s: unknown): s is string {
  return typeof s === 'string' && s.startsWith('$') && s.length < 256;
}

/** mxc://server/mediaId, with the characters the spec allows (no path tricks). */
export function parseMxc(url: string): { server: string; mediaId: string } | null {
  const m = /^mxc:\/\/([A-Za-z0-9.:[\]-]+)\/([A-Za-z0-9_-]+)$/.exec(url);
  return m ? { server: m[1]!, mediaId: m[2]! } : null;
}
