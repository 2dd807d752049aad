/**
 * `npm run bench:api`: the volumes API under load, on MariaDB, with the whole create path measured.
 *
 * The system under test runs in its own process (bench/lib/api-server.ts): the api, scheduler and volume
 * services started by the Launcher and service definitions `npm start` uses, on the in-process transport,
 * the volume service on the FakeDriver, logging json at LOG_LEVEL (default info) to BENCH_LOG_FILE
 * (default /dev/null). This process generates the load (autocannon) and checks the outcome.
 *
 * Cases, on a fresh database `bench_api_<ts>` (migrations applied, dropped at the end):
 *   create c=N   POST /v3/{project}/volumes at concurrency N (one project, unlimited quota): accepted
 *                creates per second and p50/p99 HTTP latency; then the time until every accepted volume
 *                is `available` (the API flow, the scheduler and the volume manager's flow), as creates
 *                to available per second. Every accepted volume must end `available` and the project's
 *                quota usage must equal the volumes created, or the run fails. With the SQL statements
 *                the server sent per create (all three services), the server's CPU per create, how busy
 *                its event loop was, how many transactions locked the project's quota usage rows per create
 *                (two when each create's reserve and commit run alone; fewer when concurrent creates share
 *                them, the quota engine's group commit) and how long each held them (they take turns, so
 *                that bounds creates/s at ~1000 / (tx per create × held)).
 *   floor c=N    the same statements a create needs, straight through mysql2 (bench/lib/create-floor.ts),
 *                at concurrency N on one project, timed together with the create case: the two alternate
 *                in slices of --slice seconds (default 1; `--seconds` each in all), in the order create
 *                floor, floor create, create floor …, and each side's figures come from its own slices
 *                (creates/s = creates / seconds run, p50/p99 over all its requests). So the ratio
 *                ours/floor is taken under the same load on the shared machine (one 5 s run after the
 *                other moved it with every change of load in between), and the ABBA order cancels a
 *                load that drifts steadily; the ratio row gives the spread of the per-pair ratios. The
 *                wait until a slice's volumes are available is timed with the create side (its
 *                to-available), outside both sides' creates/s, and never overlaps a floor slice. Its
 *                quota transactions go as the quota engine sends one operation alone on MariaDB (two
 *                compound statements each; --floor-plain: one statement per round trip, limits read
 *                first); each create has its own, where the engine shares them between concurrent
 *                creates of a project (group commit).
 *   show / list / detail   GET /volumes/{id}, GET /volumes?limit=100, GET /volumes/detail?limit=100 with
 *                --volumes (10,000) volumes present (seeded by SQL).
 *
 * Flags: --json (one JSON object per case on stdout), --seconds N (per create and floor case, default 5),
 * --slice N (seconds per create/floor slice, default 1; with --no-floor the create case runs in one piece),
 * --get-seconds N (per GET case, default 3), --concurrency 1,8,32, --get-concurrency N (default 8),
 * --volumes N (default 10000), --db URL (else BENCH_MYSQL_URL, TEST_MYSQL_URL, mysql://root@127.0.0.1:3306),
 * --no-floor, --floor-plain, --no-get, --server-prof DIR (the server process writes a V8 CPU profile there), --pool N (the
 * server's database pool size, `max_pool_size`; default: the product's).
 * BENCH_SHOW_SQL=1 prints every distinct statement the server sent in each create case, with its count.
 * Progress and the load average go to stderr. Exits non-zero when MariaDB is unreachable or a check fails.
 */
import 'reflect-metadata';
import { fork, type ChildProcess } from 'node:child_process';
import { loadavg, cpus } from 'node:os';
import * as path from 'node:path';
import autocannon from 'autocannon';
import { createConnection, createPool, type Connection, type Pool, type RowDataPacket } from 'mysql2/promise';
import { v4 as uuidv4 } from 'uuid';
import type { DataSource } from 'typeorm';
import { createDataSource, runMigrations } from '../src/db/data-source';
import { QuotaEngine } from '../src/quota';
import { FloorCreate } from './lib/create-floor';
import type { ParentMessage, ServerMessage } from './lib/api-server';
import { statementKind, type QueryCounts } from './lib/query-counter';
import { median, progress, round } from './lib/timing';

interface Options {
  readonly json: boolean;
  readonly seconds: number;
  /** Seconds of each create and floor slice (they alternate; see the file's comment). */
  readonly slice: number;
  readonly getSeconds: number;
  readonly concurrency: readonly number[];
  readonly getConcurrency: number;
  readonly volumes: number;
  readonly dbUrl: string;
  readonly floor: boolean;
  /** The floor sends one statement per round trip (else as the quota engine, see the file's comment). */
  readonly floorPlain: boolean;
  readonly get: boolean;
  readonly serverProf: string | undefined;
  /** The server's `max_pool_size` (undefined: the product's default). */
  readonly pool: number | undefined;
}

