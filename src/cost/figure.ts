// A number with where it came from: every spec and price in a profile says its source, and
// whether it is a published figure or our estimate, so a plan's cost can be audited.

export interface Figure {
  value: number;
  /** URL, document name, or 'calibrated <date>' / 'measured'. */
  source: string;
  /** true when the value is derived or assumed rather than published or measured. */
  estimate?: boolean;
  note?: string;
}

export function fig(value: number, source: string, opts: { estimate?: boolean; note?: string } = {}): Figure {
  return { value, source, ...opts };
}

export const est = (value: number, source: string, note?: string): Figure =>
  fig(value, source, { estimate: true, note });
