// Builders for the message stanzas we send. Ids: the core's clientTxnId becomes both the stanza
// @id and the XEP-0359 origin-id, so our own message has the same id live, reflected (MUC),
// as a carbon on our other devices, and in the archive.
import { xml } from './sdk';
import type { Element } from './sdk';
import { NS } from './ns';

export type MsgType = 'chat' | 'groupchat';

function base(to: string, type: MsgType, id: string, extra: Element[]): Element {
  return xml('message', { to, type, id }, ...extra, xml('origin-id', { xmlns: NS.sid, id }));
}

export function chatMessage(opts: {
  to: string;
  type: MsgType;
  id: string;
  text: string;
  oobUrl?: string;
  replyTo?: { id: string; to: string };
  /** An XEP-0482 <invite/> (calls.ts). */
  callInvite?: Element;
}): Element {
  const extra: Element[] = [xml('body', {}, opts.text)];
  if (opts.oobUrl) extra.push(xml('x', { xmlns: NS.oob }, xml('url', {}, opts.oobUrl)));
  if (opts.callInvite) extra.push(opts.callInvite);
  if (opts.replyTo) extra.push(xml('reply', { xmlns: NS.reply, id: opts.replyTo.id, to: opts.replyTo.to }));
  // Receipts and markers make sense 1:1; in rooms they would fan out to every occupant.
  if (opts.type === 'chat') extra.push(xml('request', { xmlns: NS.receipts }));
  extra.push(xml('markable', { xmlns: NS.markers }));
  extra.push(xml('active', { xmlns: NS.chatStates }));
  return base(opts.to, opts.type, opts.id, extra);
}

export function correctionMessage(to: string, type: MsgType, id: string, targetElementId: string, text: string): Element {
  return base(to, type, id, [xml('body', {}, text), xml('replace', { xmlns: NS.correction, id: targetElementId })]);
}

export function retractionMessage(to: string, type: MsgType, id: string, target: string): Element {
  // Current XEP-0424 (:1) plus the older fastening form (:0) still used by many clients, and a
  // body fallback for clients that know neither; store hint so it reaches the archive.
  return base(to, type, id, [
    xml('retract', { xmlns: NS.retract1, id: target }),
    xml('apply-to', { xmlns: NS.fasten, id: target }, xml('retract', { xmlns: NS.retract0 })),
    xml('fallback', { xmlns: 'urn:xmpp:fallback:0', for: NS.retract1 }),
    xml('body', {}, 'This person attempted to retract a previous message, but it is unsupported by your client.'),
    xml('store', { xmlns: NS.hints }),
  ]);
}

export function reactionsMessage(to: string, type: MsgType, id: string, target: string, keys: readonly string[]): Element {
  return base(to, type, id, [
    xml('reactions', { xmlns: NS.reactions, id: target }, ...keys.map((k) => xml('reaction', {}, k))),
    xml('store', { xmlns: NS.hints }),
  ]);
}

export function chatStateMessage(to: string, type: MsgType, state: 'composing' | 'paused' | 'active'): Element {
  // No id/origin-id needed: chat states are ephemeral and must not be archived.
  return xml('message', { to, type }, xml(state, { xmlns: NS.chatStates }), xml('no-store', { xmlns: NS.hints }));
}

export function receiptMessage(to: string, targetId: string): Element {
  return xml('message', { to, type: 'chat' }, xml('received', { xmlns: NS.receipts, id: targetId }));
}

export function displayedMessage(to: string, type: MsgType, targetId: string): Element {
  return xml('message', { to, type }, xml('displayed', { xmlns: NS.markers, id: targetId }), xml('store', { xmlns: NS.hints }));
}
