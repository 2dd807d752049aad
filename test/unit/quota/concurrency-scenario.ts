import type { DataSource } from 'typeorm';
import { OverQuotaError, type QuotaEngine } from '../../../src/quota';

/** Knobs of the concurrency scenario; every one can be overridden from the environment (see {@link scenarioFromEnv}). */
export interface ConcurrencyScenario {
  /** Concurrent reserve calls per phase. */
  workers: number;
  /** `volumes` hard limit. */
  volumeLimit: number;
  /** `gigabytes` hard limit (-1 = unlimited). */
  gigabyteLimit: number;
  /** Volume sizes picked at random per worker (GB). */
  sizes: number[];
  /** Probability that a successful reservation is committed (else rolled back). */
  commitRatio: number;
  /** PRNG seed, printed on failure so a run can be repeated. */
  seed: number;
}

export const DEFAULT_SCENARIO: ConcurrencyScenario = {
  workers: 64,
  volumeLimit: 10,
  gigabyteLimit: 1000,
  sizes: [1],
  commitRatio: 0.5,
  seed: 42,
};

/**
 * The default scenario overridden by QUOTA_TEST_WORKERS, QUOTA_TEST_VOLUME_LIMIT, QUOTA_TEST_GIGABYTE_LIMIT,
 * QUOTA_TEST_SIZES (comma-separated), QUOTA_TEST_COMMIT_RATIO and QUOTA_TEST_SEED.
 */
export function scenarioFromEnv(base: ConcurrencyScenario = DEFAULT_SCENARIO): ConcurrencyScenario {
  const num = (name: string, fallback: number): number => {
    const raw = process.env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n)) throw new Error(`${name}='${raw}' is not a number`);
    return n;
  };
  const sizes = process.env.QUOTA_TEST_SIZES;
  return {
    workers: num('QUOTA_TEST_WORKERS', base.workers),
    volumeLimit: num('QUOTA_TEST_VOLUME_LIMIT', base.volumeLimit),
    gigabyteLimit: num('QUOTA_TEST_GIGABYTE_LIMIT', base.gigabyteLimit),
    sizes: sizes ? sizes.split(',').map((s) => Number(s.trim())) : base.sizes,
    commitRatio: num('QUOTA_TEST_COMMIT_RATIO', base.commitRatio),
    seed: num('QUOTA_TEST_SEED', base.seed),
  };
}

/** mulberry32: small, seeded, good enough to shuffle a test. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface ScenarioResult {
  committedVolumes: number;
  committedGigabytes: number;
  rejected: number;
  burstSuccesses: number;
}

interface Usage {
  in_use: number;
  reserved: number;
}

async function usageOf(ds: DataSource, projectId: string): Promise<Record<string, Usage>> {
  const rows: Array<{ resource: string; in_use: number; reserved: number }> = await ds.query(
    'SELECT resource, in_use, reserved FROM quota_usages WHERE project_id = ?',
    [projectId],
  );
  return Object.fromEntries(
    rows.map((r) => [r.resource, { in_use: Number(r.in_use), reserved: Number(r.reserved) }]),
  );
}

/**
 * Runs the quota concurrency scenario against one or more engines (several engines on separate
 * DataSources stand for several API processes) and asserts, with jest's expect:
 * - phase 1 (burst): `workers` concurrent reserves; the successes never exceed either limit and, with
 *   unit sizes and no gigabyte pressure, fill the volume limit exactly; `reserved` equals their sum;
 *   then concurrent random commits/rollbacks (each one issued twice, concurrently, to hit idempotency);
 * - phase 2 (interleaved): `workers` concurrent reserve → random pause → commit/rollback chains;
 * - afterwards: `in_use` is exactly what was committed, never above a limit, `reserved` is 0, no
 *   reservation row is left, and no error other than OverQuotaError ever reached a caller.
 */
