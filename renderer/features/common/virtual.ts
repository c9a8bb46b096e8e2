import { observeElementRect } from '@tanstack/react-virtual';
import type { Virtualizer } from '@tanstack/react-virtual';

/**
 * Like the default rect observer, but reports a usable size when layout gives none (hidden
 * container, or a DOM without layout such as the unit tests), so that rows still render.
 */
export function observeRectWithFallback<T extends Element, I extends Element>(
  instance: Virtualizer<T, I>,
  cb: (rect: { width: number; height: number }) => void,
): (() => void) | undefined {
  return observeElementRect(instance, (rect) => {
    cb(rect.height > 0 ? rect : { width: rect.width || 800, height: 800 });
  });
}
