/**
 * `npm run bench:quota`: quota reserve+commit cycles per second on MariaDB at concurrency 1, 8 and 32,
 * through the QuotaEngine (TypeORM pool and query runners) next to a baseline that sends the very same
 * SQL statements (imported from src/quota/quota-sql.ts), in the same compound statements the engine
 * sends for one operation alone on MariaDB, straight through a mysql2 pool, in the same run (see
 * DirectQuota: with `shared` the engine also batches a project's concurrent operations).
 *
 * Server: BENCH_MYSQL_URL, else TEST_MYSQL_URL, else mysql://root@127.0.0.1:3306. The bench creates its
 * own database and drops it at the end. Flags: --json (one JSON object per case on stdout),
 * --seconds N (per path and case, default 3), --rounds N (alternating slices, default 6), --concurrency 1,8,32, --mode distinct|shared|both
 * (distinct: one project per worker, the ORM-overhead view; shared: every worker on one project, the
 * lock-contention view; default both). Progress goes to stderr.
 */
import 'reflect-metadata';
import { createConnection, createPool, type Pool } from 'mysql2/promise';
import { v4 as uuidv4, v7 as uuidv7 } from 'uuid';
import type { DataSource } from 'typeorm';
import { createDataSource, runMigrations } from '../src/db/data-source';
import { isRetryableLockError, retryDelayMs } from '../src/db/transaction';
import { QuotaEngine } from '../src/quota';
import { compound, quotaSql } from '../src/quota/quota-sql';
import { commitWrites } from './lib/create-floor';

interface Args {
  json: boolean;
  seconds: number;
  concurrency: number[];
  modes: Array<'distinct' | 'shared'>;
  rounds: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    json: false,
    seconds: 3,
    concurrency: [1, 8, 32],
    modes: ['distinct', 'shared'],
    rounds: 6,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--json') args.json = true;
    else if (a === '--seconds') args.seconds = Number(value());
    else if (a === '--rounds') args.rounds = Number(value());
    else if (a === '--concurrency') args.concurrency = value().split(',').map(Number);
    else if (a === '--mode') {
      const m = value();
      if (m === 'both') args.modes = ['distinct', 'shared'];
      else if (m === 'distinct' || m === 'shared') args.modes = [m];
      else throw new Error(`--mode must be distinct, shared or both, got '${m}'`);
    } else
      throw new Error(
        `unknown argument '${a}'; expected --json, --seconds N, --rounds N, --concurrency 1,8,32, --mode distinct|shared|both`,
      );
  }
  if (!(args.seconds > 0)) throw new Error('--seconds must be a positive number');
  if (!Number.isInteger(args.rounds) || args.rounds < 1)
    throw new Error('--rounds must be a positive integer');
  if (args.concurrency.some((c) => !Number.isInteger(c) || c < 1))
    throw new Error('--concurrency must list positive integers');
  return args;
}

const progress = (msg: string): void => {
  process.stderr.write(`[bench:quota] ${msg}\n`);
};

/**
 * The engine's reserve + commit, statement for statement, on a raw mysql2 pool, sent as the engine sends
 * one operation alone on MariaDB (QuotaEngine.batchTransaction): START TRANSACTION, the usage lock and the
 * reads in one compound statement, the writes and COMMIT in another with the same rollback handler; so
 * the ratio stays like for like where each project has one operation at a time (`distinct`). With
 * `shared`, the engine also runs concurrent operations of the project in one transaction (group commit),
 * which this baseline does not: there the ratio shows what that is worth, not ORM overhead.
 */
class DirectQuota {
  retries = 0;
  constructor(private readonly pool: Pool) {}