export async function runConcurrencyScenario(
  engines: readonly QuotaEngine[],
  ds: DataSource,
  projectId: string,
  s: ConcurrencyScenario,
): Promise<ScenarioResult> {
  const rand = prng(s.seed);
  const engine = (i: number): QuotaEngine => engines[i % engines.length]!;
  const ctx = { projectId };
  await engine(0).setLimits(projectId, { volumes: s.volumeLimit, gigabytes: s.gigabyteLimit });
  const unexpected: unknown[] = [];
  let rejected = 0;
  let committedVolumes = 0;
  let committedGigabytes = 0;
  const size = (): number => s.sizes[Math.floor(rand() * s.sizes.length)]!;
  const tryReserve = async (i: number, gb: number): Promise<string[] | null> => {
    try {
      return await engine(i).reserve(ctx, { volumes: 1, gigabytes: gb });
    } catch (err) {
      if (err instanceof OverQuotaError) {
        rejected++;
        return null;
      }
      unexpected.push(err);
      return null;
    }
  };
  const settle = async (i: number, ids: string[], commit: boolean): Promise<void> => {
    try {
      if (commit) await engine(i).commit(ctx, ids);
      else await engine(i).rollback(ctx, ids);
    } catch (err) {
      unexpected.push(err);
    }
  };

  // Phase 1: burst of reserves, then a burst of settles.
  const sizes1 = Array.from({ length: s.workers }, size);
  const reserved1 = await Promise.all(sizes1.map((gb, i) => tryReserve(i, gb)));
  expect(unexpected).toEqual([]);
  const ok1 = reserved1.flatMap((ids, i) => (ids === null ? [] : [{ ids, gb: sizes1[i]! }]));
  const okGb = ok1.reduce((a, r) => a + r.gb, 0);
  expect(ok1.length).toBeLessThanOrEqual(s.volumeLimit < 0 ? Infinity : s.volumeLimit);
  if (s.gigabyteLimit >= 0) expect(okGb).toBeLessThanOrEqual(s.gigabyteLimit);
  if (
    s.sizes.every((x) => x === 1) &&
    (s.gigabyteLimit < 0 || s.gigabyteLimit >= s.workers) &&
    s.volumeLimit >= 0
  ) {
    expect(ok1.length).toBe(Math.min(s.workers, s.volumeLimit)); // no spurious rejection
  }
  let usage = await usageOf(ds, projectId);
  expect(usage.volumes).toEqual({ in_use: 0, reserved: ok1.length });
  expect(usage.gigabytes).toEqual({ in_use: 0, reserved: okGb });

  const decisions = ok1.map(() => rand() < s.commitRatio);
  await Promise.all(
    ok1.flatMap((r, i) => [settle(i, r.ids, decisions[i]!), settle(i + 1, r.ids, decisions[i]!)]),
  );
  expect(unexpected).toEqual([]);
  ok1.forEach((r, i) => {
    if (decisions[i]) {
      committedVolumes += 1;
      committedGigabytes += r.gb;
    }
  });
  usage = await usageOf(ds, projectId);
  expect(usage.volumes).toEqual({ in_use: committedVolumes, reserved: 0 });
  expect(usage.gigabytes).toEqual({ in_use: committedGigabytes, reserved: 0 });

  // Phase 2: reserves, commits and rollbacks interleaved.
  await Promise.all(
    Array.from({ length: s.workers }, async (_, i) => {
      const gb = size();
      const commit = rand() < s.commitRatio;
      const pause = Math.floor(rand() * 5);
      const ids = await tryReserve(i, gb);
      if (ids === null) return;
      await tick(pause);
      await settle(i, ids, commit);
      if (commit) {
        committedVolumes += 1;
        committedGigabytes += gb;
      }
    }),
  );
  expect(unexpected).toEqual([]);

  usage = await usageOf(ds, projectId);
  expect(usage.volumes).toEqual({ in_use: committedVolumes, reserved: 0 });
  expect(usage.gigabytes).toEqual({ in_use: committedGigabytes, reserved: 0 });
  if (s.volumeLimit >= 0) expect(committedVolumes).toBeLessThanOrEqual(s.volumeLimit);
  if (s.gigabyteLimit >= 0) expect(committedGigabytes).toBeLessThanOrEqual(s.gigabyteLimit);
  const left = await ds.query('SELECT COUNT(*) AS n FROM reservations WHERE project_id = ?', [projectId]);
  expect(Number(left[0].n)).toBe(0);
  const dupes = await ds.query(
    'SELECT resource, COUNT(*) AS n FROM quota_usages WHERE project_id = ? GROUP BY resource HAVING COUNT(*) > 1',
    [projectId],
  );
  expect(dupes).toEqual([]);
  return { committedVolumes, committedGigabytes, rejected, burstSuccesses: ok1.length };
}
