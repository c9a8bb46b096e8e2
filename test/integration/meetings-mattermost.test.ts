// Issue 5 on Mattermost: a call started from our client is the Jitsi plugin's `custom_jitsi` post
// (stored with its type and props by the server), and a second, independent client of ours shows
// it as a Jitsi meeting with the same link; Mattermost Calls posts become a card without a link,
// and a plugin post whose link is not https is not offered as a meeting at all.
import { describe, expect, it } from 'vitest';
import { addUser, useMattermostServer } from '../servers/mattermost/harness';
import type { AdapterEvent, CallInvite, MessageInfo } from '../../protocols/contract';

const mm = useMattermostServer();

type Msg = Extract<AdapterEvent, { type: 'message' }>;
const isMsg = (e: AdapterEvent): e is Msg => e.type === 'message';

const call: CallInvite = { url: 'https://meet.example.org/SamverkaQx7Lw2Rk9Vb4Tn8Mz3Pc', domain: 'meet.example.org', room: 'SamverkaQx7Lw2Rk9Vb4Tn8Mz3Pc', title: 'Sprint review', video: true };

async function pair(): Promise<{ a: Awaited<ReturnType<typeof mm.connect>>; b: Awaited<ReturnType<typeof mm.connect>>; dm: string; aId: string }> {
  const ua = addUser(mm.srv, 'meeta');
  const ub = addUser(mm.srv, 'meetb');
  const dm = mm.srv.directChannel(ua.id, ub.id).id;
  const [a, b] = await Promise.all([mm.connect(ua), mm.connect(ub)]);
  return { a, b, dm, aId: ua.id };
}

describe('mattermost meetings', () => {
  it('posts a custom_jitsi post with the plugin props; the peer shows it as a Jitsi meeting with the same link', async () => {
    const { a, b, dm } = await pair();
    const { joinUrl } = await a.adapter.meetings!.invite!(dm, call);
    expect(joinUrl).toBe(call.url);
    const stored = [...mm.srv.state.posts.values()].filter((p) => p.channel_id === dm).at(-1)!;
    expect(stored.type).toBe('custom_jitsi');
    expect(stored.props).toMatchObject({
      meeting_id: call.room, meeting_link: call.url, jwt_meeting: false, meeting_personal: false,
      meeting_topic: 'Sprint review', default_meeting_topic: 'Jitsi Meeting',
    });
    // Clients without the plugin still see a link to click.
    expect(stored.message).toContain(call.url);
    const got = (await b.rec.waitFor((e): e is Msg => isMsg(e) && e.message.id === stored.id, 5000, 'jitsi post at the peer')).message;
    expect(got.meeting).toEqual({ system: 'Jitsi', url: call.url, title: 'Sprint review' });
    expect(got.own).toBe(false);
  });

  it('joins JWT meetings with the token the plugin keeps apart, and recognises the plugin post from history', async () => {
    const { b, dm, aId } = await pair();
    const post = mm.srv.post(aId, dm, '', {
      type: 'custom_jitsi',
      props: { meeting_id: 'Team42', meeting_link: 'https://jitsi.example.org/Team42', jwt_meeting: true, meeting_jwt: 'eyJ.tok.en', meeting_topic: '' },
    });
    const live = (await b.rec.waitFor((e): e is Msg => isMsg(e) && e.message.id === post.id, 5000, 'plugin post')).message;
    expect(live.meeting).toEqual({ system: 'Jitsi', url: 'https://jitsi.example.org/Team42?jwt=eyJ.tok.en' });
    // The plugin posts no text: previews still say what it is.
    expect(live.text).toContain('https://jitsi.example.org/Team42');
    const page = await b.adapter.getHistory(dm, { limit: 10 });
    expect(page.messages.find((m: MessageInfo) => m.id === post.id)?.meeting?.url).toBe('https://jitsi.example.org/Team42?jwt=eyJ.tok.en');
  });

  it('shows Mattermost Calls posts as a call without a link', async () => {
    const { b, dm, aId } = await pair();
    const post = mm.srv.post(aId, dm, '', { type: 'custom_calls', props: { start_at: Date.now(), title: 'Standup' } });
    const got = (await b.rec.waitFor((e): e is Msg => isMsg(e) && e.message.id === post.id, 5000, 'calls post')).message;
    expect(got.meeting).toEqual({ system: 'Mattermost Calls', title: 'Standup' });
  });

  it('offers no meeting for a plugin post whose link is javascript:, http or carries credentials', async () => {
    const { b, dm, aId } = await pair();
    const bad = ['javascript:alert(document.cookie)', 'http://meet.example.org/Plain', 'https://admin:pw@meet.example.org/Room'];
    const ids = bad.map((link, i) => mm.srv.post(aId, dm, `hostile ${i}`, { type: 'custom_jitsi', props: { meeting_id: 'x', meeting_link: link } }).id);
    for (const id of ids) {
      const got = (await b.rec.waitFor((e): e is Msg => isMsg(e) && e.message.id === id, 5000, 'hostile post')).message;
      expect(got.meeting).toBeUndefined();
      expect(got.text).toMatch(/^hostile/);
    }
  });

  it('the server refuses system_ post types from clients, as the real one does', async () => {
    const { a, dm } = await pair();
    // What makes custom_jitsi the right choice: plugin types are open to clients, system ones are not.
    const res = await fetch(`${mm.srv.baseUrl}/api/v4/posts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${mm.srv.createPat(a.user.id)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channel_id: dm, message: 'x', type: 'system_join_channel' }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { id: string }).id).toBe('api.context.invalid_param.app_error');
  });
});