function parseArgs(argv: readonly string[]): Options {
  let json = false;
  let seconds = 5;
  let slice = 1;
  let getSeconds = 3;
  let concurrency = [1, 8, 32];
  let getConcurrency = 8;
  let volumes = 10_000;
  let dbUrl =
    process.env['BENCH_MYSQL_URL'] ?? process.env['TEST_MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306';
  let floor = true;
  let floorPlain = false;
  let get = true;
  let serverProf: string | undefined;
  let pool: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--json') json = true;
    else if (arg === '--seconds') seconds = Number(value());
    else if (arg === '--slice') slice = Number(value());
    else if (arg === '--get-seconds') getSeconds = Number(value());
    else if (arg === '--concurrency') concurrency = value().split(',').map(Number);
    else if (arg === '--get-concurrency') getConcurrency = Number(value());
    else if (arg === '--volumes') volumes = Number(value());
    else if (arg === '--db') dbUrl = value();
    else if (arg === '--no-floor') floor = false;
    else if (arg === '--floor-plain') floorPlain = true;
    else if (arg === '--no-get') get = false;
    else if (arg === '--server-prof') serverProf = path.resolve(value());
    else if (arg === '--pool') pool = Number(value());
    else
      throw new Error(
        `unknown argument ${arg} (known: --json, --seconds N, --slice N, --get-seconds N, --concurrency 1,8,32, --get-concurrency N, ` +
          '--volumes N, --db URL, --no-floor, --floor-plain, --no-get, --server-prof DIR, --pool N)',
      );
  }
  if (!(seconds > 0 && seconds <= 300)) throw new Error('--seconds must be in (0, 300]');
  if (!(slice > 0)) throw new Error('--slice must be positive');
  if (!(getSeconds > 0 && getSeconds <= 300)) throw new Error('--get-seconds must be in (0, 300]');
  if (concurrency.length === 0 || concurrency.some((c) => !Number.isInteger(c) || c < 1 || c > 1024)) {
    throw new Error('--concurrency takes integers in [1, 1024]');
  }
  if (!Number.isInteger(getConcurrency) || getConcurrency < 1)
    throw new Error('--get-concurrency must be a positive integer');
  if (!Number.isInteger(volumes) || volumes < 100) throw new Error('--volumes must be an integer >= 100');
  if (pool !== undefined && !(Number.isInteger(pool) && pool >= 1))
    throw new Error('--pool must be a positive integer');
  return {
    json,
    seconds,
    slice,
    getSeconds,
    concurrency,
    getConcurrency,
    volumes,
    dbUrl,
    floor,
    floorPlain,
    get,
    serverProf,
    pool,
  };
}

const load = (): string =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

/** What the server reports of its work (see bench/lib/api-server.ts). */
type ServerUsage = Omit<Extract<ServerMessage, { type: 'queries' }>, 'type'>;

