// Automatic away: after a while without keyboard or pointer input the core is told the user is
// idle (presence:idle), and "available" accounts show as away; the next input brings them back.
// Only the change is sent, never a stream of activity.
import type { RendererApi } from '../../bridge/types';

export const IDLE_AFTER_MS = 10 * 60_000;
const ACTIVITY_EVENTS = ['keydown', 'pointerdown', 'pointermove', 'wheel', 'focus'] as const;

/** Starts watching `target` (the window); returns a function that stops it. */
export function watchIdle(api: RendererApi, target: Pick<Window, 'addEventListener' | 'removeEventListener'>, idleAfterMs = IDLE_AFTER_MS): () => void {
  let idle = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const tell = (value: boolean): void => {
    idle = value;
    api.invoke('presence:idle', { idle: value }).catch(() => undefined);
  };
  const arm = (): void => {
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(() => tell(true), idleAfterMs);
  };
  const onActivity = (): void => {
    if (idle) tell(false);
    arm();
  };
  for (const e of ACTIVITY_EVENTS) target.addEventListener(e, onActivity, { passive: true });
  arm();
  return () => {
    if (timer !== null) clearTimeout(timer);
    for (const e of ACTIVITY_EVENTS) target.removeEventListener(e, onActivity);
  };
}
