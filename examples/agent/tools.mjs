// Tools for the example agent: a shipping quote from the prices in the handbook.
// A tool is a function of its JSON arguments (or an object with run, description, parameters).

const PER_KG = { A: 1.2, B: 2.8, C: 6.0 };
const BASE = 4.5;

/** Reads "<n> kg" and "zone X" from the (already redacted) question and prices the parcel. */
export function shipping_quote({ text }) {
  const kg = Number(/(\d+(?:\.\d+)?)\s*(?:kg|kilo)/i.exec(text)?.[1] ?? NaN);
  const zone = (/zone\s+([ABC])\b/i.exec(text)?.[1] ?? '').toUpperCase();
  if (!Number.isFinite(kg) || !zone) return { quote: null, reason: 'give a weight in kg and a zone (A, B or C)' };
  if (kg > 30) return { quote: null, reason: 'over 30 kg ships as freight' };
  const price = Math.round((BASE + PER_KG[zone] * kg) * 100) / 100;
  return { weightKg: kg, zone, price, currency: 'EUR', formula: `${BASE} + ${PER_KG[zone]} x ${kg}` };
}
