// `npm run demo`: a local Prosody with seeded users and a members-only room, a peer ("Bo") who
// answers, and the app in web mode already connected as "alice" — so a newcomer sees everything
// work in one command. Loopback only; everything is thrown away on Ctrl+C.
import WebSocket from 'ws';
import { startProsody } from '../test/servers/prosody/prosody';
import { startWebApp } from '../test/helpers/web-app';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createXmppAdapter } from '../protocols/xmpp';
import { createMatrixAdapter } from '../protocols/matrix';
import { startSynapse, synapseVenv, type SynapseServer } from '../test/servers/synapse/synapse';
import type { ProtocolAdapter } from '../protocols/contract';
import type { IpcResult, ServerFrame } from '../common/api';

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** A minimal client of the app's own web-mode API (the same frames the UI sends). */
async function apiClient(url: string): Promise<{ call(cmd: string, input: unknown): Promise<unknown>; close(): void }> {
  const u = new URL(url);
  const token = new URLSearchParams(u.hash.slice(1)).get('token') ?? '';
  const ws = new WebSocket(`ws://${u.host}/api`, { headers: { Origin: `http://${u.host}` } });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ token }));
  let next = 1;
  const pending = new Map<number, (r: IpcResult<unknown>) => void>();
  ws.on('message', (data: Buffer) => {
    const frame = JSON.parse(data.toString()) as ServerFrame;
    if ('id' in frame) pending.get(frame.id)?.(frame.result);
  });
  return {
    call(cmd, input) {
      const id = next++;
      ws.send(JSON.stringify({ id, cmd, input }));
      return new Promise((resolve, reject) => {
        pending.set(id, (r) => (r.ok ? resolve(r.value) : reject(new Error(`${cmd}: ${r.error.kind} ${r.error.message}`))));
      });
    },
    close: () => ws.close(),
  };
}

/** A peer who answers every direct message, and room messages that name them. */
function answerAs(peer: ProtocolAdapter, name: string, roomId: string | null): void {
  peer.onEvent((e) => {
    if (e.type === 'subscription.request') void peer.contacts?.respond(e.address, true);
    if (e.type !== 'message' || e.message.own || e.message.fromHistory) return;
    const { conversationId, text } = e.message;
    if (conversationId === roomId && !new RegExp(`\\b${name}\\b`, 'i').test(text)) return;
    void peer.typing?.set(conversationId, true);
    setTimeout(() => {
      void peer.send(conversationId, { clientTxnId: `${name}-${Date.now()}`, text: `Tack! Jag har läst: «${text.slice(0, 200)}» /${name}` });
    }, 900);
  });
}

/** Matrix too, when the Synapse virtualenv is installed (scripts/synapse/ensure-venv.sh). */
async function startMatrixPeer(): Promise<{ synapse: SynapseServer; sara: ProtocolAdapter } | null> {
  if (!existsSync(join(synapseVenv(), 'bin', 'python'))) {
    console.log('(Matrix skipped: run scripts/synapse/ensure-venv.sh once to include a local Synapse.)');
    return null;
  }
  console.log('Starting a local Synapse (Matrix) server…');
  const synapse = await startSynapse();
  await synapse.registerUser('alice', 'alice-demo');
  await synapse.registerUser('sara', 'sara-demo');
  const sara = createMatrixAdapter({ address: '@sara:localhost', serviceUrl: synapse.baseUrl, allowPlaintext: true }, { log: quiet, now: () => Date.now() });
  await sara.connect({ credentials: { kind: 'password', password: 'sara-demo' }, syncState: {} });
  answerAs(sara, 'Sara', null);
  return { synapse, sara };
}

async function main(): Promise<void> {
  console.log('Starting a local Prosody (XMPP) server…');
  const prosody = await startProsody();
  await prosody.register('alice', 'alice-demo');
  await prosody.register('bo', 'bo-demo');
  await prosody.register('carol', 'carol-demo');

  const ctx = { log: quiet, now: () => Date.now() };
  const mk = (user: string) => createXmppAdapter({ address: `${user}@${prosody.domain}`, serviceUrl: prosody.serviceUrl, allowPlaintext: true }, ctx);
  const bo = mk('bo');
  const carol = mk('carol');
  await bo.connect({ credentials: { kind: 'password', password: 'bo-demo' }, syncState: {} });
  await carol.connect({ credentials: { kind: 'password', password: 'carol-demo' }, syncState: {} });
  await bo.presence?.set('available', 'Handläggare, Skatteverket (demo)');
  await carol.presence?.set('dnd', 'I möte till 15:00');
  const room = await bo.rooms!.create({ name: 'Samverkansgruppen', members: [`alice@${prosody.domain}`, `carol@${prosody.domain}`] });
  await carol.rooms!.join(room.id);
  answerAs(bo, 'Bo', room.id);
  const matrix = await startMatrixPeer();

  console.log('Starting Samverka in web mode…');
  const app = await startWebApp();
  const api = await apiClient(app.url);
  await api.call('accounts:add', { protocol: 'xmpp', address: `alice@${prosody.domain}`, password: 'alice-demo', serviceUrl: prosody.serviceUrl, allowPlaintext: true });
  await api.call('room:join', { accountId: ((await api.call('app:snapshot', {})) as { accounts: { id: string }[] }).accounts[0]!.id, address: room.id });

  // Seed a little conversation so the inbox is not empty.
  await bo.contacts?.add(`alice@${prosody.domain}`, 'Alice');
  const boDm = await bo.direct!.open(`alice@${prosody.domain}`);
  await bo.send(boDm.id, { clientTxnId: `bo-hello-${Date.now()}`, text: 'Hej Alice! Välkommen till Samverka. Skriv något så svarar jag.' });
  await carol.send(room.id, { clientTxnId: `carol-hello-${Date.now()}`, text: 'Hej allihop, mötesanteckningarna från i går ligger i ärendet. Bo, kan du titta?' });
  if (matrix) {
    await api.call('accounts:add', { protocol: 'matrix', address: '@alice:localhost', password: 'alice-demo', serviceUrl: matrix.synapse.baseUrl, allowPlaintext: true });
    const dm = await matrix.sara.direct!.open('@alice:localhost');
    await matrix.sara.send(dm.id, { clientTxnId: `sara-hello-${Date.now()}`, text: 'Hej Alice, Sara här på Matrix. Skriv något så svarar jag.' });
  }

  console.log('\nSamverka demo is running.');
  console.log(`  Open: ${app.url}`);
  console.log(`  Signed in as alice@${prosody.domain}. Bo answers direct messages, and room messages that mention him.`);
  console.log(`  XMPP server: ${prosody.serviceUrl} (users alice / bo / carol, passwords <user>-demo)`);
  if (matrix) console.log(`  Matrix server: ${matrix.synapse.baseUrl} (users @alice / @sara :localhost; Sara answers direct messages)`);
  console.log('  Press Ctrl+C to stop.');

  const stop = async (): Promise<void> => {
    api.close();
    await Promise.allSettled([bo.disconnect(), carol.disconnect(), matrix?.sara.disconnect()]);
    await app.stop();
    await Promise.allSettled([prosody.dispose(), matrix?.synapse.dispose()]);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((e: unknown) => {
  console.error('The demo failed to start:', e instanceof Error ? e.message : e);
  process.exit(1);
});