/** The server process: forked, ready once it reports its port. */
class Server {
  private readonly waiting: Array<(m: ServerMessage) => void> = [];
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    child.on('message', (m: ServerMessage) => this.waiting.shift()?.(m));
  }

  static async start(databaseUrl: string, serverProf: string | undefined): Promise<Server> {
    const execArgv = serverProf === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', serverProf];
    const child = fork(path.join(__dirname, 'lib', 'api-server.js'), [], {
      env: { ...process.env, BENCH_DATABASE_URL: databaseUrl, BENCH_COUNT_QUERIES: '1' },
      execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const port = await new Promise<number>((resolve, reject) => {
      child.once('message', (m: ServerMessage) => {
        if (m.type === 'ready') resolve(m.port);
        else reject(new Error(`server failed to start: ${m.type === 'failed' ? m.message : m.type}`));
      });
      child.once('exit', (code) =>
        reject(new Error(`server exited with code ${String(code)} before it was ready`)),
      );
    });
    return new Server(child, port);
  }

  private send(m: ParentMessage): void {
    this.child.send(m);
  }

  resetQueries(): void {
    this.send({ type: 'reset-queries' });
  }

  /**
   * The SQL statements the server sent and the CPU it used since the last reset; its CPU and event loop
   * times since it started.
   */
  queries(): Promise<ServerUsage> {
    return new Promise((resolve) => {
      this.waiting.push((m) =>
        resolve(
          m.type === 'queries'
            ? m
            : {
                counts: {},
                cpuUs: 0,
                elu: 0,
                lock: { transactions: 0, heldMs: 0, waitMs: 0 },
                roundTrips: 0,
                cpuTotalUs: 0,
                eluActiveMs: 0,
                eluIdleMs: 0,
              },
        ),
      );
      this.send({ type: 'queries' });
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.send({ type: 'stop' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }
}

/** Statement counts by kind (the server counts raw SQL text; grouped here). */
function byKind(counts: QueryCounts): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [sql, n] of Object.entries(counts)) {
    const kind = statementKind(sql);
    out[kind] = (out[kind] ?? 0) + n;
  }
  return Object.fromEntries(Object.entries(out).sort(([, a], [, b]) => b - a));
}

function perCreate(
  counts: Record<string, number>,
  creates: number,
): { total: number; kinds: Record<string, number> } {
  const kinds: Record<string, number> = {};
  let total = 0;
  for (const [kind, n] of Object.entries(counts)) {
    kinds[kind] = round(n / creates, 2);
    total += n;
  }
  return { total: round(total / creates, 2), kinds };
}

class CheckFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

interface CreateRow {
  readonly bench: 'api';
  readonly case: 'create';
  readonly concurrency: number;
  readonly accepted: number;
  readonly createsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly secondsToAllAvailable: number;
  readonly toAvailablePerSec: number;
  readonly queriesPerCreate: number;
  /** Queries the server sent per create: statements, but a compound statement counts once. */
  readonly roundTripsPerCreate: number;
  /** CPU the server process used per accepted create, in the slices until all were available (ms). */
  readonly serverCpuMsPerCreate: number;
  /** How busy the server's event loop was (0..1) in the slices, each until its volumes were available. */
  readonly serverEventLoopUtilization: number;
  /**
   * Per transaction that locked the project's quota usage rows: ms from the answer to the locking read
   * to the answer to its COMMIT, and ms waited for the lock. With one project these transactions take
   * turns, so they bound creates/s at about 1000 / (lockTxPerCreate × held).
   */
  readonly lockHeldMsPerTx: number;
  /** Transactions that locked the usage rows, per create: 2 alone (reserve, commit), fewer when batched. */
  readonly lockTxPerCreate: number;
  readonly lockWaitMsPerTx: number;
  /** Load runs the case was timed in (alternating with the floor's), and the seconds of each. */
  readonly slices: number;
  readonly sliceSeconds: number;
  readonly queryKinds: Record<string, number>;
  readonly loadavg: number[];
}

/**
 * Waits until the project has settled: no volume `creating`, no reservation outstanding (a request the
 * load tool stopped waiting for may still be between its reserve and its row), the same number of rows
 * twice 100 ms apart. @returns when that was first seen (ms, Date.now()).
 */
async function waitSettled(
  admin: Connection,
  db: string,
  projectId: string,
  timeoutMs: number,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let candidate: { at: number; rows: number } | undefined;
  for (;;) {
    const [rows] = await admin.query<RowDataPacket[]>(
      `SELECT (SELECT COUNT(*) FROM \`${db}\`.volumes WHERE project_id = ? AND status = 'creating' AND deleted = 0) AS creating, ` +
        `(SELECT COUNT(*) FROM \`${db}\`.reservations WHERE project_id = ?) AS reserving, ` +
        `(SELECT COUNT(*) FROM \`${db}\`.volumes WHERE project_id = ? AND deleted = 0) AS total`,
      [projectId, projectId, projectId],
    );
    const r = rows[0]!;
    if (Number(r['creating']) === 0 && Number(r['reserving']) === 0) {
      const total = Number(r['total']);
      if (candidate !== undefined && candidate.rows === total && Date.now() - candidate.at >= 100)
        return candidate.at;
      if (candidate === undefined || candidate.rows !== total) candidate = { at: Date.now(), rows: total };
    } else {
      candidate = undefined;
    }
    if (Date.now() > deadline) {
      throw new CheckFailed(
        `${projectId}: ${String(r['creating'])} volumes still creating, ${String(r['reserving'])} reservations outstanding after ${timeoutMs / 1000}s`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, candidate === undefined ? 5 : 20));
  }
}

/**
 * Every accepted volume `available`, the quota usage exact. The rows of the project are what the server
 * accepted: the ones seen answered 202 plus at most `inFlight` whose answer the load tool dropped when its
 * time ran out (it stops reading then). @returns how many volumes the project has.
 */
async function verifyCreates(
  admin: Connection,
  db: string,
  projectId: string,
  ids: ReadonlySet<string>,
  inFlight: number,
): Promise<number> {
  const [rows] = await admin.query<RowDataPacket[]>(
    `SELECT id, status FROM \`${db}\`.volumes WHERE project_id = ? AND deleted = 0`,
    [projectId],
  );
  const notAvailable = rows.filter((r) => r['status'] !== 'available');
  const unseen = rows.filter((r) => !ids.has(String(r['id'])));
  const present = new Set(rows.map((r) => String(r['id'])));
  const missing = [...ids].filter((id) => !present.has(id));
  if (notAvailable.length > 0 || unseen.length > inFlight || missing.length > 0) {
    const statuses: Record<string, number> = {};
    for (const r of notAvailable) statuses[String(r['status'])] = (statuses[String(r['status'])] ?? 0) + 1;
    throw new CheckFailed(
      `${projectId}: ${notAvailable.length} accepted volumes did not end available (${JSON.stringify(statuses)}), ` +
        `${missing.length} answered 202 but have no row, ${unseen.length} rows were never answered (at most ${inFlight} can be in flight)`,
    );
  }
  const [usage] = await admin.query<RowDataPacket[]>(
    `SELECT resource, in_use, reserved FROM \`${db}\`.quota_usages WHERE project_id = ? AND resource IN ('volumes', 'gigabytes')`,
    [projectId],
  );
  if (usage.length !== 2)
    throw new CheckFailed(`${projectId}: ${usage.length} usage rows for volumes/gigabytes, expected 2`);
  for (const u of usage) {
    if (Number(u['in_use']) !== rows.length || Number(u['reserved']) !== 0) {
      throw new CheckFailed(
        `${projectId}: quota ${String(u['resource'])} in_use ${String(u['in_use'])} reserved ${String(u['reserved'])}, expected ${rows.length} and 0`,
      );
    }
  }
  const [left] = await admin.query<RowDataPacket[]>(
    `SELECT COUNT(*) AS n FROM \`${db}\`.reservations WHERE project_id = ?`,
    [projectId],
  );
  if (Number(left[0]!['n']) !== 0)
    throw new CheckFailed(`${projectId}: ${String(left[0]!['n'])} reservations left`);
  return rows.length;
}

const CREATE_BODY = JSON.stringify({ volume: { size: 1 } });

/** The p-th quantile of sorted `xs` (0 when empty). */
function quantile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}

/**
 * The create case of one concurrency, timed in slices (see the file's comment): `prepare` once, then
 * `slice(seconds)` any number of times (each a load run, then the wait until every accepted volume is
 * available), then `finish` for the row over all slices. The server's CPU and event loop time count
 * only inside the slices and their waits.
 */
class CreatePhase {
  private readonly ids = new Set<string>();
  private readonly failures: string[] = [];
  private readonly latencies: number[] = [];
  private slices = 0;
  /** Seconds the load tool ran, and from each slice's start until all its volumes were available. */
  private loadSeconds = 0;
  private toAvailableSeconds = 0;
  private cpuUs = 0;
  private eluActiveMs = 0;
  private eluMs = 0;
  private bad = { non2xx: 0, errors: 0, timeouts: 0 };

  constructor(
    private readonly server: Server,
    private readonly admin: Connection,
    private readonly db: string,
    private readonly projectId: string,
    private readonly concurrency: number,
  ) {}

  /** One create first, alone, so the project's quota usage rows exist before the timed part. */
  async prepare(): Promise<void> {
    // Steady state, as for the floor: a project's first concurrent creates are the quota engine's
    // first-use path.
    const first = await fetch(`http://127.0.0.1:${this.server.port}/v3/${this.projectId}/volumes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-auth-token': `bench:${this.projectId}` },
      body: CREATE_BODY,
    });
    if (first.status !== 202)
      throw new CheckFailed(
        `first create of ${this.projectId} answered ${first.status}: ${await first.text()}`,
      );
    this.ids.add(((await first.json()) as { volume: { id: string } }).volume.id);
    await waitSettled(this.admin, this.db, this.projectId, 30_000);
    this.server.resetQueries();
  }

  /** Creates at the phase's concurrency for `seconds`, then waits until they are all available. @returns creates/s */
  async slice(seconds: number): Promise<number> {
    const before = await this.server.queries();
    const t0 = Date.now();
    const ids0 = this.ids.size;
    const result = await new Promise<autocannon.Result>((resolve, reject) => {
      const instance = autocannon(
        {
          url: `http://127.0.0.1:${this.server.port}`,
          connections: this.concurrency,
          duration: seconds,
          requests: [
            {
              method: 'POST',
              path: `/v3/${this.projectId}/volumes`,
              headers: { 'content-type': 'application/json', 'x-auth-token': `bench:${this.projectId}` },
              body: CREATE_BODY,
              onResponse: (status: number, body: string) => {
                if (status === 202) this.ids.add((JSON.parse(body) as { volume: { id: string } }).volume.id);
                else if (this.failures.length < 5) this.failures.push(`${status} ${body.slice(0, 300)}`);
              },
            },
          ],
        },
        (err: unknown, r: autocannon.Result) => (err ? reject(err as Error) : resolve(r)),
      );
      instance.on('response', (_client, _status, _bytes, responseTime) => this.latencies.push(responseTime));
    });
    const settledAt = await waitSettled(this.admin, this.db, this.projectId, 120_000);
    const after = await this.server.queries();
    this.slices++;
    this.loadSeconds += result.duration;
    this.toAvailableSeconds += (settledAt - t0) / 1000;
    this.cpuUs += after.cpuTotalUs - before.cpuTotalUs;
    this.eluActiveMs += after.eluActiveMs - before.eluActiveMs;
    this.eluMs += after.eluActiveMs + after.eluIdleMs - (before.eluActiveMs + before.eluIdleMs);
    this.bad.non2xx += result.non2xx;
    this.bad.errors += result.errors;
    this.bad.timeouts += result.timeouts;
    return (this.ids.size - ids0) / result.duration;
  }

  async finish(sliceSeconds: number): Promise<CreateRow> {
    const { concurrency, projectId } = this;
    const used = await this.server.queries();
    const counts = byKind(used.counts);
    if (process.env['BENCH_SHOW_SQL'] === '1') {
      for (const [sql, n] of Object.entries(used.counts).sort(([, a], [, b]) => b - a))
        progress(`${n}x ${sql.slice(0, 400)}`);
    }
    if (this.bad.non2xx > 0 || this.bad.errors > 0 || this.bad.timeouts > 0) {
      throw new CheckFailed(
        `create c=${concurrency}: ${this.bad.non2xx} non-2xx, ${this.bad.errors} errors, ${this.bad.timeouts} timeouts; first: ${this.failures.join(' | ')}`,
      );
    }
    // The timed creates: every row of the project but the first, untimed one. Each slice's load run
    // may have left up to `concurrency` accepted creates unanswered.
    const accepted =
      (await verifyCreates(this.admin, this.db, projectId, this.ids, concurrency * this.slices)) - 1;
    progress(
      `create c=${concurrency}: ${accepted} accepted in ${this.loadSeconds.toFixed(1)}s (${this.slices} slices), all available ${this.toAvailableSeconds.toFixed(2)}s after their slices started`,
    );
    const q = perCreate(counts, accepted);
    this.latencies.sort((a, b) => a - b);
    return {
      bench: 'api',
      case: 'create',
      concurrency,
      accepted,
      // The rate the load tool saw answered (202s it read / the time it ran).
      createsPerSec: round((this.ids.size - 1) / this.loadSeconds, 1),
      p50Ms: round(quantile(this.latencies, 0.5), 2),
      p99Ms: round(quantile(this.latencies, 0.99), 2),
      maxMs: round(this.latencies.at(-1) ?? 0, 2),
      secondsToAllAvailable: round(this.toAvailableSeconds, 2),
      toAvailablePerSec: round(accepted / this.toAvailableSeconds, 1),
      queriesPerCreate: q.total,
      roundTripsPerCreate: round(used.roundTrips / accepted, 2),
      serverCpuMsPerCreate: round(this.cpuUs / 1000 / accepted, 2),
      serverEventLoopUtilization: round(this.eluActiveMs / Math.max(1, this.eluMs), 2),
      lockHeldMsPerTx: round(used.lock.heldMs / Math.max(1, used.lock.transactions), 2),
      lockWaitMsPerTx: round(used.lock.waitMs / Math.max(1, used.lock.transactions), 2),
      lockTxPerCreate: round(used.lock.transactions / Math.max(1, accepted), 2),
      slices: this.slices,
      sliceSeconds,
      queryKinds: q.kinds,
      loadavg: loadavg().map((x) => round(x, 2)),
    };
  }
}

