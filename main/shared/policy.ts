// Central configuration by the organisation's IT: a JSON policy file the user cannot change
// (requirements: "central configuration by IT"). Read once at start; a file that exists but is
// broken stops nothing — it is reported and ignored, so a typo by IT never locks users out.
//
// Location: $SAMVERKA_POLICY if set, else /etc/samverka/policy.json (Linux),
// /Library/Application Support/Samverka/policy.json (macOS), %ProgramData%\Samverka\policy.json
// (Windows). Example:
//   { "meetingServer": { "domain": "meet.agency.se", "requiresToken": false },
//     "internalDomains": ["agency.se", "regionen.se"] }
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

const policySchema = z.object({
  meetingServer: z.object({
    domain: z.string().regex(/^[a-z0-9.-]{1,253}(:\d{1,5})?$/u),
    requiresToken: z.boolean().default(false),
    /** https URL template with {room}: the organisation's JWT service for a token-only server. */
    tokenIssuer: z.string().regex(/^https:\/\/\S+\{room\}\S*$/u).optional(),
  }).optional(),
  /** The organisation's own domains: people on them are shown as internal. */
  internalDomains: z.array(z.string().regex(/^[a-z0-9.-]{1,253}$/u)).max(100).optional(),
}).strict();

export interface Policy {
  readonly meetingServer?: { readonly domain: string; readonly requiresToken: boolean; readonly tokenIssuer?: string };
  readonly internalDomains?: readonly string[];
}

export function policyPath(env: Readonly<Record<string, string | undefined>>, platform: NodeJS.Platform): string {
  if (env.SAMVERKA_POLICY) return env.SAMVERKA_POLICY;
  if (platform === 'win32') return join(env.ProgramData ?? 'C:\\ProgramData', 'Samverka', 'policy.json');
  if (platform === 'darwin') return '/Library/Application Support/Samverka/policy.json';
  return '/etc/samverka/policy.json';
}

/** The policy, or {} when there is none; `warn` hears about a file that cannot be used. */
export function loadPolicy(path: string, warn: (msg: string) => void, read: (p: string) => string = (p) => readFileSync(p, 'utf8')): Policy {
  let text: string;
  try {
    text = read(path);
  } catch (e) {
    if ((e as { code?: string }).code !== 'ENOENT') warn(`policy ${path} cannot be read: ${String(e)}`);
    return {};
  }
  try {
    const parsed = policySchema.parse(JSON.parse(text));
    return {
      ...(parsed.meetingServer ? { meetingServer: parsed.meetingServer } : {}),
      ...(parsed.internalDomains ? { internalDomains: parsed.internalDomains } : {}),
    };
  } catch (e) {
    warn(`policy ${path} is not valid and was ignored: ${e instanceof Error ? e.message.slice(0, 300) : String(e)}`);
    return {};
  }
}
