// Starting calls from the core: which meeting server, an unguessable room, the invitation through
// the adapter (or a plain link where it has none), and links in incoming messages as Join cards.
import { afterEach, describe, expect, it } from 'vitest';
import { conversationIdFor } from '../../../main/core/ids';
import { loadPolicy, policyPath } from '../../../main/shared/policy';
import type { CallInvite } from '../../../protocols/contract';
import { fakeAdapterFactory, FakeServer } from '../../helpers/fake-adapter';
import { ALICE, cleanupDirs, connectedCore, openCore, PASSWORD, tempDir, waitFor } from './harness';

afterEach(cleanupDirs);
const BOB = 'bob@example.test';

describe('starting a call', () => {
  it('has no public default: without policy, setting or .well-known the user is told why', async () => {
    const { h, accountId } = await connectedCore();
    const err = await h.fail('call:start', { conversationId: conversationIdFor(accountId, BOB) });
    expect(err).toMatchObject({ kind: 'unsupported' });
    expect(err.message).toMatch(/No meeting server is configured/u);
    await h.core.close();
  });

  it('uses the server the account advertises, an unguessable room each time, and invites natively', async () => {
    const { h, server, accountId } = await connectedCore(new FakeServer({ capabilities: { meetingDomain: 'meet.agency.se' } }));
    const conv = conversationIdFor(accountId, BOB);
    const a = await h.call('call:start', { conversationId: conv });
    const b = await h.call('call:start', { conversationId: conv, video: false });
    expect(a.url).toMatch(/^https:\/\/meet\.agency\.se\/Samverka[a-z2-7]{32}$/u);
    expect(a.openIn).toBe('window');
    expect(b.url).not.toBe(a.url);
    const invites = server.callsTo('meetings.invite') as [string, CallInvite][];
    expect(invites.map(([c, call]) => [c, call.url, call.domain, call.video])).toEqual([[BOB, a.url, 'meet.agency.se', true], [BOB, b.url, 'meet.agency.se', false]]);
    expect(invites[0]![1].url).toBe(`https://meet.agency.se/${invites[0]![1].room}`);
    await h.core.close();
  });

  it('the account setting beats .well-known, policy beats both, and a token-only server is refused clearly', async () => {
    const server = new FakeServer({ capabilities: { meetingDomain: 'meet.agency.se' } }).addUser(ALICE, PASSWORD);
    server.addConversation({ id: BOB, kind: 'direct', title: 'Bob', isPrivate: false });
    const dir = tempDir();
    let h = openCore(dir, { xmpp: fakeAdapterFactory(server) });
    const acc = await h.call('accounts:add', { protocol: 'xmpp', address: ALICE, password: PASSWORD });
    const conv = conversationIdFor(acc.id, BOB);
    expect(await h.fail('accounts:setMeetingServer', { accountId: acc.id, domain: 'https://evil/x' })).toMatchObject({ kind: 'invalid_input' });
    await h.call('accounts:setMeetingServer', { accountId: acc.id, domain: 'jitsi.team.se' });
    expect((await h.call('call:start', { conversationId: conv })).url).toMatch(/^https:\/\/jitsi\.team\.se\//u);
    await h.call('accounts:setMeetingServer', { accountId: acc.id, domain: 'secure.team.se', requiresToken: true });
    expect(await h.fail('call:start', { conversationId: conv })).toMatchObject({ kind: 'forbidden', message: expect.stringMatching(/sign-in token \(JWT\)/u) });
    // With the organisation's token service the caller goes in through it (in the browser, for
    // its sign-in); the invitation still carries the plain meeting address.
    expect(await h.fail('accounts:setMeetingServer', { accountId: acc.id, domain: 'secure.team.se', requiresToken: true, tokenIssuer: 'http://auth.team.se/{room}' })).toMatchObject({ kind: 'invalid_input' });
    expect(await h.fail('accounts:setMeetingServer', { accountId: acc.id, domain: 'secure.team.se', requiresToken: true, tokenIssuer: 'https://auth.team.se/jitsi' })).toMatchObject({ kind: 'invalid_input' });
    await h.call('accounts:setMeetingServer', { accountId: acc.id, domain: 'secure.team.se', requiresToken: true, tokenIssuer: 'https://auth.team.se/jitsi/{room}?next=1' });
    const viaIssuer = await h.call('call:start', { conversationId: conv });
    expect(viaIssuer.openIn).toBe('browser');
    const room = /^https:\/\/auth\.team\.se\/jitsi\/(Samverka[a-z2-7]{32})\?next=1$/u.exec(viaIssuer.url)?.[1];
    expect(room).toBeDefined();
    const invited = (server.callsTo('meetings.invite') as [string, CallInvite][]).at(-1)![1];
    expect(invited.url).toBe(`https://secure.team.se/${room}`);
    await h.core.close();

    // IT's policy wins (the same profile, started with a policy).
    h = openCore(dir, { xmpp: fakeAdapterFactory(server) }, { policy: { meetingServer: { domain: 'meet.myndighet.se', requiresToken: false } } });
    await waitFor(async () => (await h.call('app:snapshot', {})).accounts[0]?.state === 'connected');
    expect((await h.call('call:start', { conversationId: conv })).url).toMatch(/^https:\/\/meet\.myndighet\.se\//u);
    await h.core.close();
  });

  it('without a native invitation the link goes out as an ordinary message, shown as a Join card', async () => {
    const { h, server, accountId } = await connectedCore(new FakeServer({ capabilities: { meetingDomain: 'meet.agency.se' }, without: ['meetings'] }));
    const conv = conversationIdFor(accountId, BOB);
    const { url } = await h.call('call:start', { conversationId: conv });
    await waitFor(() => server.sent.length === 1);
    expect(server.sent[0]!.message.text).toContain(url);
    const [mine] = (await h.call('history:load', { conversationId: conv })).messages;
    expect(mine!.meeting).toEqual({ system: 'Jitsi', title: null, url });
    await h.core.close();
  });
});

describe('meeting links in incoming messages', () => {
  it('become Join cards for known systems and never for look-alikes', async () => {
    const { h, server, accountId } = await connectedCore(new FakeServer({ capabilities: { meetingDomain: 'meet.agency.se' } }));
    const conv = conversationIdFor(accountId, BOB);
    server.inject(BOB, { text: 'Möte: https://meet.agency.se/Styrgrupp2026', ts: 1 });
    server.inject(BOB, { text: 'Zoom: https://us02web.zoom.us/j/85512345678?pwd=x', ts: 2 });
    server.inject(BOB, { text: 'Fake: https://zoom.us.evil.example/j/85512345678', ts: 3 });
    server.inject(BOB, { text: 'Other Jitsi host: https://meet.other.example/Room42', ts: 4 });
    await waitFor(async () => (await h.call('history:load', { conversationId: conv })).messages.length === 4);
    const meetings = (await h.call('history:load', { conversationId: conv })).messages.map((m) => m.meeting?.system ?? null);
    expect(meetings).toEqual(['Jitsi', 'Zoom', null, null]);
    await h.core.close();
  });
});

describe('one card per call', () => {
  it('a link that repeats a call just announced natively (Matrix widget + text) gets no second card', async () => {
    const { h, server, accountId } = await connectedCore(new FakeServer({ capabilities: { meetingDomain: 'meet.agency.se' } }));
    const conv = conversationIdFor(accountId, BOB);
    const url = 'https://meet.agency.se/SamverkaWidgetRoom123';
    server.inject(BOB, { text: '', ts: 10_000, meeting: { system: 'Jitsi', url } });
    server.inject(BOB, { text: `📹 Join the call: ${url}`, ts: 10_500 });
    server.inject(BOB, { text: `Same link next day: ${url}`, ts: 10_000 + 86_400_000 });
    await waitFor(async () => (await h.call('history:load', { conversationId: conv })).messages.length === 3);
    expect((await h.call('history:load', { conversationId: conv })).messages.map((m) => m.meeting?.url ?? null)).toEqual([url, null, url]);
    await h.core.close();
  });
});

describe('policy file', () => {
  it('reads the meeting server, ignores a broken file with a warning, and knows where to look', () => {
    const warnings: string[] = [];
    expect(loadPolicy('/p', (m) => warnings.push(m), () => '{"meetingServer":{"domain":"meet.myndighet.se"}}')).toEqual({ meetingServer: { domain: 'meet.myndighet.se', requiresToken: false } });
    expect(loadPolicy('/p', (m) => warnings.push(m), () => '{"internalDomains":["agency.se","regionen.se"]}')).toEqual({ internalDomains: ['agency.se', 'regionen.se'] });
    expect(loadPolicy('/p', (m) => warnings.push(m), () => '{"meetingServer":{"domain":"meet.x.se","requiresToken":true,"tokenIssuer":"https://auth.x.se/{room}"}}'))
      .toEqual({ meetingServer: { domain: 'meet.x.se', requiresToken: true, tokenIssuer: 'https://auth.x.se/{room}' } });
    expect(loadPolicy('/p', (m) => warnings.push(m), () => '{"meetingServer":{"domain":"https://x"}}')).toEqual({});
    expect(loadPolicy('/p', (m) => warnings.push(m), () => 'not json')).toEqual({});
    expect(warnings).toHaveLength(2);
    expect(loadPolicy('/none', (m) => warnings.push(m), () => { throw Object.assign(new Error('no'), { code: 'ENOENT' }); })).toEqual({});
    expect(warnings).toHaveLength(2);
    expect(policyPath({}, 'linux')).toBe('/etc/samverka/policy.json');
    expect(policyPath({ SAMVERKA_POLICY: '/tmp/p.json' }, 'win32')).toBe('/tmp/p.json');
  });
});
