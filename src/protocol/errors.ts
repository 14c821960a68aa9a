// Every error on the wire is JSON `{"error": {"code", "message"}}` (plus optional fields such as
// `missing`), with the HTTP status fixed by the code. The client turns it back into a RemoteError.

export const ERROR_STATUS = {
  bad_request: 400,
  bad_framing: 400,
  hash_mismatch: 400,
  protocol_version: 400,
  compile_failed: 400,
  unauthorized: 401,
  forbidden_origin: 403,
  not_found: 404,
  unknown_graph: 404,
  unknown_blob: 404,
  method_not_allowed: 405,
  missing_blobs: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  run_failed: 422,
  queue_full: 429,
  slo_unmeetable: 429,
  internal: 500,
  deadline_unmeetable: 503,
  deadline_exceeded: 503,
  shutting_down: 503,
  store_full: 507,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorBody {
  error: { code: string; message: string; [extra: string]: unknown };
}

/** An error the server answers with; `retryAfterS` becomes a Retry-After header. */
export class ProtocolError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly extra: { retryAfterS?: number; [k: string]: unknown } = {},
  ) {
    super(message);
    this.status = ERROR_STATUS[code];
  }

  body(): ErrorBody {
    const { retryAfterS: _r, ...rest } = this.extra;
    return errorBody(this.code, this.message, rest, this.status);
  }
}

/** OpenAI's error `type` for a status (its clients read it beside the code). */
export function errorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  return status >= 500 ? 'server_error' : 'invalid_request_error';
}

/** The error body: the protocol's code and message, and OpenAI's type and param. */
export function errorBody(
  code: string,
  message: string,
  extra: Record<string, unknown> = {},
  status: number = ERROR_STATUS[code as ErrorCode] ?? 400,
): ErrorBody {
  return { error: { code, message, type: errorType(status), param: null, ...extra } };
}
