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

export class PersonPatchBatcher extends PatchBatcher {
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
      case 'conversation':
        if (patch.conversation.kind === 'direct') this.people.touch(patch.conversation.accountId, patch.conversation.address);
        break;
      case 'contact.removed':
      case 'conversation.removed': {
        const parts = splitId(patch.type === 'contact.removed' ? patch.contactId : patch.conversationId);
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
