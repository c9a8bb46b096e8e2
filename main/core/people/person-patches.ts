// People change when their addresses do. Every such change already leaves the core as a patch:
// `contact` / `contact.removed` (roster, presence of a contact, requests answered), `conversation`
// / `conversation.removed` of a direct chat (presence of the peer, a chat started), `account` /
// `account.removed`. So the patch stream is the one place that sees them all, whichever code
// path (ingestor, command, account removal, presence reset on disconnect) caused them: this
// batcher notes the touched addresses as patches are pushed and adds the people's patches to
// the same batch when it flushes — one recomputation per person per frame, however many events.
import type { Patch } from '../../../common/api';
import type { CoreLogger, Scheduler } from '../clock';
import { PatchBatcher } from '../patches/patch-batcher';
import type { People } from './people';

/** `accountId:encodedAddress` (contact ids, conversation ids) → its parts; account ids have no ':'. */
function splitId(id: string): { accountId: string; address: string } | null {
  const colon = id.indexOf(':');
  if (colon <= 0) return null;
  try {
    return { accountId: id.slice(0, colon), address: decodeURIComponent(id.slice(colon + 1)) };
  } catch {
    return null;
  }
}

/** What of a direct chat a person shows: its peer, name and presence (not activity or unread). */
interface DirectChatSeen {
  readonly accountId: string;
  readonly address: string;
  readonly signature: string;
}

export class PersonPatchBatcher extends PatchBatcher {
  /**
   * Direct chats as last seen, by conversation id. Most conversation patches are new messages
   * (activity, preview, unread), which change no person: only a new chat, a new name or presence
   * is worth recomputing a person for (at 1,000 chats per ingest batch this matters).
   */
  private readonly directChats = new Map<string, DirectChatSeen>();

  constructor(
    scheduler: Scheduler,
    private readonly logger: CoreLogger,
    private readonly people: People,
  ) {
    super(scheduler, logger);
    // A command changed people without any other patch: send them in the next batch.
    people.onChange(() => this.pushPeople());
  }

  override push(patch: Patch): void {
    super.push(patch);
    switch (patch.type) {
      case 'contact':
        this.people.touch(patch.contact.accountId, patch.contact.address);
        break;
      case 'conversation': {
        const c = patch.conversation;
        if (c.kind !== 'direct') break;
        const signature = `${c.address}\n${c.title}\n${c.presence ?? ''}`;
        if (this.directChats.get(c.id)?.signature === signature) break;
        this.directChats.set(c.id, { accountId: c.accountId, address: c.address, signature });
        this.people.touch(c.accountId, c.address);
        break;
      }
      case 'conversation.removed': {
        // The chat's id may be a room id; the person is found by the peer address seen before.
        const seen = this.directChats.get(patch.conversationId);
        this.directChats.delete(patch.conversationId);
        const parts = seen ?? splitId(patch.conversationId);
        if (parts) this.people.touch(parts.accountId, parts.address);
        break;
      }
      case 'contact.removed': {
        const parts = splitId(patch.contactId);
        if (parts) this.people.touch(parts.accountId, parts.address);
        break;
      }
      case 'account':
        this.people.touchAccounts(false);
        break;
      case 'account.removed':
        this.people.touchAccounts(true);
        break;
      default:
        break;
    }
  }

  override flush(): void {
    this.pushPeople();
    super.flush();
  }

  private pushPeople(): void {
    let people: Patch[] = [];
    try {
      people = this.people.takePatches();
    } catch (e) {
      // The profile may be closing; the other patches still go out.
      this.logger.error('building people patches failed', { error: String(e) });
    }
    for (const p of people) super.push(p);
  }
}
