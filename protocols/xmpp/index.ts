// XMPP adapter entry point (RFC 6120/6121 + the XEPs listed in adapter.ts), on @xmpp/* 0.14.
import type { AdapterFactory } from '../contract';
import { XmppAdapter } from './adapter';

export const createXmppAdapter: AdapterFactory = (config, ctx) => new XmppAdapter(config, ctx);
