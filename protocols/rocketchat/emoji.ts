// Rocket.Chat reacts with `:shortcode:` keys (emojione/joypixels names); the app shows Unicode.
// The common ones map both ways; an unknown shortcode stays `:name:` (custom emoji) and an
// unknown Unicode emoji cannot be sent (the server accepts only names it knows).
const PAIRS: readonly (readonly [string, string])[] = [
  ['thumbsup', '👍'], ['+1', '👍'], ['thumbsdown', '👎'], ['-1', '👎'], ['heart', '❤️'], ['smile', '😄'],
  ['smiley', '😃'], ['grinning', '😀'], ['joy', '😂'], ['rofl', '🤣'], ['laughing', '😆'], ['wink', '😉'],
  ['slight_smile', '🙂'], ['blush', '😊'], ['heart_eyes', '😍'], ['thinking', '🤔'], ['confused', '😕'],
  ['cry', '😢'], ['sob', '😭'], ['scream', '😱'], ['sunglasses', '😎'], ['tada', '🎉'], ['clap', '👏'],
  ['pray', '🙏'], ['ok_hand', '👌'], ['wave', '👋'], ['muscle', '💪'], ['raised_hands', '🙌'], ['eyes', '👀'],
  ['fire', '🔥'], ['rocket', '🚀'], ['star', '⭐'], ['100', '💯'], ['white_check_mark', '✅'],
  ['heavy_check_mark', '✔️'], ['x', '❌'], ['warning', '⚠️'], ['question', '❓'], ['exclamation', '❗'],
  ['partying_face', '🥳'], ['coffee', '☕'], ['point_up', '☝️'], ['see_no_evil', '🙈'],
];

const TO_UNICODE = new Map<string, string>(PAIRS);
// The first name listed wins for the reverse direction (thumbsup rather than +1).
const TO_NAME = new Map<string, string>();
for (const [name, uni] of PAIRS) {
  if (!TO_NAME.has(uni)) TO_NAME.set(uni, name);
  const bare = uni.replace(/\uFE0F/g, '');
  if (!TO_NAME.has(bare)) TO_NAME.set(bare, name);
}

/** `:thumbsup:` → 👍; unknown names stay as given. */
export function reactionKeyFromRc(key: string): string {
  const name = /^:([^:\s]+):$/.exec(key)?.[1];
  return (name && TO_UNICODE.get(name)) ?? key;
}

/** 👍 → `:thumbsup:`; `:custom:` passes through; null when there is no name for it. */
export function reactionKeyToRc(key: string): string | null {
  if (/^:[^:\s]+:$/.test(key)) return key;
  const name = TO_NAME.get(key) ?? TO_NAME.get(key.replace(/\uFE0F/g, ''));
  return name ? `:${name}:` : null;
}
