// The one place that touches @xmpp/* internals. We compose the same building blocks as
// @xmpp/client's `client()` but (1) without its auto-reconnect (the core's supervisor reconnects),
// (2) with our own STARTTLS step so extra trusted CAs can be passed to TLS, (3) with the SASL
// mechanism chosen by us (never PLAIN on an insecure stream unless allowPlaintext), and (4) with
// stream management registered before the IQ caller so that IQ results count towards XEP-0198 'h'
// (the IQ caller swallows the replies it matches; counting after it would under-count).
import { rootCertificates } from 'node:tls';
import { Client } from '@xmpp/client-core';
import xml from '@xmpp/xml';
import type { Element } from '@xmpp/xml';
import tcp from '@xmpp/tcp';
import middlewareFactory from '@xmpp/middleware';
import streamFeaturesFactory from '@xmpp/stream-features';
import iqCallerFactory from '@xmpp/iq/caller.js';
import iqCalleeFactory from '@xmpp/iq/callee.js';
import saslFeature from '@xmpp/sasl';
import resourceBindingFeature from '@xmpp/resource-binding';
import streamManagementFactory from '@xmpp/stream-management';
import SASLFactory from 'saslmechanisms';
import scramSha1 from '@xmpp/sasl-scram-sha-1';
import saslPlain from '@xmpp/sasl-plain';
import TlsSocket from '@xmpp/tls/lib/Socket.js';
import { AppError } from '../../common/errors';

export { xml };
export type { Element };

const NS_TLS = 'urn:ietf:params:xml:ns:xmpp-tls';

/** The parts of the xmpp.js entity we use. */
export interface XmppEntity {
  jid: { toString(): string } | null;
  status: string;
  socket: unknown;
  timeout: number;
  send(el: Element): Promise<void>;
  sendReceive(el: Element, timeout?: number): Promise<Element>;
  start(): Promise<unknown>;
  stop(): Promise<unknown>;
  disconnect(): Promise<unknown>;
  restart(): Promise<unknown>;
  isSecure(): boolean;
  on(event: string, fn: (...args: never[]) => void): unknown;
  once(event: string, fn: (...args: never[]) => void): unknown;
  removeListener(event: string, fn: (...args: never[]) => void): unknown;
  removeAllListeners(event?: string): unknown;
  emit(event: string, ...args: unknown[]): boolean;
  _attachSocket(socket: unknown): void;
}

export interface IqCaller {
  request(el: Element, timeout?: number): Promise<Element>;
}

interface IqContext {
  stanza: Element;
  element: Element;
  from: { toString(): string } | null;
}
export interface IqCallee {
  get(ns: string, name: string, handler: (ctx: IqContext) => Element | boolean | Promise<Element | boolean>): void;
  set(ns: string, name: string, handler: (ctx: IqContext) => Element | boolean | Promise<Element | boolean>): void;
}

export interface StreamManagement {
  enabled: boolean;
  inbound: number;
  outbound: number;
  on(event: 'ack' | 'fail', fn: (stanza: Element) => void): unknown;
  removeListener(event: 'ack' | 'fail', fn: (stanza: Element) => void): unknown;
}

interface Middleware {
  use(fn: (ctx: IqContext, next: () => Promise<unknown>) => unknown): unknown;
}
interface StreamFeatures {
  use(
    name: string,
    ns: string,
    handler: (ctx: { entity: XmppEntity }, next: () => Promise<unknown>, feature: Element) => Promise<unknown>,
  ): unknown;
}
type AuthenticateFn = (credentials: Record<string, string>, mechanism: string) => Promise<void>;

export interface XmppSession {
  readonly entity: XmppEntity;
  readonly iqCaller: IqCaller;
  readonly iqCallee: IqCallee;
  readonly sm: StreamManagement;
}

export interface SessionOptions {
  readonly service: string;
  readonly domain: string;
  readonly username: string;
  readonly password: string;
  readonly resource: string;
  readonly allowPlaintext: boolean;
  readonly trustedCaPem: readonly string[];
  /** Called with the chosen mechanism and whether the stream was encrypted, for logging/tests. */
  readonly onAuthMechanism?: (mechanism: string, secure: boolean) => void;
}

