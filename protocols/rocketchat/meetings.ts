// Call invitations on Rocket.Chat (protocols.md B.2): the server's own video conference when a
// provider app is installed, else a plain message with the Jitsi link the core picked.
import { safeMeetingUrl as safeUrl } from '../../common/meetings';
import type { CallInvite } from '../contract';

/** A join link we may offer (https, no credentials, no look-alike host: common/meetings.ts), else null. */
export function safeMeetingUrl(raw: unknown): string | null {
  return typeof raw === 'string' && raw !== '' ? safeUrl(raw) : null;
}

/** The fallback message: readable in every client, with the plain link to click. */
export function inviteText(call: CallInvite): string {
  const what = call.video ? 'video call' : 'call';
  return call.title ? `📹 Join the ${what} “${call.title}”: ${call.url}` : `📹 Join the ${what}: ${call.url}`;
}