interface FloorRow {
  readonly bench: 'api';
  readonly case: 'floor';
  readonly concurrency: number;
  readonly creates: number;
  readonly createsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly lockRetries: number;
  /** How the floor sent its quota transactions. */
  readonly quotaStatements: 'compound' | 'plain';
  /** CPU this (client) process used per floor create (ms): what mysql2 alone costs for the statements. */
  readonly cpuMsPerCreate: number;
  /** As CreateRow.lockHeldMsPerTx. */
  readonly lockHeldMsPerTx: number;
  /** Runs it was timed in, alternating with the create case's (as long as its slices). */
  readonly slices: number;
  readonly loadavg: number[];
}

/** The floor of one concurrency, timed in slices as {@link CreatePhase}. */
class FloorPhase {
  private readonly latencies: number[] = [];
  private readonly retries0: number;
  private readonly lock0: { heldMs: number; transactions: number };
  private slices = 0;
  private seconds = 0;
  private cpuUs = 0;

  constructor(
    private readonly floor: FloorCreate,
    private readonly concurrency: number,
  ) {
    this.retries0 = floor.retries;
    this.lock0 = { ...floor.lock };
  }

  /** Floor creates at the phase's concurrency for `seconds`. @returns creates/s */
  async slice(seconds: number): Promise<number> {
    const cpu0 = process.cpuUsage();
    const n0 = this.latencies.length;
    const start = process.hrtime.bigint();
    const deadline = Date.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: this.concurrency }, async () => {
        while (Date.now() < deadline) {
          const t = process.hrtime.bigint();
          await this.floor.create(1);
          this.latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
        }
      }),
    );
    const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    this.slices++;
    this.seconds += elapsed;
    this.cpuUs += cpu.user + cpu.system;
    return (this.latencies.length - n0) / elapsed;
  }

  finish(): FloorRow {
    const { floor, latencies } = this;
    latencies.sort((a, b) => a - b);
    return {
      bench: 'api',
      case: 'floor',
      cpuMsPerCreate: round(this.cpuUs / 1000 / Math.max(1, latencies.length), 2),
      lockHeldMsPerTx: round(
        (floor.lock.heldMs - this.lock0.heldMs) /
          Math.max(1, floor.lock.transactions - this.lock0.transactions),
        2,
      ),
      concurrency: this.concurrency,
      creates: latencies.length,
      createsPerSec: round(latencies.length / this.seconds, 1),
      p50Ms: round(quantile(latencies, 0.5), 2),
      p99Ms: round(quantile(latencies, 0.99), 2),
      lockRetries: floor.retries - this.retries0,
      quotaStatements: floor.quotaStatements,
      slices: this.slices,
      loadavg: loadavg().map((x) => round(x, 2)),
    };
  }
}

