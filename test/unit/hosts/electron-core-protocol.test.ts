// The pure validators of the main ⇄ core-host message protocol.
import { describe, expect, it } from 'vitest';
import { MAX_SECRET_KEY_LENGTH, parseChildMessage, parseParentMessage } from '../../../main/electron/core-host/protocol';

describe('core-host protocol: parseChildMessage', () => {
  it('accepts every well-formed child message', () => {
    expect(parseChildMessage({ kind: 'result', id: 1, result: { ok: true, value: null } })).toEqual({ kind: 'result', id: 1, result: { ok: true, value: null } });
    expect(parseChildMessage({ kind: 'result', id: 2, result: { ok: false, error: { kind: 'timeout', message: 'm', fatal: false, retryAfterMs: 5 } } })).toEqual({
      kind: 'result',
      id: 2,
      result: { ok: false, error: { kind: 'timeout', message: 'm', fatal: false, retryAfterMs: 5 } },
    });
    expect(parseChildMessage({ kind: 'patches', patches: [{ type: 'contact.removed', contactId: 'c' }] })).toEqual({
      kind: 'patches',
      patches: [{ type: 'contact.removed', contactId: 'c' }],
    });
    expect(parseChildMessage({ kind: 'secret', id: 3, op: 'get', key: 'k' })).toEqual({ kind: 'secret', id: 3, op: 'get', key: 'k' });
    expect(parseChildMessage({ kind: 'secret', id: 3, op: 'set', key: 'k', value: '' })).toEqual({ kind: 'secret', id: 3, op: 'set', key: 'k', value: '' });
    expect(parseChildMessage({ kind: 'secret', id: 3, op: 'delete', key: 'k', value: 'ignored' })).toEqual({ kind: 'secret', id: 3, op: 'delete', key: 'k' });
    expect(parseChildMessage({ kind: 'closed' })).toEqual({ kind: 'closed' });
  });

  it('drops unknown fields of an error', () => {
    expect(parseChildMessage({ kind: 'result', id: 1, result: { ok: false, error: { kind: 'auth', message: 'x', fatal: true, stack: 'at …' } } })).toEqual({
      kind: 'result',
      id: 1,
      result: { ok: false, error: { kind: 'auth', message: 'x', fatal: true } },
    });
  });

  it.each([
    ['undefined', undefined],
    ['an array', [{ kind: 'closed' }]],
    ['an unknown kind', { kind: 'invoke', id: 1, cmd: 'x' }],
    ['a result with id 0', { kind: 'result', id: 0, result: { ok: true, value: 1 } }],
    ['a result with a string id', { kind: 'result', id: '1', result: { ok: true, value: 1 } }],
    ['a result without value', { kind: 'result', id: 1, result: { ok: true } }],
    ['a result with ok missing', { kind: 'result', id: 1, result: { value: 1 } }],
    ['an error of an unknown kind', { kind: 'result', id: 1, result: { ok: false, error: { kind: 'pwned', message: 'x', fatal: false } } }],
    ['an error without message', { kind: 'result', id: 1, result: { ok: false, error: { kind: 'unknown', fatal: false } } }],
    ['a negative retryAfterMs', { kind: 'result', id: 1, result: { ok: false, error: { kind: 'rate_limited', message: 'x', fatal: false, retryAfterMs: -1 } } }],
    ['patches that are not a list', { kind: 'patches', patches: { type: 'x' } }],
    ['a patch without type', { kind: 'patches', patches: [{ contactId: 'c' }] }],
    ['a secret with an unknown op', { kind: 'secret', id: 1, op: 'list', key: 'k' }],
    ['a secret with an empty key', { kind: 'secret', id: 1, op: 'get', key: '' }],
    ['a secret with a huge key', { kind: 'secret', id: 1, op: 'get', key: 'k'.repeat(MAX_SECRET_KEY_LENGTH + 1) }],
    ['a set without value', { kind: 'secret', id: 1, op: 'set', key: 'k' }],
    ['a set with a non-string value', { kind: 'secret', id: 1, op: 'set', key: 'k', value: 42 }],
  ])('rejects %s', (_label, raw) => {
    expect(parseChildMessage(raw)).toBeNull();
  });
});

describe('core-host protocol: parseParentMessage', () => {
  it('accepts every well-formed parent message', () => {
    expect(parseParentMessage({ kind: 'init', profileDir: '/p', secretsKind: 'keyfile' })).toEqual({ kind: 'init', profileDir: '/p', secretsKind: 'keyfile' });
    expect(parseParentMessage({ kind: 'invoke', id: 4, cmd: 'app:snapshot', input: { a: 1 } })).toEqual({ kind: 'invoke', id: 4, cmd: 'app:snapshot', input: { a: 1 } });
    expect(parseParentMessage({ kind: 'wake' })).toEqual({ kind: 'wake' });
    expect(parseParentMessage({ kind: 'close' })).toEqual({ kind: 'close' });
    expect(parseParentMessage({ kind: 'secret-result', id: 1, ok: true })).toEqual({ kind: 'secret-result', id: 1, ok: true });
    expect(parseParentMessage({ kind: 'secret-result', id: 1, ok: true, value: null })).toEqual({ kind: 'secret-result', id: 1, ok: true, value: null });
    expect(parseParentMessage({ kind: 'secret-result', id: 1, ok: false, error: { kind: 'crypto', message: 'm', fatal: false } })).toEqual({
      kind: 'secret-result',
      id: 1,
      ok: false,
      error: { kind: 'crypto', message: 'm', fatal: false },
    });
  });

  it.each([
    ['null', null],
    ['an unknown kind', { kind: 'result', id: 1, result: { ok: true, value: 1 } }],
    ['an invoke with an empty cmd', { kind: 'invoke', id: 1, cmd: '', input: {} }],
    ['an invoke with an unsafe id', { kind: 'invoke', id: Number.MAX_SAFE_INTEGER + 1, cmd: 'x', input: {} }],
    ['an init with a relative-empty profile', { kind: 'init', profileDir: '', secretsKind: 'keystore' }],
    ['a secret-result with a numeric value', { kind: 'secret-result', id: 1, ok: true, value: 1 }],
    ['a secret-result with ok missing', { kind: 'secret-result', id: 1, value: 'v' }],
  ])('rejects %s', (_label, raw) => {
    expect(parseParentMessage(raw)).toBeNull();
  });
});