// The untyped / differently typed factories, narrowed once here.
const makeMiddleware = middlewareFactory as unknown as (deps: { entity: XmppEntity }) => Middleware;
const makeStreamFeatures = streamFeaturesFactory as unknown as (deps: { middleware: Middleware }) => StreamFeatures;
const makeIqCaller = iqCallerFactory as unknown as (deps: { middleware: Middleware; entity: XmppEntity }) => IqCaller;
const makeIqCallee = iqCalleeFactory as unknown as (deps: { middleware: Middleware; entity: XmppEntity }) => IqCallee;
const makeSasl = saslFeature as unknown as (
  deps: { streamFeatures: StreamFeatures; saslFactory: unknown },
  onAuthenticate: (authenticate: AuthenticateFn, mechanisms: string[], fast: unknown, entity: XmppEntity) => Promise<void>,
) => void;
const makeBinding = resourceBindingFeature as unknown as (
  deps: { streamFeatures: StreamFeatures; iqCaller: IqCaller },
  resource: string,
) => void;
const makeSm = streamManagementFactory as unknown as (deps: {
  streamFeatures: StreamFeatures;
  entity: XmppEntity;
  middleware: Middleware;
}) => StreamManagement;
type TlsSocketLike = {
  connect(opts: Record<string, unknown>): void;
  once(event: string, fn: (arg?: unknown) => void): void;
  removeAllListeners(event: string): void;
};
const TlsSocketCtor = TlsSocket as unknown as new () => TlsSocketLike;

export function createSession(opts: SessionOptions): XmppSession {
  const ClientCtor = Client as unknown as new (o: Record<string, unknown>) => XmppEntity;
  // timeout: stream open/close and sendReceive (STARTTLS) deadline; generous for slow servers.
  const entity = new ClientCtor({ service: opts.service, domain: opts.domain, timeout: 10_000 });
  tcp({ entity });
  // Small stanzas followed by <r/> or a ping would otherwise wait ~40 ms for Nagle/delayed ACK.
  entity.on('connect', (() => {
    (entity.socket as { setNoDelay?: (v: boolean) => void } | null)?.setNoDelay?.(true);
  }) as (...args: never[]) => void);

  const middleware = makeMiddleware({ entity });
  const streamFeatures = makeStreamFeatures({ middleware });
  // Stream management first: see the header comment about counting IQ results.
  const sm = makeSm({ streamFeatures, entity, middleware });
  const iqCaller = makeIqCaller({ middleware, entity });
  const iqCallee = makeIqCallee({ middleware, entity });

  streamFeatures.use('starttls', NS_TLS, async ({ entity: e }) => {
    const proceed = await e.sendReceive(xml('starttls', { xmlns: NS_TLS }));
    if (!proceed.is('proceed', NS_TLS)) throw new AppError('server', 'STARTTLS was refused by the server');
    const tlsSocket = new TlsSocketCtor();
    const connected = new Promise<void>((resolve, reject) => {
      tlsSocket.once('connect', () => resolve());
      tlsSocket.once('error', (err) => reject(err instanceof Error ? err : new Error(String(err))));
    });
    tlsSocket.connect({
      socket: e.socket,
      host: opts.domain,
      servername: opts.domain,
      // Node's `ca` replaces the defaults, so system roots are added explicitly.
      ...(opts.trustedCaPem.length > 0 ? { ca: [...rootCertificates, ...opts.trustedCaPem] } : {}),
    });
    await connected;
    tlsSocket.removeAllListeners('error');
    e._attachSocket(tlsSocket);
    await e.restart();
  });

  const saslFactory = new SASLFactory();
  scramSha1(saslFactory);
  saslPlain(saslFactory);
  makeSasl({ streamFeatures, saslFactory }, async (authenticate, mechanisms, _fast, e) => {
    const secure = e.isSecure();
    if (!secure && !opts.allowPlaintext) {
      throw new AppError('insecure', 'The server offers no TLS; refusing to authenticate over plaintext');
    }
    // SCRAM never reveals the password; PLAIN only where the stream is encrypted or plaintext is
    // explicitly allowed (loopback test servers).
    let mechanism: string | undefined = mechanisms.find((m) => m === 'SCRAM-SHA-1');
    if (!mechanism && mechanisms.includes('PLAIN') && (secure || opts.allowPlaintext)) mechanism = 'PLAIN';
    if (!mechanism) throw new AppError('unsupported', `No acceptable SASL mechanism (offered: ${mechanisms.join(', ')})`);
    opts.onAuthMechanism?.(mechanism, secure);
    await authenticate({ username: opts.username, password: opts.password }, mechanism);
  });
  makeBinding({ streamFeatures, iqCaller }, opts.resource);

  return { entity, iqCaller, iqCallee, sm };
}
