// A minimal XmppSession stand-in: IQ requests are answered by a function of the request, and an
// entity that lets a test deliver stanzas to the listeners the code under test registered.
import type { Element } from '@xmpp/xml';
import type { XmppSession, XmppEntity } from '../../../../protocols/xmpp/sdk';

export type Responder = (req: Element, session: FakeSession) => Element | Promise<Element>;

export interface FakeSession extends XmppSession {
  readonly requests: Element[];
  /** Deliver a stanza to every 'stanza' listener currently registered. */
  deliver(stanza: Element): void;
  listenerCount(): number;
}

export function fakeSession(respond: Responder): FakeSession {
  const listeners = new Set<(s: Element) => void>();
  const requests: Element[] = [];
  const entity = {
    on(event: string, fn: (s: Element) => void) {
      if (event === 'stanza') listeners.add(fn);
    },
    removeListener(event: string, fn: (s: Element) => void) {
      if (event === 'stanza') listeners.delete(fn);
    },
  } as unknown as XmppEntity;
  const session: FakeSession = {
    entity,
    requests,
    iqCaller: {
      request: async (el: Element) => {
        requests.push(el);
        return respond(el, session);
      },
    },
    iqCallee: { get() {}, set() {} },
    sm: { enabled: false, inbound: 0, outbound: 0, on() {}, removeListener() {} },
    deliver(stanza: Element) {
      for (const l of [...listeners]) l(stanza);
    },
    listenerCount: () => listeners.size,
  };
  return session;
}
