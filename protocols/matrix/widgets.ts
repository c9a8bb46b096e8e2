// Jitsi widgets (protocols.md B.2): the state event Element adds for a room call
// (element-hq/element-web src/utils/WidgetUtils.ts addJitsiWidget) and what we read from one.
// We never load the widget's URL (Element's jitsi.html wrapper or anything a sender chose): the
// join link is rebuilt from data.domain and data.conferenceId, each checked on its own.
import { safeMeetingUrl } from '../../common/meetings';
import type { CallInvite, MeetingInfo, MessageInfo } from '../contract';
import { eventMessageBase } from './events';
import type { RawEvent, Self } from './events';

export const WIDGET_EVENT_TYPES: readonly string[] = ['im.vector.modular.widgets', 'm.widget'];
const JITSI_WIDGET_TYPES = new Set(['jitsi', 'm.jitsi']);
/** The event type we write: the one Element reads and writes for room widgets. */
export const WIDGET_EVENT_TYPE = 'im.vector.modular.widgets';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A host name (optionally :port), nothing else: no path, no user@, no scheme. */
const DOMAIN = /^(?=.{1,253}(:\d{1,5})?$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*(:\d{1,5})?$/i;
/** Element's ids are letters; base32 room ids (auth "openidtoken-jwt") add digits and '='-free padding. */
const CONFERENCE_ID = /^[A-Za-z0-9_-]{1,200}$/;

export interface WidgetState {
  readonly eventType: string;
  readonly stateKey: string;
  readonly content: Obj;
}

/** The widget state event for a call: Element's content shape, with the plain link as `url`. */
export function jitsiWidget(call: CallInvite, self: Pick<Self, 'userId'>, widgetId: string): WidgetState {
  const name = call.title ?? 'Jitsi';
  return {
    eventType: WIDGET_EVENT_TYPE,
    stateKey: widgetId,
    content: {
      type: 'jitsi',
      // Element rebuilds its own wrapper URL from `data` for Jitsi widgets; other clients open this.
      url: call.url,
      name,
      id: widgetId,
      creatorUserId: self.userId,
      data: { conferenceId: call.room, domain: call.domain, isAudioOnly: !call.video, roomName: name },
    },
  };
}

/** The join link of a Jitsi widget's content, or null when it is not one or not safe. */
export function jitsiWidgetUrl(content: Obj): string | null {
  if (typeof content.type !== 'string' || !JITSI_WIDGET_TYPES.has(content.type) || !isObj(content.data)) return null;
  const { domain, conferenceId } = content.data;
  if (typeof domain !== 'string' || !DOMAIN.test(domain)) return null;
  if (typeof conferenceId !== 'string' || !CONFERENCE_ID.test(conferenceId)) return null;
  const url = safeMeetingUrl(`https://${domain}/${conferenceId}`);
  // Belt and braces: the URL parser must see exactly the host we checked.
  if (url === null || new URL(url).host !== domain.toLowerCase()) return null;
  return url;
}

function widgetTitle(content: Obj): string | undefined {
  const name = typeof content.name === 'string' ? content.name.trim().slice(0, 200) : '';
  return name && name.toLowerCase() !== 'jitsi' ? name : undefined;
}

/**
 * A Jitsi widget event as a message with a Join card (id = the state event's id, the same live
 * and from history), or null: not a widget, removed (empty content), redacted, or unsafe.
 */
export function widgetMessage(roomId: string, ev: RawEvent, self: Self, opts: { fromHistory: boolean; senderName?: string }): MessageInfo | null {
  if (!WIDGET_EVENT_TYPES.includes(ev.type) || ev.state_key === undefined) return null;
  const url = jitsiWidgetUrl(ev.content);
  if (url === null) return null;
  const title = widgetTitle(ev.content);
  const meeting: MeetingInfo = { system: 'Jitsi', url, ...(title ? { title } : {}) };
  return {
    ...eventMessageBase(roomId, ev, self, opts),
    text: `📹 ${title ? `Jitsi meeting “${title}”` : 'Jitsi meeting'}: ${url}`,
    meeting,
    cursor: `e:${ev.event_id}`,
    refs: { eventId: ev.event_id, roomId, widgetId: ev.state_key },
    ...(opts.fromHistory ? { fromHistory: true } : {}),
  };
}

/** The m.room.message that goes with the widget, for clients that show no widgets. */
export function inviteBody(call: CallInvite): string {
  return call.title ? `📹 Join the call “${call.title}”: ${call.url}` : `📹 Join the call: ${call.url}`;
}