interface GetRow {
  readonly bench: 'api';
  readonly case: 'show' | 'list' | 'detail';
  readonly path: string;
  readonly concurrency: number;
  readonly volumesPresent: number;
  readonly requestsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly loadavg: number[];
}

async function getCase(
  server: Server,
  name: GetRow['case'],
  projectId: string,
  ids: readonly string[],
  concurrency: number,
  seconds: number,
): Promise<GetRow> {
  const base = `/v3/${projectId}/volumes`;
  const pathOf =
    name === 'show' ? `${base}/{id}` : name === 'list' ? `${base}?limit=100` : `${base}/detail?limit=100`;
  let bad = 0;
  let firstBad = '';
  let seq = 0;
  const result = await autocannon({
    url: `http://127.0.0.1:${server.port}`,
    connections: concurrency,
    duration: seconds,
    requests: [
      {
        method: 'GET',
        path: name === 'show' ? `${base}/${ids[0]!}` : pathOf,
        headers: { 'x-auth-token': `bench:${projectId}` },
        // Each show asks for another volume (spread over the whole table).
        ...(name === 'show'
          ? {
              setupRequest: (req: autocannon.Request) => ({
                ...req,
                path: `${base}/${ids[(seq++ * 7919) % ids.length]!}`,
              }),
            }
          : {}),
        onResponse: (status: number, body: string) => {
          if (status !== 200) {
            bad++;
            firstBad ||= `${status} ${body.slice(0, 200)}`;
            return;
          }
          if (name !== 'show') {
            const n = (JSON.parse(body) as { volumes: unknown[] }).volumes.length;
            if (n !== 100) {
              bad++;
              firstBad ||= `list returned ${n} volumes, expected 100`;
            }
          }
        },
      },
    ],
  });
  if (bad > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new CheckFailed(
      `${name}: ${bad} bad answers, ${result.errors} errors, ${result.timeouts} timeouts; first: ${firstBad}`,
    );
  }
  progress(
    `${name}: ${result.requests.total} requests, ${round(result.requests.total / result.duration, 1)}/s`,
  );
  return {
    bench: 'api',
    case: name,
    path: pathOf,
    concurrency,
    volumesPresent: ids.length,
    requestsPerSec: round(result.requests.total / result.duration, 1),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    loadavg: loadavg().map((x) => round(x, 2)),
  };
}

