// PII filtering before data leaves the device: e-mail addresses, phone numbers, payment cards
// (Luhn-checked), IBANs, IPv4 addresses and US social security numbers, plus patterns the graph
// adds. `redact` replaces each match with [KIND]; `block` fails the run instead.

import type { PII_KINDS } from '../graph/spec.js';
import { type NodeKindDef, onHost, singlePlacement } from './kind.js';

export type PiiKind = (typeof PII_KINDS)[number];

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

const digitCount = (s: string) => s.replace(/\D/g, '').length;

const DETECTORS: Record<PiiKind, { re: RegExp; accept?: (m: string) => boolean }> = {
  email: { re: /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g },
  card: {
    re: /\b(?:\d[ -]?){12,18}\d\b/g,
    accept: (m) => {
      const d = m.replace(/\D/g, '');
      return d.length >= 13 && d.length <= 19 && luhn(d);
    },
  },
  iban: { re: /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b/g },
  ssn: { re: /\b\d{3}-\d{2}-\d{4}\b/g },
  ip: { re: /\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b/g },
  phone: {
    re: /(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]?\d{2,4}){2,4}/g,
    accept: (m) => digitCount(m) >= 9 && digitCount(m) <= 15,
  },
};
/** Order matters: cards before phones (a card number also looks like a long phone number). */
const ORDER: PiiKind[] = ['email', 'card', 'iban', 'ssn', 'ip', 'phone'];

export interface FilterResult {
  text: string;
  /** Matches per kind. */
  found: Record<string, number>;
}

export function redactPii(
  text: string,
  opts: { kinds?: PiiKind[]; patterns?: Record<string, string>; replacement?: string } = {},
): FilterResult {
  const kinds = opts.kinds ?? ORDER;
  const found: Record<string, number> = {};
  const rep = (kind: string) => (opts.replacement ?? '[{kind}]').replace('{kind}', kind.toUpperCase());
  let out = text;
  for (const k of ORDER.filter((x) => kinds.includes(x))) {
    const d = DETECTORS[k];
    out = out.replace(d.re, (m) => {
      if (d.accept && !d.accept(m)) return m;
      found[k] = (found[k] ?? 0) + 1;
      return rep(k);
    });
  }
  for (const [name, src] of Object.entries(opts.patterns ?? {})) {
    out = out.replace(new RegExp(src, 'g'), () => {
      found[name] = (found[name] ?? 0) + 1;
      return rep(name);
    });
  }
  return { text: out, found };
}

/** The filter node kind: redacts (or blocks) PII on the host; its output is no longer private. */
export const filterKind: NodeKindDef<'filter'> = {
  kind: 'filter',
  cleansPrivate: true,
  models: () => [],
  referenceTokens: (_n, per) => per,
  check(id, n, c) {
    c.template(id, 'input', n.input);
    for (const [name, re] of Object.entries(n.patterns ?? {})) {
      try {
        new RegExp(re, 'g');
      } catch (e) {
        c.problem(
          `node '${id}' (filter): pattern '${name}' is not a valid regular expression: ${(e as Error).message}`,
        );
      }
    }
  },
  lower(id, n, c) {
    const attrs = { kinds: n.redact ?? [], mode: n.mode ?? 'redact' };
    const value = c.g.op('agent.filter', c.ins.length ? c.ins : [c.empty()], attrs, id);
    return { value, ops: [value.producer!] };
  },
  cost: (id, _n, ops, c) => c.hostTask(id, ops[0]!),
  pin: (n) => n.device,
  placementOf: singlePlacement,
  resolve: onHost,
  async execute(n, c) {
    const r = redactPii(c.render(n.input), { kinds: n.redact, patterns: n.patterns, replacement: n.replacement });
    if (n.mode === 'block' && Object.keys(r.found).length) {
      const found = Object.entries(r.found).map(([k, count]) => `${k} (${count})`);
      throw new Error(`node '${c.id}' (filter): blocked: the input contains ${found.join(', ')}`);
    }
    return r;
  },
};