  /**
   * One transaction as two compound statements: `reads` after START TRANSACTION, then what `plan` makes
   * of their result sets, then COMMIT (nothing to write: COMMIT alone). Retried on lock conflicts.
   */
  private async tx<T>(
    reads: Array<[string, unknown[]]>,
    plan: (results: unknown[][]) => { writes: Array<[string, unknown[]]>; out: T },
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const c = await this.pool.getConnection();
      try {
        const [answers] = await c.query(...compound([['START TRANSACTION', []], ...reads], true));
        const results = (answers as unknown[]).filter((a): a is unknown[] => Array.isArray(a));
        const { writes, out } = plan(results);
        await c.query(...compound([...writes, ['COMMIT', []]], true));
        return out;
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        if (!isRetryableLockError(err) || attempt >= 20) throw err;
        this.retries++;
      } finally {
        c.release();
      }
      await new Promise((r) => setTimeout(r, retryDelayMs(attempt)));
    }
  }

  reserve(projectId: string, deltas: Record<string, number>): Promise<string[]> {
    const items = Object.entries(deltas).sort(([a], [b]) => (a < b ? -1 : 1));
    const resources = items.map(([r]) => r);
    return this.tx(
      [
        [quotaSql.lockUsages('mysql'), [projectId]],
        [quotaSql.limits(resources.length), [projectId, ...resources, ...resources]],
      ],
      ([rows, limitRows]) => {
        const limits: Record<string, number> = {};
        for (const row of limitRows as Array<{ resource: string; hard_limit: number; src: number }>) {
          if (row.src === 0 && !(row.resource in limits)) limits[row.resource] = row.hard_limit;
        }
        for (const row of limitRows as Array<{ resource: string; hard_limit: number; src: number }>) {
          if (row.src === 1) limits[row.resource] = row.hard_limit;
        }
        const usages = new Map(
          (rows as Array<{ id: number; resource: string; in_use: number; reserved: number }>).map((r) => [
            r.resource,
            r,
          ]),
        );
        for (const [resource, delta] of items) {
          const u = usages.get(resource);
          if (u === undefined) throw new Error(`usage row ${resource} missing (the bench pre-creates them)`);
          const limit = limits[resource] ?? -1;
          if (delta > 0 && limit >= 0 && u.in_use + u.reserved + delta > limit) throw new Error('over quota');
        }
        const now = new Date();
        const expire = new Date(now.getTime() + 86_400_000);
        const ids = items.map(() => uuidv7());
        const params: unknown[] = [];
        items.forEach(([resource, delta], i) =>
          params.push(ids[i], usages.get(resource)!.id, projectId, resource, delta, expire, now),
        );
        const up: unknown[] = [];
        for (const [resource, delta] of items) up.push(usages.get(resource)!.id, delta);
        up.push(now, ...items.map(([resource]) => usages.get(resource)!.id));
        return {
          writes: [
            [quotaSql.insertReservations(items.length), params],
            [quotaSql.addReserved(items.length), up],
          ],
          out: ids,
        };
      },
    );
  }

  async commit(projectId: string, ids: string[]): Promise<void> {
    await this.tx(
      [
        [quotaSql.lockUsages('mysql'), [projectId]],
        [quotaSql.selectReservations('mysql', ids.length), [projectId, ...ids]],
      ],
      ([, rows]) => ({ writes: commitWrites(rows as unknown[]), out: undefined }),
    );
  }
}

interface Measurement {
  cycles: number;
  seconds: number;
  p50Ms: number;
  p99Ms: number;
  /** Client CPU (this process, user + system) spent during the measurement, in µs. */
  cpuUs: number;
  latencies: number[];
}

function combine(slices: readonly Measurement[]): Measurement {
  const all = slices.flatMap((m) => m.latencies).sort((a, b) => a - b);
  const pct = (p: number): number => all[Math.min(all.length - 1, Math.floor(p * all.length))] ?? 0;
  return {
    cycles: slices.reduce((a, m) => a + m.cycles, 0),
    seconds: slices.reduce((a, m) => a + m.seconds, 0),
    p50Ms: pct(0.5),
    p99Ms: pct(0.99),
    cpuUs: slices.reduce((a, m) => a + m.cpuUs, 0),
    latencies: all,
  };
}

