// Per-message actions as a keyboard-accessible menu button (arrows move, Escape closes).
import { useEffect, useId, useRef, useState } from 'react';
import type { KeyboardEvent, ReactNode } from 'react';
import { useT } from '../../i18n';
import { IconMore } from '../common/Icons';

export interface MenuAction {
  readonly key: string;
  readonly label: string;
  readonly run: () => void;
}

export function MessageActions({ actions, label }: { readonly actions: readonly MenuAction[]; readonly label: string }): ReactNode {
  const t = useT();
  const [open, setOpen] = useState(false);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const menuRef = useRef<HTMLDivElement>(null);
  const menuId = useId();

  useEffect(() => {
    if (open) menuRef.current?.querySelector<HTMLElement>('[role="menuitem"]')?.focus();
  }, [open]);

  if (actions.length === 0) return null;

  const close = (refocus: boolean): void => {
    setOpen(false);
    if (refocus) buttonRef.current?.focus();
  };
  const onMenuKey = (e: KeyboardEvent<HTMLDivElement>): void => {
    const items = [...(menuRef.current?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? [])];
    const i = items.indexOf(document.activeElement as HTMLElement);
    if (e.key === 'ArrowDown') items[(i + 1) % items.length]?.focus();
    else if (e.key === 'ArrowUp') items[(i - 1 + items.length) % items.length]?.focus();
    else if (e.key === 'Home') items[0]?.focus();
    else if (e.key === 'End') items[items.length - 1]?.focus();
    else if (e.key === 'Escape' || e.key === 'Tab') { close(e.key === 'Escape'); if (e.key === 'Tab') return; }
    else return;
    e.preventDefault();
    e.stopPropagation();
  };

  return (
    <div className="msg-actions">
      <button
        ref={buttonRef}
        type="button"
        className="icon-button small"
        aria-label={label}
        title={t('message.actions')}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? menuId : undefined}
        onClick={() => setOpen((o) => !o)}
        onKeyDown={(e) => { if (e.key === 'ArrowDown') { e.preventDefault(); setOpen(true); } }}
      >
        <IconMore />
      </button>
      {open ? (
        <div
          ref={menuRef}
          id={menuId}
          role="menu"
          aria-label={label}
          className="menu"
          onKeyDown={onMenuKey}
          onBlur={(e) => { if (!e.currentTarget.contains(e.relatedTarget as Node | null) && e.relatedTarget !== buttonRef.current) setOpen(false); }}
        >
          {actions.map((a) => (
            <button key={a.key} type="button" role="menuitem" tabIndex={-1} onClick={() => { close(false); a.run(); }}>
              {a.label}
            </button>
          ))}
        </div>
      ) : null}
    </div>
  );
}
