// Protocol versions. The version is in every path (/v1/...) and in a header on every request and
// response, so a client and a server that disagree say so in one clear sentence, not a 404.

export const PROTOCOL_VERSION = 1;
/** Versions this build speaks, newest last. */
export const SUPPORTED_VERSIONS: readonly number[] = [1];
export const API_PREFIX = `/v${PROTOCOL_VERSION}`;

/** Request and response header carrying the protocol version. */
export const VERSION_HEADER = 'switchyard-protocol';
/** POST /v1/run: the graph (SHA-256 of its text) and the time budget in ms from receipt. */
export const GRAPH_HEADER = 'switchyard-graph';
export const DEADLINE_HEADER = 'switchyard-deadline-ms';

/** The sentence both sides print when versions do not overlap. */
export function versionMismatch(
  theirs: string | number,
  side: 'client' | 'server',
  ours: readonly number[] = SUPPORTED_VERSIONS,
): string {
  const other = side === 'client' ? 'server' : 'client';
  return (
    `protocol version mismatch: the ${side} speaks ${String(theirs)}, this ${other} speaks ${ours.join(', ')}; ` +
    `upgrade the older side (both sides must share a version)`
  );
}

/** Parse a version header value; undefined when absent (treated as the current version). */
export function parseVersion(v: string | null | undefined): number | undefined | 'invalid' {
  if (v === null || v === undefined || v === '') return undefined;
  return /^[0-9]{1,4}$/.test(v) ? Number(v) : 'invalid';
}
