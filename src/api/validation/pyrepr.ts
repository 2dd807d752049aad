/**
 * Python's `repr()` and `str()` of JSON values, because Cinder's validation messages embed them
 * ("Value: {'size': 1, 'foo': 'bar'}", "True is not of type 'integer', 'string', 'null'").
 */

/** Python's `repr(float)` / `repr(int)` for a JS number. */
export function pyNumber(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  if (Number.isInteger(n) && Math.abs(n) < 1e16) return String(n);
  if (Number.isInteger(n)) {
    // Python keeps big JSON integers exact; the nearest we can do is the full decimal expansion.
    return BigInt(n).toString();
  }
  // Python switches to exponent notation below 1e-4 and from 1e16; JS from 1e21 and below 1e-6.
  const abs = Math.abs(n);
  if (abs >= 1e-4 && abs < 1e16) {
    const s = String(n);
    if (!s.includes('e')) return s;
  }
  const [mant, exp] = n.toExponential().split('e') as [string, string];
  const e = Number(exp);
  const sign = e < 0 ? '-' : '+';
  return `${mant}e${sign}${String(Math.abs(e)).padStart(2, '0')}`;
}

function isPrintable(cp: number): boolean {
  // A close approximation of Python's str.isprintable(): no control (Cc, Cf, Cs, Co, Cn), no separators but ' '.
  const ch = String.fromCodePoint(cp);
  if (cp === 0x20) return true;
  return !/[\p{C}\p{Z}]/u.test(ch);
}

/** Python's `repr(str)`: single quotes unless the text holds a ' and no ". */
export function pyStr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (isPrintable(cp)) out += ch;
    else if (cp < 0x100) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp < 0x10000) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return out + quote;
}

/** Nesting beyond this is printed as `...` (Python itself would fail with a RecursionError). */
const MAX_REPR_DEPTH = 100;

/** Python's `repr()` of a JSON value (dict, list, str, int/float, bool, None). */
export function pyRepr(value: unknown, depth = 0): string {
  if (depth > MAX_REPR_DEPTH) return '...';
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return pyNumber(value);
  if (typeof value === 'string') return pyStr(value);
  if (Array.isArray(value)) return `[${value.map((v) => pyRepr(v, depth + 1)).join(', ')}]`;
  if (typeof value === 'object') {
    const parts = Object.entries(value as Record<string, unknown>).map(
      ([k, v]) => `${pyStr(k)}: ${pyRepr(v, depth + 1)}`,
    );
    return `{${parts.join(', ')}}`;
  }
  return String(value);
}

/** Python's `str()` of a JSON value: strings are bare, everything else as `repr()`. */
export function pyStrOf(value: unknown): string {
  return typeof value === 'string' ? value : pyRepr(value);
}

/** Python's `len()` of a string: code points, not UTF-16 units. */
export function pyLen(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/**
 * Python's `int(str(value))` as oslo's `validate_integer` does it: surrounding whitespace, a sign,
 * digits with single underscores between them. Returns null when Python would raise ValueError.
 */
export function pyIntFromStr(value: unknown): number | null {
  const text = typeof value === 'number' ? pyNumber(value) : pyStrOf(value);
  const m = /^\s*([+-]?)(\d(?:_?\d)*)\s*$/u.exec(text);
  if (m === null) return null;
  const n = Number((m[2] ?? '').replace(/_/g, ''));
  return m[1] === '-' ? -n : n;
}
