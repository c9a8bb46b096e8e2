// Call invitations on Mattermost (protocols.md B.2). Outgoing: the post the Jitsi plugin
// (mattermost/mattermost-plugin-jitsi server/plugin.go startMeeting) makes, `type: custom_jitsi`
// with its props, so Mattermost clients with the plugin show their own meeting card, and the link
// in `message` for those without it. Incoming: `custom_jitsi` and Mattermost Calls' `custom_calls`.
import { safeMeetingUrl as safeUrl } from '../../common/meetings';
import type { CallInvite, MeetingInfo } from '../contract';

export const JITSI_POST_TYPE = 'custom_jitsi';
export const CALLS_POST_TYPE = 'custom_calls';

/** A join link we may offer (https, no credentials, no look-alike host: common/meetings.ts), else null. */
export function safeMeetingUrl(raw: unknown): string | null {
  return typeof raw === 'string' && raw !== '' ? safeUrl(raw) : null;
}

export interface JitsiPost {
  readonly type: typeof JITSI_POST_TYPE;
  readonly message: string;
  readonly props: Record<string, unknown>;
}

/** The plugin keeps the token apart: meeting_link without it, meeting_jwt with it. */
function splitJwt(url: string): { link: string; jwt: string | null } {
  const u = new URL(url);
  const jwt = u.searchParams.get('jwt');
  if (jwt === null) return { link: url, jwt: null };
  u.searchParams.delete('jwt');
  return { link: u.href, jwt };
}

export function jitsiPost(call: CallInvite): JitsiPost {
  const { link, jwt } = splitJwt(call.url);
  const topic = call.title ?? '';
  return {
    type: JITSI_POST_TYPE,
    // What clients without the plugin show: the link to click.
    message: topic ? `📹 ${topic}: ${call.url}` : `📹 Join the call: ${call.url}`,
    props: {
      meeting_id: call.room,
      meeting_link: link,
      jwt_meeting: jwt !== null,
      ...(jwt !== null ? { meeting_jwt: jwt } : {}),
      meeting_personal: false,
      meeting_topic: topic,
      default_meeting_topic: 'Jitsi Meeting',
      jaas_meeting: false,
      meeting_id_label: 'Meeting ID',
    },
  };
}

function nonEmpty(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v.trim().slice(0, 200) : undefined;
}

/** meeting_link, plus `?jwt=` + meeting_jwt when the meeting needs a token (older plugins put it in the link already). */
function jitsiJoinUrl(props: Record<string, unknown>): string | null {
  const link = safeMeetingUrl(props.meeting_link);
  if (!link) return null;
  const jwt = props.jwt_meeting === true ? nonEmpty(props.meeting_jwt) : undefined;
  if (!jwt) return link;
  const u = new URL(link);
  if (!u.searchParams.has('jwt')) u.searchParams.set('jwt', jwt);
  return u.href;
}

/** The Join card of a post, or undefined when the post announces no call. */
export function meetingOfPost(p: { readonly type: string; readonly props?: Record<string, unknown> | undefined }): MeetingInfo | undefined {
  const props = p.props ?? {};
  if (p.type === JITSI_POST_TYPE) {
    // Without a link we may open there is nothing to join (no joinUrl on Mattermost): no card.
    const url = jitsiJoinUrl(props);
    if (!url) return undefined;
    const title = nonEmpty(props.meeting_topic);
    return { system: 'Jitsi', url, ...(title ? { title } : {}) };
  }
  if (p.type === CALLS_POST_TYPE) {
    // Calls is WebRTC inside Mattermost: no link to hand to our call window; the web client joins.
    const title = nonEmpty(props.title);
    return { system: 'Mattermost Calls', ...(title ? { title } : {}) };
  }
  return undefined;
}

/** A line for previews and notifications when the post itself has no text (the plugin sends ''). */
export function meetingText(m: MeetingInfo): string {
  const what = m.system === 'Jitsi' ? 'Jitsi meeting' : `${m.system} call`;
  return `📹 ${m.title ? `${what} “${m.title}”` : what}${m.url ? `: ${m.url}` : ''}`;
}
