/**
 * Small helpers shared by the benchmarks: a monotonic clock, medians, an explicit GC handle and progress lines on
 * stderr (stdout is kept for figures / JSON).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Microseconds from a monotonic clock. */
export function nowUs(): number {
  return Number(process.hrtime.bigint()) / 1e3;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

let gcFn: (() => void) | undefined | null = null;

/** A full GC if one can be obtained (`--expose-gc`, or enabled at run time); otherwise a no-op. */
export function collectGarbage(): void {
  if (gcFn === null) {
    const g = (globalThis as { gc?: () => void }).gc;
    if (typeof g === 'function') gcFn = g;
    else {
      try {
        setFlagsFromString('--expose-gc');
        gcFn = runInNewContext('gc') as () => void;
      } catch {
        gcFn = undefined;
      }
    }
  }
  gcFn?.();
}

/** A progress line on stderr. */
export function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/** Rounds to `digits` decimals (keeps JSON short). */
export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