async function measure(
  concurrency: number,
  seconds: number,
  cycle: (worker: number) => Promise<void>,
): Promise<Measurement> {
  // Warm-up: pools fill, statements and plans get cached.
  const warmUntil = Date.now() + 100;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      while (Date.now() < warmUntil) await cycle(w);
    }),
  );
  const latencies: number[] = [];
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  const deadline = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      while (Date.now() < deadline) {
        const t0 = process.hrtime.bigint();
        await cycle(w);
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    }),
  );
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  latencies.sort((a, b) => a - b);
  const pct = (p: number): number =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  return {
    cycles: latencies.length,
    seconds: elapsed,
    p50Ms: pct(0.5),
    p99Ms: pct(0.99),
    cpuUs: cpu.user + cpu.system,
    latencies,
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const serverUrl = new URL(
    process.env.BENCH_MYSQL_URL ?? process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306',
  );
  const conn = {
    host: serverUrl.hostname,
    port: serverUrl.port === '' ? 3306 : Number(serverUrl.port),
    user: decodeURIComponent(serverUrl.username) || 'root',
    password: decodeURIComponent(serverUrl.password),
  };
  const maxConcurrency = Math.max(...args.concurrency);
  const dbName = `bench_quota_${Date.now().toString(36)}_${uuidv4().slice(0, 8)}`;
  progress(`creating database ${dbName} on ${conn.host}:${conn.port}`);
  const admin = await createConnection(conn).catch((err: unknown) => {
    throw new Error(
      `cannot reach MariaDB at ${conn.host}:${conn.port}: ${err instanceof Error ? err.message : String(err)}`,
    );
  });
  await admin.query(`CREATE DATABASE \`${dbName}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  let ds: DataSource | undefined;
  let pool: Pool | undefined;
  const dropAll = async (): Promise<void> => {
    if (ds?.isInitialized) await ds.destroy();
    await pool?.end();
    await admin.query(`DROP DATABASE IF EXISTS \`${dbName}\``);
    await admin.end();
  };
  process.once('SIGINT', () => {
    progress('interrupted; dropping the database');
    void dropAll().finally(() => process.exit(130));
  });
  try {
    const url = new URL(serverUrl.toString());
    url.pathname = `/${dbName}`;
    url.searchParams.set('max_pool_size', String(maxConcurrency));
    ds = createDataSource(url.toString());
    await ds.initialize();
    await runMigrations(ds);
    pool = createPool({
      ...conn,
      database: dbName,
      connectionLimit: maxConcurrency,
      timezone: 'Z',
      charset: 'utf8mb4',
    });
    let ormRetries = 0;
    const engine = new QuotaEngine(ds, { retry: { onRetry: () => void ormRetries++ } });
    const direct = new DirectQuota(pool);
    const deltas = { volumes: 1, gigabytes: 1 };

    // Projects with unlimited quota and their usage rows already in place (steady state, not first use).
    const projects = Array.from({ length: maxConcurrency }, (_, i) => `bench-project-${i}`);
    const shared = 'bench-project-shared';
    for (const p of [...projects, shared]) {
      await engine.setLimits(p, { volumes: -1, gigabytes: -1 });
      await engine.commit({ projectId: p }, await engine.reserve({ projectId: p }, deltas));
    }

    let completed = 0;
    const rows: Array<Record<string, unknown>> = [];
    for (const mode of args.modes) {
      for (const c of args.concurrency) {
        const project = (w: number): string => (mode === 'shared' ? shared : projects[w]!);
        const retriesBefore = [ormRetries, direct.retries];
        const ormCycle = async (w: number): Promise<void> => {
          const ctx = { projectId: project(w) };
          await engine.commit(ctx, await engine.reserve(ctx, deltas));
          completed++;
        };
        const directCycle = async (w: number): Promise<void> => {
          await direct.commit(project(w), await direct.reserve(project(w), deltas));
          completed++;
        };
        // The machine is shared: alternate the two paths in short slices (order flipped every round)
        // so load that comes and goes hits both alike, then add the slices up.
        const slice = args.seconds / args.rounds;
        const ormSlices: Measurement[] = [];
        const rawSlices: Measurement[] = [];
        progress(`${mode} c=${c}: ${args.rounds} rounds of ORM and mysql2 slices, ${slice.toFixed(2)}s each`);
        for (let r = 0; r < args.rounds; r++) {
          if (r % 2 === 0) {
            ormSlices.push(await measure(c, slice, ormCycle));
            rawSlices.push(await measure(c, slice, directCycle));
          } else {
            rawSlices.push(await measure(c, slice, directCycle));
            ormSlices.push(await measure(c, slice, ormCycle));
          }
        }
        const orm = combine(ormSlices);
        const raw = combine(rawSlices);
        const ormRate = orm.cycles / orm.seconds;
        const rawRate = raw.cycles / raw.seconds;
        const row = {
          bench: 'quota',
          mode,
          concurrency: c,
          ormCyclesPerSec: Math.round(ormRate * 10) / 10,
          directCyclesPerSec: Math.round(rawRate * 10) / 10,
          ratio: Math.round((rawRate / ormRate) * 100) / 100,
          ormP50Ms: round2(orm.p50Ms),
          ormP99Ms: round2(orm.p99Ms),
          directP50Ms: round2(raw.p50Ms),
          directP99Ms: round2(raw.p99Ms),
          // Client CPU per cycle: what the ORM adds on top of mysql2, undisturbed by server-side noise.
          ormCpuUsPerCycle: Math.round(orm.cpuUs / Math.max(1, orm.cycles)),
          directCpuUsPerCycle: Math.round(raw.cpuUs / Math.max(1, raw.cycles)),
          ormLockRetries: ormRetries - retriesBefore[0]!,
          directLockRetries: direct.retries - retriesBefore[1]!,
        };
        rows.push(row);
        if (args.json) process.stdout.write(`${JSON.stringify(row)}\n`);
        progress(
          `${mode} c=${c}: orm ${row.ormCyclesPerSec}/s, direct ${row.directCyclesPerSec}/s, ratio ${row.ratio}, lock retries orm ${row.ormLockRetries} direct ${row.directLockRetries}`,
        );
      }
    }

    // The run must leave usage exact, or the numbers are for a broken engine.
    const [sums] = await ds.query(
      "SELECT COALESCE(SUM(in_use), 0) AS in_use, COALESCE(SUM(reserved), 0) AS reserved FROM quota_usages WHERE resource = 'volumes'",
    );
    const left = await ds.query('SELECT COUNT(*) AS n FROM reservations');
    const expected = projects.length + 1 + completed;
    if (Number(left[0].n) !== 0 || Number(sums.reserved) !== 0 || Number(sums.in_use) !== expected) {
      throw new Error(
        `usage not exact after the run: in_use ${String(sums.in_use)} (expected ${expected}), reserved ${String(sums.reserved)}, reservations left ${String(left[0].n)}`,
      );
    }
    progress(`usage exact after ${completed} cycles`);

    if (!args.json) {
      const header = [
        'mode',
        'conc',
        'ORM cycles/s',
        'mysql2 cycles/s',
        'ratio',
        'ORM p50/p99 ms',
        'mysql2 p50/p99 ms',
        'CPU us/cycle ORM/mysql2',
      ];
      const lines = rows.map((r) => [
        String(r.mode),
        String(r.concurrency),
        String(r.ormCyclesPerSec),
        String(r.directCyclesPerSec),
        `${String(r.ratio)}x`,
        `${String(r.ormP50Ms)}/${String(r.ormP99Ms)}`,
        `${String(r.directP50Ms)}/${String(r.directP99Ms)}`,
        `${String(r.ormCpuUsPerCycle)}/${String(r.directCpuUsPerCycle)}`,
      ]);
      const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
      const fmt = (cols: string[]): string => cols.map((col, i) => col.padStart(widths[i]!)).join('  ');
      process.stdout.write(`quota reserve+commit cycles (ratio = mysql2 rate / ORM rate; goal <= 1.5x)\n`);
      process.stdout.write(`${fmt(header)}\n${lines.map(fmt).join('\n')}\n`);
    }
  } finally {
    progress(`dropping database ${dbName}`);
    await dropAll();
  }
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

main().catch((err: unknown) => {
  process.stderr.write(`[bench:quota] failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
