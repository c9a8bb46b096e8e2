// A loopback TCP proxy between an XMPP client and Prosody that makes the XEP-0198 enable race
// deterministic: it holds the server's bytes from <enabled/> on and writes them, together with the
// stanzas that follow, to the client as ONE chunk. It also counts the stanzas the client received
// after <enabled/> and can ask the client for its 'h' (by injecting <r/>), so a test can compare.
import { createServer, connect } from 'node:net';
import type { Server, Socket } from 'node:net';
import { Parser } from '@xmpp/xml';
import type { Element } from '@xmpp/xml';

export interface CoalescingProxy {
  readonly port: number;
  /** Stanzas (message/presence/iq) written to the client since <enabled/>. */
  stanzasSinceEnabled(): number;
  /** Whether the <enabled/> chunk was delivered coalesced with at least one stanza. */
  coalescedStanzas(): number;
  /** The full JID the server bound for the client (from the bind result), once known. */
  boundJid(): Promise<string>;
  /** Inject <r/> to the client and resolve with the h of its next <a/>. */
  requestAck(timeoutMs?: number): Promise<number>;
  close(): Promise<void>;
}

const STREAM_OPEN = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";

export async function startCoalescingProxy(targetPort: number, opts: { holdMs: number; minStanzas: number }): Promise<CoalescingProxy> {
  let afterEnabled = 0;
  let coalesced = 0;
  let clientSock: Socket | null = null;
  let jidResolve: (j: string) => void = () => undefined;
  const jid = new Promise<string>((r) => (jidResolve = r));
  const ackWaiters: ((h: number) => void)[] = [];
  const sockets = new Set<Socket>();

  const server: Server = createServer((client) => {
    clientSock = client;
    sockets.add(client);
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    sockets.add(upstream);
    let holding: string[] | null = null;
    let enabledSeen = false;
    let parser: Parser | null = null;

    const count = (data: string): number => {
      let n = 0;
      const onEl = (el: Element): void => {
        if (el.name === 'message' || el.name === 'presence' || el.name === 'iq') n++;
      };
      parser!.on('element', onEl);
      parser!.write(data);
      parser!.removeListener('element', onEl);
      return n;
    };

    const flush = (): void => {
      if (!holding) return;
      const data = holding.join('');
      holding = null;
      const n = count(data);
      coalesced = n;
      afterEnabled += n;
      client.write(data);
    };

    upstream.on('data', (buf) => {
      let s = buf.toString('utf8');
      const bind = /<jid>([^<]+)<\/jid>/.exec(s);
      if (bind) jidResolve(bind[1]!);
      if (!enabledSeen) {
        const i = s.search(/<enabled[\s>/]/);
        if (i === -1) {
          client.write(s);
          return;
        }
        enabledSeen = true;
        client.write(s.slice(0, i));
        s = s.slice(i);
        parser = new Parser();
        parser.write(STREAM_OPEN);
        holding = [];
        setTimeout(flush, opts.holdMs);
      }
      if (holding) {
        holding.push(s);
        // Flush early once enough stanzas are queued behind <enabled/>.
        const queued = (holding.join('').match(/<(message|presence|iq)[\s>]/g) ?? []).length;
        if (queued >= opts.minStanzas) flush();
        return;
      }
      afterEnabled += count(s);
      client.write(s);
    });
    client.on('data', (buf) => {
      const s = buf.toString('utf8');
      for (const m of s.matchAll(/<a [^>]*h=["'](\d+)["']/g)) {
        const w = ackWaiters.shift();
        if (w) w(Number(m[1]));
      }
      upstream.write(buf);
    });
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;

  return {
    port,
    stanzasSinceEnabled: () => afterEnabled,
    coalescedStanzas: () => coalesced,
    boundJid: () => jid,
    requestAck(timeoutMs = 5_000) {
      return new Promise<number>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no <a/> from the client')), timeoutMs);
        ackWaiters.push((h) => {
          clearTimeout(t);
          resolve(h);
        });
        clientSock?.write("<r xmlns='urn:xmpp:sm:3'/>");
      });
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
