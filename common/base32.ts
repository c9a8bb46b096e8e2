// Base32 of random bytes with a given 32-letter alphabet (RFC 4648 bit order, no padding): room
// names for calls and, in the Mattermost test server, the server's own id format.
export function base32(bytes: Uint8Array, alphabet: string): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = ((value << 8) | b) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}
