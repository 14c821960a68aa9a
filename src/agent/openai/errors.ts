// Error answers: {"error": {code, message, type, param}}, the offload protocol's shape and OpenAI's
// at once, and the status a failed generation maps to.

import { errorType } from '../../protocol/errors.js';
import type { ChatResult } from './schema.js';

export const errorJson = (status: number, code: string, message: string, param?: string) => ({
  error: { code, message, type: errorType(status), param: param ?? null },
});
export const err = (status: number, code: string, message: string, param?: string): ChatResult => ({
  status,
  json: errorJson(status, code, message, param),
});

/** Status and code of a failed generation: the error's own (a server error) or what its message says. */
export function failure(e: unknown): { status: number; code: string; message: string; param?: string } {
  const x = e as { status?: unknown; code?: unknown; message?: string; param?: unknown };
  const message = x?.message ?? String(e);
  const param = typeof x?.param === 'string' ? x.param : undefined;
  if (typeof x?.status === 'number' && typeof x.code === 'string')
    return { status: x.status, code: x.code, message, param };
  if (/context length|capacity/.test(message))
    return { status: 400, code: 'context_length_exceeded', message, param: 'max_tokens' };
  return {
    status: /vocabulary|must be|is empty|tool_choice|chat_template/.test(message) ? 400 : 500,
    code: 'run_failed',
    message,
    param,
  };
}
