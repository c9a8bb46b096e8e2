// Capabilities from the server's client config (GET /api/v4/config/client?format=old).
import type { Capabilities } from '../../common/model';
import { NO_CAPABILITIES } from '../../common/model';

export function capabilitiesFrom(cfg: Record<string, unknown>): Capabilities {
  const max = Number(cfg.MaxFileSize);
  return {
    ...NO_CAPABILITIES,
    edit: true,
    delete: true,
    reactions: true,
    // Threads (root_id) are how Mattermost replies.
    replies: true,
    typing: cfg.EnableUserTypingMessages !== 'false',
    // We can mark channels read (view); Mattermost does not tell us when others read.
    receipts: true,
    upload: cfg.EnableFileAttachments !== 'false',
    maxUploadBytes: Number.isFinite(max) && max > 0 ? max : null,
    history: true,
    createRoom: true,
    presence: true,
    contacts: false,
    carbons: false,
    streamManagement: false,
    meetingDomain: null,
  };
}
