// Service discovery (XEP-0030): what the account, the server and its components support. This is
// the only source of Capabilities; nothing is assumed from the server software.
import { xml } from './sdk';
import type { Element, XmppSession } from './sdk';
import { NS } from './ns';
import { attr, child, children, childText } from './stanza';
import { parseJid } from './jid';
import type { Capabilities } from '../../common/model';

export interface Discovery {
  readonly capabilities: Capabilities;
  readonly uploadService: string | null;
  readonly mucService: string | null;
  readonly bookmarks2: boolean;
}

interface Info {
  readonly features: Set<string>;
  readonly identities: { category: string; type: string }[];
  readonly forms: Element[];
}

async function info(session: XmppSession, to: string | undefined): Promise<Info | null> {
  try {
    const res = await session.iqCaller.request(xml('iq', { type: 'get', ...(to ? { to } : {}) }, xml('query', { xmlns: NS.discoInfo })), 10_000);
    const q = child(res, 'query', NS.discoInfo);
    return {
      features: new Set(children(q, 'feature').map((f) => attr(f, 'var') ?? '')),
      identities: children(q, 'identity').map((i) => ({ category: attr(i, 'category') ?? '', type: attr(i, 'type') ?? '' })),
      forms: children(q, 'x', NS.dataForm),
    };
  } catch {
    return null;
  }
}

async function items(session: XmppSession, to: string): Promise<string[]> {
  try {
    const res = await session.iqCaller.request(xml('iq', { type: 'get', to }, xml('query', { xmlns: NS.discoItems })), 10_000);
    return children(child(res, 'query', NS.discoItems), 'item')
      .map((i) => parseJid(attr(i, 'jid'))?.bare)
      .filter((j): j is string => j !== undefined)
      .slice(0, 50);
  } catch {
    return [];
  }
}

function formValue(forms: Element[], formType: string, fieldVar: string): string | undefined {
  for (const f of forms) {
    const fields = children(f, 'field');
    const type = fields.find((fl) => attr(fl, 'var') === 'FORM_TYPE');
    if (childText(type, 'value') !== formType) continue;
    const field = fields.find((fl) => attr(fl, 'var') === fieldVar);
    return childText(field, 'value');
  }
  return undefined;
}

export async function discover(session: XmppSession, ownBare: string, domain: string, smEnabled: boolean): Promise<Discovery> {
  const [account, server, itemJids] = await Promise.all([info(session, ownBare), info(session, domain), items(session, domain)]);
  const components = await Promise.all(itemJids.map(async (j) => ({ jid: j, info: await info(session, j) })));
  let uploadService: string | null = null;
  let maxUploadBytes: number | null = null;
  let mucService: string | null = null;
  for (const c of components) {
    if (!c.info) continue;
    if (!uploadService && c.info.features.has(NS.upload)) {
      uploadService = c.jid;
      const max = Number(formValue(c.info.forms, NS.upload, 'max-file-size'));
      maxUploadBytes = Number.isFinite(max) && max > 0 ? max : null;
    }
    if (!mucService && c.info.identities.some((i) => i.category === 'conference' && i.type === 'text') && c.info.features.has(NS.muc)) {
      mucService = c.jid;
    }
  }
  const has = (f: string): boolean => Boolean(account?.features.has(f) || server?.features.has(f));
  const capabilities: Capabilities = {
    // Client-side extensions: they only need the peer's client, not the server.
    edit: true,
    delete: true,
    reactions: true,
    replies: true,
    typing: true,
    receipts: true,
    upload: uploadService !== null,
    maxUploadBytes,
    history: Boolean(account?.features.has(NS.mam)),
    createRoom: mucService !== null,
    presence: true,
    contacts: true,
    carbons: has(NS.carbons),
    streamManagement: smEnabled,
    meetingDomain: null, // XMPP servers advertise no meeting service to clients
  };
  return {
    capabilities,
    uploadService,
    mucService,
    bookmarks2: Boolean(account?.features.has(`${NS.bookmarks2}#compat`) || account?.features.has(`${NS.bookmarks2}#compat-pep`)),
  };
}
