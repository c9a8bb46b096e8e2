// A plain Matrix client-server API call straight to Synapse, for tests that set up rooms or send
// as a peer without going through the adapter under test.
import type { RegisteredUser } from './synapse';

/** `method path` on `baseUrl` as `user` (its access token); the JSON answer, or an error with status and body. */
export async function synapseApi<T>(baseUrl: string, user: Pick<RegisteredUser, 'accessToken'>, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${user.accessToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${text}`);
  return JSON.parse(text) as T;
}
