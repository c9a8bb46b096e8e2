// Id and token shapes as Meteor makes them, so the adapter sees realistic values: Random.id() is
// 17 characters from an alphabet without look-alikes, Random.secret() 43 base64url characters.
import { createHash, randomBytes, randomInt } from 'node:crypto';

const UNMISTAKABLE = '23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz';

export function randomId(length = 17): string {
  let out = '';
  for (let i = 0; i < length; i++) out += UNMISTAKABLE[randomInt(UNMISTAKABLE.length)];
  return out;
}

export function randomSecret(): string {
  return randomBytes(32).toString('base64url').slice(0, 43);
}

/** Meteor stores only sha256(token) base64 (Accounts._hashLoginToken); we do the same. */
export function hashLoginToken(token: string): string {
  return createHash('sha256').update(token).digest('base64');
}
