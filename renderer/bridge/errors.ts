import type { AppErrorDto, ErrorKind } from '../../common/errors';
import { ERROR_KINDS } from '../../common/errors';

/** A rejected API call. `dto.kind` selects the translated text shown to the user. */
export class ApiError extends Error {
  readonly dto: AppErrorDto;
  constructor(dto: AppErrorDto) {
    super(dto.message);
    this.name = 'ApiError';
    this.dto = dto;
  }
}

function isDto(v: unknown): v is AppErrorDto {
  if (typeof v !== 'object' || v === null) return false;
  const kind = (v as { kind?: unknown }).kind;
  return typeof kind === 'string' && (ERROR_KINDS as readonly string[]).includes(kind);
}

export function toAppError(e: unknown): AppErrorDto {
  if (e instanceof ApiError) return e.dto;
  if (typeof e === 'object' && e !== null && 'dto' in e && isDto((e as { dto: unknown }).dto)) {
    return (e as { dto: AppErrorDto }).dto;
  }
  if (isDto(e)) return e;
  return { kind: 'unknown', message: e instanceof Error ? e.message : String(e), fatal: false };
}

export function errorKind(e: unknown): ErrorKind {
  return toAppError(e).kind;
}
