// The organisation an account belongs to, shown next to "Sending as": the domain of the account's
// address (anna@agency.se → agency.se, @anna:agency.se → agency.se), else its server's host.
// The same reading of addresses as the core's people layer (main/core/people/addresses.ts).
import type { ProtocolId } from '../../../common/ids';

function host(s: string): string {
  const h = s.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, Math.max(1, h.indexOf(']')));
  return h.replace(/:\d{1,5}$/u, '').replace(/\.$/u, '');
}

export function agencyOf(protocol: ProtocolId, address: string, server: string): string {
  const a = address.trim();
  if (protocol === 'matrix') {
    const m = /^@[^:@\s]+:(\S+)$/u.exec(a);
    if (m) return host(m[1]!);
  } else {
    const bare = protocol === 'xmpp' ? a.split('/')[0]! : a;
    const at = bare.lastIndexOf('@');
    if (at > 0) return host(bare.slice(at + 1));
  }
  return host(server);
}
