// The user's people search as every directory should see it: trimmed, 1–100 characters, 1–50
// hits. Checked before any request, so a blank or runaway search never reaches a server.
import { AppError } from '../../common/errors';

export function directoryQuery(term: string, limit: number): { term: string; limit: number } {
  const t = term.trim();
  if (t.length === 0 || t.length > 100) throw new AppError('invalid_input', 'a search needs 1 to 100 characters');
  return { term: t, limit: Math.max(1, Math.min(50, Math.floor(limit) || 1)) };
}
