// Mattermost ids: 16 random bytes in base32 with the server's own alphabet, 26 characters
// (server/public/model/utils.go NewId). Session tokens and PATs have the same form.
import { randomBytes } from 'node:crypto';
import { base32 } from '../../../common/base32';

const ALPHABET = 'ybndrfg8ejkmcpqxot1uwisza345h769';

export function newId(): string {
  return base32(randomBytes(16), ALPHABET);
}
