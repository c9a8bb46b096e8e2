// Call invitations on XMPP (protocols.md B.2). Outgoing: the link in <body> for every client,
// XEP-0066 <x xmlns='jabber:x:oob'> for clients that show links apart, and an XEP-0482
// <invite xmlns='urn:xmpp:call-invites:0'><external uri=…/></invite> that says "this is a call".
// Incoming: an XEP-0482 external https URI, or an XEP-0066 link that is a known meeting system.
import { safeMeetingUrl } from '../../common/meetings';
import { meetingOfUrl } from '../../common/meeting-links';
import type { CallInvite, MeetingInfo } from '../contract';
import { xml } from './sdk';
import type { Element } from './sdk';
import { NS } from './ns';
import { attr, child, children, childText } from './stanza';

/** How many <external/> or oob entries we look at: a real invite has one or two. */
const MAX_CANDIDATES = 8;

export function callInviteElement(call: CallInvite): Element {
  return xml('invite', { xmlns: NS.callInvites, video: call.video ? 'true' : 'false' }, xml('external', { uri: call.url }));
}

/** The body every client shows: a short line and the plain link. */
export function callInviteText(call: CallInvite): string {
  return call.title ? `📹 Join the call “${call.title}”: ${call.url}` : `📹 Join the call: ${call.url}`;
}

/**
 * The system of a link an XEP-0482 invite names. The invite is the metadata that makes a room
 * link on any host a Jitsi call (B.3): its own host counts as a Jitsi server here. Known vendors
 * (Zoom, Teams, …) keep their names; any other call link is named by its host.
 */
function systemOfInvitedUrl(url: string): string {
  const host = new URL(url).hostname;
  return meetingOfUrl(url, [host])?.system ?? host;
}

function inviteMeeting(msg: Element): MeetingInfo | undefined {
  const invite = child(msg, 'invite', NS.callInvites);
  if (!invite) return undefined;
  for (const ext of children(invite, 'external').slice(0, MAX_CANDIDATES)) {
    const url = safeMeetingUrl(attr(ext, 'uri') ?? '');
    if (url) return { system: systemOfInvitedUrl(url), url };
  }
  return undefined;
}

/** Without an invite, an oob link is a call only when it is a known meeting system (else a file). */
function oobMeeting(msg: Element): MeetingInfo | undefined {
  for (const x of children(msg, 'x', NS.oob).slice(0, MAX_CANDIDATES)) {
    const found = meetingOfUrl(childText(x, 'url')?.trim() ?? '', []);
    if (found) return { system: found.system, url: found.url };
  }
  return undefined;
}

/** The call a message invites to, or undefined. Never a link that is not https or has credentials. */
export function callMeetingOf(msg: Element): MeetingInfo | undefined {
  return inviteMeeting(msg) ?? oobMeeting(msg);
}
