// The colleagues who write to Alice in the end-to-end specs that put an XMPP account (real Prosody)
// beside a Matrix account (real Synapse): Bo, a raw XMPP client, and Sara, a Matrix adapter. Each
// keeps the text of every message it receives from Alice, so a spec can check that an answer from
// the UI arrived, and arrived exactly once.
import { rawPeer, stopPeer, xml, type RawPeer, type Element } from '../servers/prosody/clients';
import type { ProsodyServer } from '../servers/prosody/prosody';
import type { SynapseServer } from '../servers/synapse/synapse';
import { createMatrixAdapter } from '../../protocols/matrix';
import type { AdapterEvent, AdapterLogger, ProtocolAdapter } from '../../protocols/contract';

const quiet: AdapterLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

export interface XmppMatrixPeers {
  /** Bo (bo@localhost), online with a raw XMPP client. */
  readonly xmpp: RawPeer;
  /** Bodies of the chat messages Bo received from alice@…, in order. */
  readonly xmppGot: string[];
  /** Sara (@sara:localhost), connected with the Matrix adapter. */
  readonly matrix: ProtocolAdapter;
  /** Texts of the messages Sara received from others, in order. */
  readonly matrixGot: string[];
  stop(): Promise<void>;
}

/**
 * Register Alice (alicepw / alice-matrix-pw; the spec adds her accounts through the UI) and Bo on
 * Prosody, Alice and Sara on Synapse, then bring Bo and Sara online.
 */
export async function startXmppMatrixPeers(prosody: ProsodyServer, synapse: SynapseServer): Promise<XmppMatrixPeers> {
  await prosody.register('alice', 'alicepw');
  await prosody.register('bo', 'bopw');
  await synapse.registerUser('alice', 'alice-matrix-pw');
  await synapse.registerUser('sara', 'sara-pw');
  const xmppGot: string[] = [];
  const matrixGot: string[] = [];
  const xmpp = await rawPeer(prosody, 'bo', 'bopw');
  await xmpp.send(xml('presence'));
  xmpp.on('stanza', (s: Element) => {
    if (s.is('message') && s.attrs.type === 'chat' && String(s.attrs.from).startsWith('alice@')) {
      const body = s.getChildText('body');
      if (body) xmppGot.push(body);
    }
  });
  const matrix = createMatrixAdapter({ address: '@sara:localhost', serviceUrl: synapse.baseUrl, allowPlaintext: true }, { log: quiet, now: () => Date.now() });
  matrix.onEvent((e: AdapterEvent) => {
    if (e.type === 'message' && !e.message.own) matrixGot.push(e.message.text);
  });
  await matrix.connect({ credentials: { kind: 'password', password: 'sara-pw' }, syncState: {} });
  return {
    xmpp,
    xmppGot,
    matrix,
    matrixGot,
    stop: async () => {
      await stopPeer(xmpp);
      await matrix.disconnect();
    },
  };
}
