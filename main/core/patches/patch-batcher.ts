// Collects patches and hands them to listeners as one array at most every ~16 ms (one frame), so
// a burst of 10,000 incoming messages costs the renderer a few re-renders, not 10,000.
// Within a batch, later state for the same account/conversation/contact replaces earlier state,
// and new messages for one conversation are merged into one `messages` patch.
import type { Patch } from '../../../common/api';
import type { MessageView } from '../../../common/model';
import type { Scheduler, TimerHandle } from '../clock';
import type { CoreLogger } from '../clock';

export const PATCH_FLUSH_MS = 16;

type Listener = (patches: readonly Patch[]) => void;

export class PatchBatcher {
  private pending: (Patch | undefined)[] = [];
  /** Messages being merged per pending `messages` slot (materialised at flush). */
  private merged = new Map<number, Map<string, MessageView>>();
  /** key → index in `pending` of the patch later ones of the same key replace or merge into. */
  private slots = new Map<string, number>();
  private timer: TimerHandle | null = null;
  private readonly listeners = new Set<Listener>();

  constructor(
    private readonly scheduler: Scheduler,
    private readonly log: CoreLogger,
  ) {}

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  push(patch: Patch): void {
    switch (patch.type) {
      case 'account':
        this.replace(`a:${patch.account.id}`, patch);
        break;
      case 'conversation':
        this.replace(`c:${patch.conversation.id}`, patch);
        break;
      case 'contact':
        this.replace(`ct:${patch.contact.id}`, patch);
        break;
      case 'messages':
        this.mergeMessages(patch);
        break;
      case 'messages.removed':
        // Later upserts of the same conversation must come after this removal, not merge before it.
        this.slots.delete(`m:${patch.conversationId}`);
        this.pending.push(patch);
        break;
      case 'conversation.removed':
        this.slots.delete(`c:${patch.conversationId}`);
        this.slots.delete(`m:${patch.conversationId}`);
        this.pending.push(patch);
        break;
      case 'contact.removed':
        this.slots.delete(`ct:${patch.contactId}`);
        this.pending.push(patch);
        break;
      case 'account.removed':
        this.slots.delete(`a:${patch.accountId}`);
        this.pending.push(patch);
        break;
      default:
        this.pending.push(patch);
    }
    this.schedule();
  }

  /** Deliver whatever is pending now (used on close). */
  flush(): void {
    if (this.timer !== null) this.scheduler.clearTimeout(this.timer);
    this.timer = null;
    for (const [at, byId] of this.merged) {
      const p = this.pending[at];
      if (p?.type === 'messages') this.pending[at] = { type: 'messages', conversationId: p.conversationId, messages: [...byId.values()] };
    }
    const batch = this.pending.filter((p): p is Patch => p !== undefined);
    this.pending = [];
    this.slots.clear();
    this.merged.clear();
    if (batch.length === 0) return;
    for (const l of this.listeners) {
      try {
        l(batch);
      } catch (e) {
        this.log.error('patch listener threw', { error: String(e) });
      }
    }
  }

  private replace(key: string, patch: Patch): void {
    const at = this.slots.get(key);
    if (at !== undefined) this.pending[at] = undefined;
    this.slots.set(key, this.pending.length);
    this.pending.push(patch);
  }

  private mergeMessages(patch: Extract<Patch, { type: 'messages' }>): void {
    const key = `m:${patch.conversationId}`;
    const at = this.slots.get(key);
    if (at === undefined) {
      const byId = new Map<string, MessageView>();
      for (const m of patch.messages) byId.set(m.id, m);
      this.slots.set(key, this.pending.length);
      this.merged.set(this.pending.length, byId);
      this.pending.push(patch);
      return;
    }
    const byId = this.merged.get(at)!;
    for (const m of patch.messages) byId.set(m.id, m);
  }

  private schedule(): void {
    if (this.timer !== null) return;
    this.timer = this.scheduler.setTimeout(() => {
      this.timer = null;
      this.flush();
    }, PATCH_FLUSH_MS);
  }
}
