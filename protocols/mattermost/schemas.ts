// Runtime checks for what the server sends, limited to the fields the adapter reads. Anything
// else may be present or missing (servers add fields every release). A payload that fails here is
// reported (REST: AppError invalid_input, WebSocket: a `malformed` event) and dropped, so a
// broken or hostile server cannot crash the adapter or smuggle wrong types into the core.
import { z } from 'zod';

const str = z.string();
const num = z.number();

export const FileInfoSchema = z.object({ id: str, name: str, mime_type: str.catch('application/octet-stream'), size: num.catch(0) });
export const ReactionSchema = z.object({ user_id: str, post_id: str, emoji_name: str, create_at: num.catch(0) });

export const PostSchema = z.object({
  id: str,
  channel_id: str,
  user_id: str,
  create_at: num,
  update_at: num,
  edit_at: num.catch(0),
  delete_at: num.catch(0),
  root_id: str.catch(''),
  message: str.catch(''),
  type: str.catch(''),
  pending_post_id: str.catch(''),
  // Plugin posts (custom_jitsi, custom_calls) carry their data here; anything but an object is dropped.
  props: z.record(str, z.unknown()).optional().catch(undefined),
  file_ids: z.array(str).optional(),
  metadata: z.object({ files: z.array(FileInfoSchema).optional(), reactions: z.array(ReactionSchema).optional() }).partial().optional().catch(undefined),
});
export type MmPost = z.infer<typeof PostSchema>;

export const PostListSchema = z.object({ order: z.array(str), posts: z.record(str, PostSchema), prev_post_id: str.catch('') });

export const ChannelSchema = z.object({
  id: str,
  team_id: str.catch(''),
  type: z.enum(['O', 'P', 'D', 'G']),
  display_name: str.catch(''),
  name: str,
  create_at: num.catch(0),
  last_post_at: num.catch(0),
  delete_at: num.catch(0),
});
export type MmChannel = z.infer<typeof ChannelSchema>;

export const TeamSchema = z.object({ id: str, name: str, display_name: str.catch('') });
export type MmTeam = z.infer<typeof TeamSchema>;

export const UserSchema = z.object({
  id: str,
  username: str,
  first_name: str.catch(''),
  last_name: str.catch(''),
  nickname: str.catch(''),
  delete_at: num.catch(0),
  props: z.record(str, z.unknown()).catch({}).optional(),
});
export type MmUser = z.infer<typeof UserSchema>;

export const StatusSchema = z.object({ user_id: str, status: str });
export const MemberSchema = z.object({ user_id: str, channel_id: str, roles: str.catch('') });
export const ClientConfigSchema = z.record(str, z.unknown());

export const WsFrameSchema = z.union([
  z.object({ event: str, data: z.record(str, z.unknown()).catch({}), broadcast: z.object({ channel_id: str.catch(''), user_id: str.catch('') }).partial().catch({}), seq: num }),
  z.object({ seq_reply: num, status: str, error: z.unknown().optional(), data: z.unknown().optional() }),
]);
export type WsFrame = z.infer<typeof WsFrameSchema>;

/** Parse or throw a short, readable reason (the caller decides how to report it). */
export function check<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new SchemaError(`${what}: ${r.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return r.data;
}

export class SchemaError extends Error {
  override readonly name = 'SchemaError';
}

/** `data.post`, `data.reaction` …: JSON *strings* inside a WebSocket event. */
export function parseJsonString(v: unknown, what: string): unknown {
  if (typeof v !== 'string') throw new SchemaError(`${what}: not a string`);
  try {
    return JSON.parse(v) as unknown;
  } catch {
    throw new SchemaError(`${what}: not JSON`);
  }
}
