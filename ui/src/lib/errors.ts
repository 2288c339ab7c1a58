import type { ApiError, ErrorCode } from './types';

const KNOWN: readonly ErrorCode[] = [
  'locked',
  'wrong_passphrase',
  'unknown_operator',
  'not_allowed',
  'invalid',
  'frozen',
  'not_found',
  'wrong_status',
  'camera',
  'scanner',
  'busy',
  'sync',
  'disk_full',
  'storage',
  'io',
];

/**
 * Whatever a command rejected with, as the contract's error shape. Tauri passes the Rust error through
 * as-is, but a panic or a missing command arrives as a bare string, so those become `unknown`.
 */
export function normalizeError(e: unknown): ApiError {
  if (e && typeof e === 'object' && 'code' in e && typeof (e as { code: unknown }).code === 'string') {
    const o = e as Record<string, unknown>;
    const code = (KNOWN as readonly string[]).includes(o.code as string) ? (o.code as ErrorCode) : 'unknown';
    const out: ApiError = { code, message: typeof o.message === 'string' ? o.message : String(o.code) };
    if (typeof o.field === 'string') out.field = o.field;
    if (Array.isArray(o.problems)) out.problems = o.problems as ApiError['problems'];
    return out;
  }
  if (e instanceof Error) return { code: 'unknown', message: e.message };
  return { code: 'unknown', message: typeof e === 'string' ? e : JSON.stringify(e) };
}

export function isApiError(e: unknown): e is ApiError {
  return !!e && typeof e === 'object' && 'code' in e && 'message' in e;
}

/** The i18n key of the operator-facing text for an error code. */
export function errorKey(code: string): string {
  return (KNOWN as readonly string[]).includes(code) ? `error.${code}` : 'error.unknown';
}
