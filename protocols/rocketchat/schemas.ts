// Narrow zod schemas for the Rocket.Chat payloads the adapter reads. Only the fields we use are
// checked; everything else passes through untouched (z.looseObject), so new server fields never
// break us. Dates come as ISO strings over REST and as EJSON {$date: ms} over DDP.
import { z } from 'zod';

/** Epoch ms from either date encoding. */
export const rcDate = z.union([
  z.string().transform((s, ctx) => {
    const t = Date.parse(s);
    if (Number.isNaN(t)) {
      ctx.addIssue({ code: 'custom', message: 'bad date' });
      return z.NEVER;
    }
    return t;
  }),
  z.object({ $date: z.number() }).transform((d) => d.$date),
  z.number(),
]);

const userRef = z.looseObject({ _id: z.string(), username: z.string().optional(), name: z.string().nullish() });

export const fileProp = z.looseObject({ _id: z.string(), name: z.string().optional(), type: z.string().optional(), size: z.number().optional() });

export const rcMessage = z.looseObject({
  _id: z.string().min(1),
  rid: z.string().min(1),
  msg: z.string().default(''),
  ts: rcDate,
  _updatedAt: rcDate.optional(),
  u: userRef,
  t: z.string().optional(),
  tmid: z.string().optional(),
  editedAt: rcDate.optional(),
  mentions: z.array(z.looseObject({ _id: z.string(), username: z.string().optional(), name: z.string().nullish(), type: z.string().optional() })).optional(),
  reactions: z.record(z.string(), z.looseObject({ usernames: z.array(z.string()) })).optional(),
  file: fileProp.optional(),
  files: z.array(fileProp).optional(),
  blocks: z.array(z.looseObject({ type: z.string(), callId: z.string().optional() })).optional(),
  e2e: z.string().optional(),
  _hidden: z.boolean().optional(),
});
export type RcMessage = z.infer<typeof rcMessage>;

export const rcRoom = z.looseObject({
  _id: z.string().min(1),
  t: z.string(),
  name: z.string().nullish(),
  fname: z.string().nullish(),
  u: userRef.optional(),
  lm: rcDate.optional(),
  _updatedAt: rcDate.optional(),
  usernames: z.array(z.string()).optional(),
  uids: z.array(z.string()).optional(),
  encrypted: z.boolean().optional(),
});
export type RcRoom = z.infer<typeof rcRoom>;

export const rcSubscription = z.looseObject({
  _id: z.string(),
  rid: z.string().min(1),
  t: z.string(),
  name: z.string().nullish(),
  fname: z.string().nullish(),
  unread: z.number().optional(),
  _updatedAt: rcDate.optional(),
});
export type RcSubscription = z.infer<typeof rcSubscription>;

export const loginResponse = z.looseObject({
  data: z.looseObject({ userId: z.string(), authToken: z.string(), me: z.looseObject({ username: z.string(), name: z.string().nullish() }) }),
});

export const meResponse = z.looseObject({ _id: z.string(), username: z.string(), name: z.string().nullish() });

export const roomsGet = z.looseObject({ update: z.array(rcRoom), remove: z.array(z.looseObject({ _id: z.string() })).default([]) });
export const subscriptionsGet = z.looseObject({ update: z.array(rcSubscription), remove: z.array(z.looseObject({ _id: z.string() })).default([]) });
export const messageResponse = z.looseObject({ message: rcMessage });
export const historyResponse = z.looseObject({ messages: z.array(z.unknown()) });
export const syncResponse = z.looseObject({
  result: z.looseObject({
    updated: z.array(z.unknown()).default([]),
    deleted: z.array(z.looseObject({ _id: z.string() })).default([]),
  }),
});
export const membersResponse = z.looseObject({
  members: z.array(z.looseObject({ _id: z.string(), username: z.string(), name: z.string().nullish(), status: z.string().optional() })),
});
export const imCreateResponse = z.looseObject({ room: rcRoom.extend({ rid: z.string().optional() }) });
export const groupResponse = z.looseObject({ group: rcRoom });
export const channelResponse = z.looseObject({ channel: rcRoom });
export const settingsPublic = z.looseObject({ settings: z.array(z.looseObject({ _id: z.string(), value: z.unknown() })) });
export const mediaResponse = z.looseObject({ file: z.looseObject({ _id: z.string(), url: z.string().optional() }) });
export const videoConfJoin = z.looseObject({ url: z.string().optional(), providerName: z.string().optional() });
export const videoConfCapabilities = z.looseObject({ providerName: z.string().optional() });
export const videoConfStart = z.looseObject({ data: z.looseObject({ callId: z.string() }) });
export const videoConfInfo = z.looseObject({ callId: z.string().optional(), _id: z.string().optional(), url: z.string().optional(), status: z.number().optional(), title: z.string().optional() });
export const oauthSettings = z.looseObject({
  services: z.array(z.looseObject({
    service: z.string(), clientId: z.string().optional(), custom: z.boolean().optional(), serverURL: z.string().optional(),
    authorizePath: z.string().optional(), scope: z.string().optional(), buttonLabelText: z.string().optional(),
  })),
});
export const usersInfo = z.looseObject({ user: z.looseObject({ _id: z.string(), username: z.string() }) });
export const anyOk = z.looseObject({});

/** notify-logged user-status entry: [uid, username, status 0-3, statusText?, name?, roles?]. */
export const userStatusEntry = z.tuple([z.string(), z.string(), z.number()]).rest(z.unknown());
