// Tolerant JID handling. Input from the network is never trusted to be well formed: these helpers
// return null instead of throwing, so one odd stanza cannot break the adapter.
export interface Jid {
  readonly local: string;
  readonly domain: string;
  readonly resource: string;
  /** local@domain (or domain), lower-cased as nodeprep/nameprep would for ASCII. */
  readonly bare: string;
}

const MAX_PART = 1023; // RFC 7622 limit per part

export function parseJid(raw: unknown): Jid | null {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 3 * MAX_PART + 2) return null;
  const slash = raw.indexOf('/');
  const resource = slash === -1 ? '' : raw.slice(slash + 1);
  const head = slash === -1 ? raw : raw.slice(0, slash);
  const at = head.indexOf('@');
  if (at === 0 || /[\u0000-\u001f\u007f]/.test(raw)) return null; // eslint-disable-line no-control-regex
  const local = at === -1 ? '' : head.slice(0, at).toLowerCase();
  // A trailing dot names the same (fully qualified) domain: example.com. == example.com
  const domain = (at === -1 ? head : head.slice(at + 1)).toLowerCase().replace(/\.$/, '');
  if (!domain || domain.includes('@') || /[\s<>"'&]/.test(domain) || /[\s"&'/:<>@]/.test(local)) return null;
  if (local.length > MAX_PART || domain.length > MAX_PART || resource.length > MAX_PART) return null;
  if (slash !== -1 && resource.length === 0) return null;
  return { local, domain, resource, bare: local ? `${local}@${domain}` : domain };
}

export function bareJid(raw: unknown): string | null {
  return parseJid(raw)?.bare ?? null;
}

/** Human-ish label for a JID without a display name: its local part. */
export function jidLabel(bare: string): string {
  const at = bare.indexOf('@');
  return at > 0 ? bare.slice(0, at) : bare;
}
