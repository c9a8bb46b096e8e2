// Who is typing where. XMPP and Mattermost only announce starts (and not always stops), so every
// entry expires after a TTL; the tracker reports each change so the inbox row can be re-sent.
import type { Scheduler, TimerHandle } from '../clock';

export const TYPING_TTL_MS = 30_000;

export class TypingTracker {
  /** conversation id → sender id → expiry time */
  private readonly typers = new Map<string, Map<string, number>>();
  private timer: TimerHandle | null = null;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly onChange: (conversationId: string) => void,
    private readonly ttlMs = TYPING_TTL_MS,
  ) {}

  /** Returns true if the visible set changed. */
  set(conversationId: string, senderId: string, typing: boolean): boolean {
    let m = this.typers.get(conversationId);
    if (typing) {
      if (!m) this.typers.set(conversationId, (m = new Map()));
      const was = m.has(senderId);
      m.set(senderId, this.scheduler.now() + this.ttlMs);
      this.arm();
      return !was;
    }
    if (!m?.delete(senderId)) return false;
    if (m.size === 0) this.typers.delete(conversationId);
    return true;
  }

  /** A message from someone ends their typing. */
  clear(conversationId: string, senderId: string): boolean {
    return this.set(conversationId, senderId, false);
  }

  forget(conversationId: string): void {
    this.typers.delete(conversationId);
  }

  get(conversationId: string): string[] {
    return [...(this.typers.get(conversationId)?.keys() ?? [])];
  }

  dispose(): void {
    if (this.timer !== null) this.scheduler.clearTimeout(this.timer);
    this.timer = null;
    this.typers.clear();
  }

  private arm(): void {
    if (this.timer !== null) return;
    let next = Infinity;
    for (const m of this.typers.values()) for (const t of m.values()) next = Math.min(next, t);
    if (next === Infinity) return;
    this.timer = this.scheduler.setTimeout(() => {
      this.timer = null;
      this.expire();
    }, Math.max(0, next - this.scheduler.now()));
  }

  private expire(): void {
    const now = this.scheduler.now();
    for (const [conv, m] of [...this.typers]) {
      let changed = false;
      for (const [sender, until] of [...m]) {
        if (until <= now) {
          m.delete(sender);
          changed = true;
        }
      }
      if (m.size === 0) this.typers.delete(conv);
      if (changed) this.onChange(conv);
    }
    this.arm();
  }
}