/** Inserts `n` available volumes of the default type for `projectId`, in batches. @returns their ids. */
async function seedVolumes(
  pool: Pool,
  projectId: string,
  n: number,
  volumeTypeId: string,
  host: string,
): Promise<string[]> {
  const ids: string[] = [];
  const batch = 1000;
  const base = Date.now() - n * 1000;
  for (let done = 0; done < n; done += batch) {
    const rows: unknown[] = [];
    const count = Math.min(batch, n - done);
    for (let i = 0; i < count; i++) {
      const id = uuidv4();
      ids.push(id);
      const at = new Date(base + (done + i) * 1000);
      rows.push(
        id,
        projectId,
        'bench',
        1,
        'available',
        'detached',
        `seed-${done + i}`,
        null,
        'nova',
        volumeTypeId,
        host,
        at,
        at,
      );
    }
    await pool.query(
      'INSERT INTO volumes (id, project_id, user_id, size, status, attach_status, display_name, display_description, ' +
        'availability_zone, volume_type_id, host, created_at, updated_at, bootable, multiattach, deleted) VALUES ' +
        Array.from({ length: count }, () => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0)').join(', '),
      rows,
    );
  }
  return ids;
}

function printTable(creates: CreateRow[], floors: FloorRow[], gets: GetRow[]): void {
  const out = (line: string): boolean => process.stdout.write(`${line}\n`);
  const table = (header: string[], lines: string[][]): void => {
    const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
    const fmt = (cols: string[]): string => cols.map((c, i) => c.padStart(widths[i]!)).join('  ');
    out(fmt(header));
    for (const l of lines) out(fmt(l));
  };
  out(
    `POST /volumes (one project; to-available = until every accepted volume is available; ratio = ours / mysql2 floor${floors[0] === undefined ? '' : `, its quota transactions ${floors[0].quotaStatements}, timed in ${floors[0].slices} alternating slices of ${creates[0]?.sliceSeconds ?? '?'}s each`})`,
  );
  table(
    [
      'conc',
      'accepted',
      'creates/s',
      'p50 ms',
      'p99 ms',
      'to-available/s',
      'floor/s',
      'floor p99',
      'ratio',
      'ratio avail',
      'queries/create',
      'round trips/create',
      'server cpu ms/create',
      'floor cpu ms/create',
      'lock held ms/tx',
      'lock tx/create',
    ],
    creates.map((c) => {
      const f = floors.find((x) => x.concurrency === c.concurrency);
      return [
        String(c.concurrency),
        String(c.accepted),
        String(c.createsPerSec),
        String(c.p50Ms),
        String(c.p99Ms),
        String(c.toAvailablePerSec),
        f === undefined ? '-' : String(f.createsPerSec),
        f === undefined ? '-' : String(f.p99Ms),
        f === undefined ? '-' : `${round(c.createsPerSec / f.createsPerSec, 2)}x`,
        f === undefined ? '-' : `${round(c.toAvailablePerSec / f.createsPerSec, 2)}x`,
        String(c.queriesPerCreate),
        String(c.roundTripsPerCreate),
        String(c.serverCpuMsPerCreate),
        f === undefined ? '-' : String(f.cpuMsPerCreate),
        `${c.lockHeldMsPerTx}${f === undefined ? '' : ` / floor ${f.lockHeldMsPerTx}`}`,
        String(c.lockTxPerCreate),
      ];
    }),
  );
  if (creates.length > 0) {
    out(`statements per create (c=${creates[0]!.concurrency}): ${JSON.stringify(creates[0]!.queryKinds)}`);
  }
  if (gets.length > 0) {
    out(`GET with ${gets[0]!.volumesPresent} volumes present`);
    table(
      ['case', 'conc', 'req/s', 'p50 ms', 'p99 ms'],
      gets.map((g) => [
        g.path.replace(/^\/v3\/[^/]+/, ''),
        String(g.concurrency),
        String(g.requestsPerSec),
        String(g.p50Ms),
        String(g.p99Ms),
      ]),
    );
  }
  out(`load average ${load()} (${cpus().length} cpus)`);
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const serverUrl = new URL(o.dbUrl);
  const conn = {
    host: serverUrl.hostname,
    port: serverUrl.port === '' ? 3306 : Number(serverUrl.port),
    user: decodeURIComponent(serverUrl.username) || 'root',
    password: decodeURIComponent(serverUrl.password),
  };
  progress(`load average ${load()} (${cpus().length} cpus)`);
  const admin = await createConnection(conn).catch((err: unknown) => {
    throw new Error(
      `cannot reach MariaDB at ${conn.host}:${conn.port}: ${err instanceof Error ? err.message : String(err)}`,
    );
  });
  const db = `bench_api_${Date.now().toString(36)}_${uuidv4().slice(0, 6)}`;
  progress(`creating database ${db} on ${conn.host}:${conn.port}`);
  await admin.query(`CREATE DATABASE \`${db}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  const dbUrl = new URL(serverUrl.toString());
  dbUrl.pathname = `/${db}`;
  let ds: DataSource | undefined;
  let pool: Pool | undefined;
  let server: Server | undefined;
  const cleanup = async (): Promise<void> => {
    await server?.stop().catch(() => undefined);
    if (ds?.isInitialized) await ds.destroy();
    await pool?.end();
    await admin.query(`DROP DATABASE IF EXISTS \`${db}\``);
    await admin.end();
  };
  process.once('SIGINT', () => {
    progress('interrupted; dropping the database');
    void cleanup().finally(() => process.exit(130));
  });
  try {
    ds = createDataSource(dbUrl.toString());
    await ds.initialize();
    await runMigrations(ds);
    const quotas = new QuotaEngine(ds);
    const [type] = await ds.query("SELECT id FROM volume_types WHERE name = '__DEFAULT__' AND deleted = 0");
    const volumeTypeId = String((type as { id: string }).id);
    const maxConc = Math.max(...o.concurrency);
    pool = createPool({ ...conn, database: db, connectionLimit: maxConc, timezone: 'Z', charset: 'utf8mb4' });

    // Project ids are hex, as the API's router (Cinder's) only matches `[0-9a-f-]+` in the path.
    const projectIds = new Map<string, string>();
    const project = (name: string): string => {
      let id = projectIds.get(name);
      if (id === undefined) projectIds.set(name, (id = uuidv4().replace(/-/g, '')));
      return id;
    };
    const projects = [
      'warm',
      ...o.concurrency.map((c) => `c${c}`),
      ...o.concurrency.map((c) => `floor-c${c}`),
      'list',
    ].map(project);
    for (const p of projects) await quotas.setLimits(p, { volumes: -1, gigabytes: -1, snapshots: -1 });

    const serverDbUrl = new URL(dbUrl.toString());
    if (o.pool !== undefined) serverDbUrl.searchParams.set('max_pool_size', String(o.pool));
    server = await Server.start(serverDbUrl.toString(), o.serverProf);
    progress(`server listening on 127.0.0.1:${server.port}`);

    // Warm-up (JIT, pools, caches), on its own project.
    const warm = new CreatePhase(server, admin, db, project('warm'), 4);
    await warm.prepare();
    await warm.slice(1);
    await warm.finish(1);

    const creates: CreateRow[] = [];
    const floors: FloorRow[] = [];
    const gets: GetRow[] = [];
    const emit = (row: object): void => {
      if (o.json) process.stdout.write(`${JSON.stringify(row)}\n`);
    };
    for (const c of o.concurrency) {
      const create = new CreatePhase(server, admin, db, project(`c${c}`), c);
      await create.prepare();
      let floor: FloorPhase | undefined;
      if (o.floor) {
        const floorCreate = new FloorCreate(pool, {
          projectId: project(`floor-c${c}`),
          userId: 'bench',
          volumeTypeId,
          deltas: { volumes: 1, gigabytes: 1, volumes___DEFAULT__: 1, gigabytes___DEFAULT__: 1 },
          host: 'bench@fake#fake',
          availabilityZone: 'nova',
          quotaStatements: o.floorPlain ? 'plain' : 'compound',
        });
        // The usage rows exist before timing (a create through the engine makes them, as for ours).
        await quotas.commit(
          { projectId: project(`floor-c${c}`) },
          await quotas.reserve(
            { projectId: project(`floor-c${c}`) },
            { volumes: 1, gigabytes: 1, volumes___DEFAULT__: 1, gigabytes___DEFAULT__: 1 },
          ),
        );
        await new FloorPhase(floorCreate, c).slice(0.3); // warm-up, not counted
        floor = new FloorPhase(floorCreate, c);
      }
      // The create and floor phases alternate in slices, in the order AB BA AB …, so both see the same
      // load and a drift in it between pairs is cancelled; each side's figures come from its own slices.
      const slices = floor === undefined ? 1 : Math.max(1, Math.round(o.seconds / o.slice));
      const sliceSeconds = o.seconds / slices;
      progress(
        `create c=${c}${floor === undefined ? '' : ' and floor'} for ${o.seconds}s${slices > 1 ? ` in ${slices} slices of ${round(sliceSeconds, 2)}s each` : ''} (load ${load()})`,
      );
      const pairRatios: number[] = [];
      for (let k = 0; k < slices; k++) {
        if (floor === undefined) {
          await create.slice(sliceSeconds);
          continue;
        }
        let ours: number;
        let theirs: number;
        if (k % 2 === 0) {
          ours = await create.slice(sliceSeconds);
          theirs = await floor.slice(sliceSeconds);
        } else {
          theirs = await floor.slice(sliceSeconds);
          ours = await create.slice(sliceSeconds);
        }
        pairRatios.push(ours / theirs);
      }
      const row = await create.finish(sliceSeconds);
      creates.push(row);
      emit(row);
      progress(
        `create c=${c}: ${row.createsPerSec}/s p50 ${row.p50Ms} ms p99 ${row.p99Ms} ms, to available ${row.toAvailablePerSec}/s, ${row.queriesPerCreate} statements/create in ${row.roundTripsPerCreate} round trips, server cpu ${row.serverCpuMsPerCreate} ms/create, event loop ${Math.round(row.serverEventLoopUtilization * 100)}% busy, usage lock held ${row.lockHeldMsPerTx} ms/tx (waited ${row.lockWaitMsPerTx}) in ${row.lockTxPerCreate} tx/create`,
      );
      if (floor !== undefined) {
        const f = floor.finish();
        floors.push(f);
        emit(f);
        pairRatios.sort((a, b) => a - b);
        progress(
          `floor c=${c}: ${f.createsPerSec}/s p50 ${f.p50Ms} ms p99 ${f.p99Ms} ms, cpu ${f.cpuMsPerCreate} ms/create, usage lock held ${f.lockHeldMsPerTx} ms/tx; ratio ${round(row.createsPerSec / f.createsPerSec, 2)} (slice pairs ${round(pairRatios[0]!, 2)}..${round(pairRatios.at(-1)!, 2)})`,
        );
        emit({
          bench: 'api',
          case: 'ratio',
          concurrency: c,
          createsRatio: round(row.createsPerSec / f.createsPerSec, 3),
          toAvailableRatio: round(row.toAvailablePerSec / f.createsPerSec, 3),
          slices,
          pairRatioMin: round(pairRatios[0]!, 3),
          pairRatioMedian: round(median(pairRatios), 3),
          pairRatioMax: round(pairRatios.at(-1)!, 3),
        });
      }
    }

    if (o.get) {
      progress(`seeding ${o.volumes} volumes`);
      const ids = await seedVolumes(pool, project('list'), o.volumes, volumeTypeId, 'bench@fake#fake');
      for (const name of ['show', 'list', 'detail'] as const) {
        const g = await getCase(server, name, project('list'), ids, o.getConcurrency, o.getSeconds);
        gets.push(g);
        emit(g);
      }
    }
    if (!o.json) printTable(creates, floors, gets);
    else
      process.stdout.write(
        `${JSON.stringify({ bench: 'api', case: 'environment', loadavg: loadavg().map((x) => round(x, 2)), cpus: cpus().length })}\n`,
      );
  } finally {
    progress(`stopping the server, dropping ${db}`);
    await cleanup();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`[bench] api failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
