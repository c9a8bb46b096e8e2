// Small helpers for the rich-text converter tests: build an element, and measure a tree. The walks
// are iterative so that a hostile tree cannot overflow the test's own stack either.
import type { RichElement, RichNode } from '../../../../common/rich-text';

export const el = (tag: RichElement['tag'], children: RichNode[], extra: Partial<RichElement> = {}): RichElement => ({ tag, ...extra, children });

/** Every element in a tree, depth first. */
export function elements(nodes: readonly RichNode[]): RichElement[] {
  const out: RichElement[] = [];
  const todo = [...nodes];
  while (todo.length > 0) {
    const n = todo.pop()!;
    if (typeof n === 'string') continue;
    out.push(n);
    todo.push(...n.children);
  }
  return out;
}

/** How deeply elements nest (0 for text only). */
export function depth(nodes: readonly RichNode[]): number {
  let max = 0;
  const todo: [RichNode, number][] = nodes.map((n) => [n, 1]);
  while (todo.length > 0) {
    const [n, d] = todo.pop()!;
    if (typeof n === 'string') continue;
    max = Math.max(max, d);
    for (const c of n.children) todo.push([c, d + 1]);
  }
  return max;
}
