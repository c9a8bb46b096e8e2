// Identifiers that cross the API boundary. They are opaque strings made by the core; the renderer
// never parses them. Conversation and message ids are unique across all accounts.
export type AccountId = string;
export type ConversationId = string;
export type MessageId = string;

export const PROTOCOLS = ['xmpp', 'matrix', 'mattermost', 'rocketchat'] as const;
export type ProtocolId = (typeof PROTOCOLS)[number];
