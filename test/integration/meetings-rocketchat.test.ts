// Issue 5 on Rocket.Chat: a call started from our client is the server's own video conference
// (t:'videoconf') when a provider app is installed, and a second, independent client of ours
// shows it as a joinable meeting with the same link; without a provider it is a plain message.
import { describe, expect, it } from 'vitest';
import type { CallInvite } from '../../protocols/contract';
import { useRocketChatServer } from '../servers/rocketchat/clients';
import type { MessageEvent, RcClient } from '../servers/rocketchat/clients';

const rc = useRocketChatServer();
let n = 0;

async function pair(): Promise<{ a: RcClient; b: RcClient; dm: string }> {
  const an = `mona${n}`;
  const bn = `mika${n++}`;
  rc.srv.createUser(an);
  rc.srv.createUser(bn);
  const a = rc.client(an);
  const b = rc.client(bn);
  await Promise.all([a.connect(), b.connect()]);
  const dm = (await a.adapter.direct!.open(b.address)).id;
  return { a, b, dm };
}

const call: CallInvite = { url: 'https://meet.example.org/SamverkaQx7Lw2Rk9Vb4Tn8Mz3Pc', domain: 'meet.example.org', room: 'SamverkaQx7Lw2Rk9Vb4Tn8Mz3Pc', title: 'Planning', video: true };

describe('rocketchat meetings', () => {
  it('starts the server video conference; the peer gets a videoconf message it shows as a meeting with the join link', async () => {
    rc.srv.setVideoConfProvider('jitsi');
    const { a, b, dm } = await pair();
    const { joinUrl } = await a.adapter.meetings!.invite!(dm, call);
    // The caller joins the server's conference, not the link the core proposed.
    expect(joinUrl).toMatch(/^https:\/\/meet\.example\.invalid\/RocketChat/);
    const wire = rc.srv.messages(dm).at(-1)!;
    expect(wire.t).toBe('videoconf');
    const callId = (wire.blocks as { type: string; callId: string }[] | undefined)?.find((x) => x.type === 'video_conf')?.callId;
    expect(callId).toBeTruthy();
    expect(joinUrl).toBe(`https://meet.example.invalid/RocketChat${callId}`);
    const ev = (await b.rec.waitFor((e) => e.type === 'message' && e.message.refs.callId === callId, 5000, 'videoconf at the peer')) as MessageEvent;
    expect(ev.message.meeting).toEqual({ system: 'Rocket.Chat', url: joinUrl });
    expect(await b.adapter.meetings!.joinUrl!(dm, { id: ev.message.id, refs: ev.message.refs })).toBe(joinUrl);
  });

  it('without a provider app it sends the link as a message the peer can click', async () => {
    rc.srv.setVideoConfProvider(null);
    try {
      const { a, b, dm } = await pair();
      const { joinUrl } = await a.adapter.meetings!.invite!(dm, call);
      expect(joinUrl).toBe(call.url);
      const wire = rc.srv.messages(dm).at(-1)!;
      expect(wire.t).toBeUndefined();
      expect(wire.msg).toContain(call.url);
      const ev = (await b.rec.waitFor((e) => e.type === 'message' && e.message.text.includes(call.url), 5000, 'link at the peer')) as MessageEvent;
      expect(ev.message.text).toContain('Planning');
      expect(ev.message.own).toBe(false);
    } finally {
      rc.srv.setVideoConfProvider('jitsi');
    }
  });
});
