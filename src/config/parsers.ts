/**
 * Value parsers for settings. Each returns the typed value, or `undefined` when the raw text does not
 * fit; `expected` is the phrase the error message uses ("expected <expected>").
 */
export interface Parser<T> {
  readonly expected: string;
  parse(raw: string): T | undefined;
}

/** An integer in [min, max]. Accepts only plain decimal digits with an optional minus sign. */
export function integer(min: number, max: number = Number.MAX_SAFE_INTEGER): Parser<number> {
  const expected =
    max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
  return {
    expected,
    parse(raw) {
      if (!/^-?\d+$/.test(raw)) return undefined;
      const n = Number(raw);
      return Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined;
    },
  };
}

/** A quota limit: -1 (unlimited) or a non-negative integer. */
export const quotaLimit: Parser<number> = {
  expected: 'an integer >= 0, or -1 for unlimited',
  parse: (raw) => integer(-1).parse(raw),
};

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);

export const boolean: Parser<boolean> = {
  expected: 'true or false (also 1/0, yes/no, on/off)',
  parse(raw) {
    const word = raw.toLowerCase();
    if (TRUE_WORDS.has(word)) return true;
    if (FALSE_WORDS.has(word)) return false;
    return undefined;
  },
};

export function oneOf<const T extends string>(values: readonly T[]): Parser<T> {
  return {
    expected: `one of ${values.join(', ')}`,
    parse: (raw) => values.find((v) => v === raw.toLowerCase()),
  };
}

export const nonEmptyString: Parser<string> = {
  expected: 'a non-empty string',
  parse: (raw) => (raw.trim() === '' ? undefined : raw.trim()),
};

/** A URL whose scheme is one of `schemes` (compared without the trailing colon). */
export function urlWithScheme(
  schemes: readonly string[],
  example: string,
  shownSchemes: readonly string[] = schemes,
): Parser<string> {
  return {
    expected: `a URL starting with ${shownSchemes.map((s) => `${s}:`).join(' or ')} (e.g. ${example})`,
    parse(raw) {
      const value = raw.trim();
      const match = /^([a-z][a-z0-9+.-]*):/i.exec(value);
      if (!match || !schemes.includes(match[1]!.toLowerCase())) return undefined;
      if (/^[a-z0-9+.-]+:\/\//i.test(value)) {
        try {
          new URL(value);
        } catch {
          return undefined;
        }
      }
      return value;
    },
  };
}
