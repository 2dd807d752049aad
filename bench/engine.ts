/**
 * Engine-overhead benchmark: μs per task for our TaskFlow port, optionally side by side with OpenStack TaskFlow 5.0.
 *
 *   npm run bench:engine                              our cases only
 *   npm run bench:engine -- --vs-taskflow             also runs ../shared/peers/taskflow_bench.py (Debian python3)
 *   npm run bench:engine -- --json [--vs-taskflow]    one JSON object per case on stdout
 *   npm run bench:engine -- --quick                   fewer runs (smoke test; also passed to the peer)
 *
 * What is timed per run (as in the peer): engine construction + `run()` (compile, validate, run, revert, rejection).
 * Building the flow objects is not timed. Cases (names shared with the peer where the peer has them):
 *   linear_serial_N          N no-op tasks, task i provides v<i> and requires v<i-1>; serial; N = 10 … 100,000
 *   volume_create_ok         7-task create-volume-shaped flow to SUCCESS
 *   volume_create_revert     same flow, the last task (cast) throws → all 7 atoms REVERTED, run() rejects
 *   unordered_parallel_100   100 independent no-op tasks, parallel executor
 *   unordered_serial_100     the same on the serial executor
 * plus the peak memory (max RSS of a fresh process) of building and running the 100,000-task chain.
 * Progress goes to stderr; figures (or JSON) to stdout.
 */
import { execFile, fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { Engine, LinearFlow, Task, UnorderedFlow, type Flow } from '../src/taskflow';
import { collectGarbage, median, nowUs, progress, round } from './lib/timing';

type Executor = 'serial' | 'parallel';

// --------------------------------------------------------------------------------------------- flows (untimed)

class NoopTask extends Task<Record<string, unknown>, number, Record<never, never>> {
  execute(): number {
    return 1;
  }
}

function buildLinear(n: number): Flow<object, object> {
  const f = new LinearFlow(`linear-${n}`);
  const items: NoopTask[] = [];
  for (let i = 0; i < n; i++) {
    items.push(new NoopTask(`t${i}`, { provides: `v${i}`, requires: i ? [`v${i - 1}`] : [] }));
  }
  f.add(...items);
  return f;
}

function buildUnordered(n: number): Flow<object, object> {
  const f = new UnorderedFlow(`unordered-${n}`);
  const items: NoopTask[] = [];
  for (let i = 0; i < n; i++) items.push(new NoopTask(`u${i}`, { provides: `u${i}` }));
  f.add(...items);
  return f;
}

type Args = Record<string, unknown>;

/** One step of the create-volume-shaped flow: same wiring as the peer's tasks, in-memory no-ops. */
class Step extends Task<Args, unknown, Record<never, never>> {
  constructor(
    name: string,
    requires: readonly string[],
    provides: string | readonly string[] | undefined,
    private readonly fn: (a: Args) => unknown,
    inject?: Record<string, unknown>,
  ) {
    super(name, { requires, provides, inject });
  }
  execute(a: Args): unknown {
    return this.fn(a);
  }
  override revert(): undefined {
    return undefined; // would roll back (reservation, row, committed quota, volume status)
  }
}

function buildVolumeFlow(fail: boolean): Flow<object, object> {
  return new LinearFlow('volume_create_api').add(
    new Step(
      'inject',
      ['raw_request'],
      ['context', 'request'],
      (a) => ({ context: { projectId: 'p1', userId: 'u1' }, request: a['raw_request'] }),
      {
        raw_request: { size: 1, volume_type: 'std' },
      },
    ),
    new Step(
      'extract_request',
      ['context', 'request'],
      ['size', 'volume_type_id', 'availability_zone'],
      (a) => {
        const r = a['request'] as { size: number; volume_type: string };
        return { size: r.size, volume_type_id: r.volume_type, availability_zone: 'nova' };
      },
    ),
    new Step('quota_reserve', ['context', 'size', 'volume_type_id'], 'reservations', () => [
      'reservation-1',
      'reservation-2',
    ]),
    new Step(
      'entry_create',
      ['context', 'size', 'volume_type_id', 'availability_zone'],
      ['volume_id', 'volume_properties'],
      (a) => ({
        volume_id: 'vol-1',
        volume_properties: { size: a['size'], status: 'creating' },
      }),
    ),
    new Step('quota_commit', ['context', 'reservations', 'volume_properties'], undefined, () => undefined),
    new Step('on_failure', ['context', 'volume_id'], undefined, () => undefined),
    new Step('cast', ['context', 'volume_id', 'request'], undefined, () => {
      if (fail) throw new Error('cast failed');
      return undefined;
    }),
  );
}

// --------------------------------------------------------------------------------------------- harness

interface CaseSpec {
  name: string;
  build: () => Flow<object, object>;
  tasks: number;
  executor: Executor;
  expectError?: string;
  warmup: number;
  minRuns: number;
  maxRuns: number;
  /** Stop adding runs once this much time was spent (after minRuns). */
  budgetMs: number;
  /** Final state every atom must reach (checked outside the timed region). */
  atomState: string;
}

interface CaseResult {
  case: string;
  tasks: number;
  runs: number;
  us_per_task: number;
  min_us_per_task: number;
  median_us_per_run: number;
  final_flow_state: string;
}

async function oneRun(flow: Flow<object, object>, spec: CaseSpec): Promise<Engine> {
  const e = new Engine(flow, { executor: spec.executor });
  if (spec.expectError === undefined) {
    await e.run();
  } else {
    try {
      await e.run();
    } catch (err) {
      if (!(err instanceof Error) || err.message !== spec.expectError) throw err;
      return e;
    }
    throw new Error(`${spec.name}: expected the run to reject with '${spec.expectError}'`);
  }
  return e;
}

async function runCase(spec: CaseSpec): Promise<CaseResult> {
  const flow = spec.build();
  for (let i = 0; i < spec.warmup; i++) await oneRun(flow, spec);
  const samples: number[] = [];
  let last: Engine | undefined;
  const t0 = Date.now();
  while (
    samples.length < spec.maxRuns &&
    (samples.length < spec.minRuns || Date.now() - t0 < spec.budgetMs)
  ) {
    if (spec.tasks >= 1000) collectGarbage();
    const s = nowUs();
    last = await oneRun(flow, spec);
    samples.push(nowUs() - s);
  }
  // Sanity check on the last timed run (outside the timed region), like the peer does.
  const states = Object.values(last!.storage.getAtomStates());
  if (states.length !== spec.tasks || states.some((s) => s !== spec.atomState)) {
    throw new Error(
      `${spec.name}: expected ${spec.tasks} atoms ${spec.atomState}, got ${JSON.stringify(countBy(states))}`,
    );
  }
  const med = median(samples);
  return {
    case: spec.name,
    tasks: spec.tasks,
    runs: samples.length,
    us_per_task: round(med / spec.tasks, 3),
    min_us_per_task: round(Math.min(...samples) / spec.tasks, 3),
    median_us_per_run: round(med, 1),
    final_flow_state: last!.storage.getFlowState(),
  };
}

function countBy(xs: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}

function cases(quick: boolean): CaseSpec[] {
  const q = (full: number, small: number) => (quick ? small : full);
  const linear = (n: number, warmup: number, minRuns: number, budgetMs: number): CaseSpec => ({
    name: `linear_serial_${n}`,
    build: () => buildLinear(n),
    tasks: n,
    executor: 'serial',
    warmup,
    minRuns,
    maxRuns: Math.max(minRuns, q(20000, 50)),
    budgetMs,
    atomState: 'SUCCESS',
  });
  return [
    linear(10, q(200, 20), q(41, 5), q(500, 50)),
    linear(100, q(50, 5), q(15, 3), q(500, 50)),
    linear(1000, q(5, 1), q(5, 3), q(1000, 100)),
    linear(10000, q(2, 1), q(5, 2), q(2000, 100)),
    linear(100000, 1, q(3, 1), 0),
    {
      name: 'volume_create_ok',
      build: () => buildVolumeFlow(false),
      tasks: 7,
      executor: 'serial',
      warmup: q(300, 20),
      minRuns: q(301, 20),
      maxRuns: 100000,
      budgetMs: q(500, 50),
      atomState: 'SUCCESS',
    },
    {
      name: 'volume_create_revert',
      build: () => buildVolumeFlow(true),
      tasks: 7,
      executor: 'serial',
      expectError: 'cast failed',
      warmup: q(300, 20),
      minRuns: q(301, 20),
      maxRuns: 100000,
      budgetMs: q(500, 50),
      atomState: 'REVERTED',
    },
    {
      name: 'unordered_parallel_100',
      build: () => buildUnordered(100),
      tasks: 100,
      executor: 'parallel',
      warmup: q(50, 5),
      minRuns: q(21, 3),
      maxRuns: 20000,
      budgetMs: q(500, 50),
      atomState: 'SUCCESS',
    },
    {
      name: 'unordered_serial_100',
      build: () => buildUnordered(100),
      tasks: 100,
      executor: 'serial',
      warmup: q(50, 5),
      minRuns: q(21, 3),
      maxRuns: 20000,
      budgetMs: q(500, 50),
      atomState: 'SUCCESS',
    },
  ];
}

// --------------------------------------------------------------------------------------------- memory (child)

interface MemoryResult {
  tasks: number;
  baseline_rss_mb: number;
  peak_rss_mb: number;
  heap_used_after_run_mb: number;
  wall_ms: number;
}

const MB = 1024 * 1024;

/** In a fresh process: build and run the 100,000 chain once; report the peak RSS (the process high-water mark). */
async function memoryChild(n: number): Promise<void> {
  collectGarbage();
  const baseline = process.memoryUsage().rss;
  const t0 = Date.now();
  const flow = buildLinear(n);
  const e = new Engine(flow);
  await e.run();
  const heapUsed = process.memoryUsage().heapUsed;
  const states = Object.values(e.storage.getAtomStates());
  if (states.length !== n || states.some((s) => s !== 'SUCCESS'))
    throw new Error('memory run did not succeed');
  const out: MemoryResult = {
    tasks: n,
    baseline_rss_mb: round(baseline / MB, 1),
    peak_rss_mb: round((process.resourceUsage().maxRSS * 1024) / MB, 1),
    heap_used_after_run_mb: round(heapUsed / MB, 1),
    wall_ms: Date.now() - t0,
  };
  process.send?.(out);
}

function measureMemory(n: number): Promise<MemoryResult> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, ['--memory-child', String(n)], {
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    let got: MemoryResult | undefined;
    child.on('message', (m) => {
      got = m as MemoryResult;
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      got ? resolve(got) : reject(new Error(`memory child exited with ${String(code)}`)),
    );
  });
}

// --------------------------------------------------------------------------------------------- the TaskFlow peer

interface PeerLine {
  case: string;
  median_us_per_task?: number;
  runs?: number;
  budget_cut?: boolean;
  [k: string]: unknown;
}

const PYTHON = '/usr/bin/python3';

function peerPath(): string {
  // dist/bench/engine.js → repo root is two levels up; the peer lives next to the repo in ../shared/peers.
  const root = path.resolve(__dirname, '..', '..');
  return path.resolve(root, '..', 'shared', 'peers', 'taskflow_bench.py');
}

function runPeer(quick: boolean): Promise<Map<string, PeerLine> | string> {
  const script = peerPath();
  if (!fs.existsSync(script))
    return Promise.resolve(
      `TaskFlow peer not found at ${script}; running without the side-by-side comparison`,
    );
  if (!fs.existsSync(PYTHON))
    return Promise.resolve(
      `${PYTHON} not found; install python3-taskflow (apt-get install python3-taskflow) for --vs-taskflow`,
    );
  progress(`running the TaskFlow 5.0 peer: ${PYTHON} ${script}${quick ? ' --quick' : ''} (up to ~2 minutes)`);
  return new Promise((resolve) => {
    const child = execFile(
      PYTHON,
      [script, ...(quick ? ['--quick'] : [])],
      { maxBuffer: 16 * MB, timeout: 5 * 60 * 1000 },
      (err, stdout, stderr) => {
        if (err) {
          resolve(
            `TaskFlow peer failed (${err.message.split('\n')[0]}); ${stderr.toString().trim().split('\n').slice(-1)[0] ?? ''}`,
          );
          return;
        }
        const out = new Map<string, PeerLine>();
        for (const line of stdout.toString().split('\n')) {
          if (!line.trim()) continue;
          try {
            const j = JSON.parse(line) as PeerLine;
            if (typeof j.case === 'string') out.set(j.case, j);
          } catch {
            /* not a JSON line */
          }
        }
        resolve(out);
      },
    );
    child.stdout?.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n')) {
        const m = /"case": "([^"]+)"/.exec(line);
        if (m && !m[1]!.startsWith('_')) progress(`  TaskFlow ${m[1]} done`);
      }
    });
  });
}

// --------------------------------------------------------------------------------------------- main

interface Row {
  case: string;
  us_per_task: number | null;
  taskflow_us_per_task: number | null;
  ratio: number | null;
  [k: string]: unknown;
}

function pad(s: string, n: number, right = false): string {
  return right ? s.padStart(n) : s.padEnd(n);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--memory-child') {
    await memoryChild(Number(argv[1]));
    return;
  }
  const json = argv.includes('--json');
  const vs = argv.includes('--vs-taskflow');
  const quick = argv.includes('--quick');
  const unknown = argv.filter((a) => !['--json', '--vs-taskflow', '--quick'].includes(a));
  if (unknown.length) {
    process.stderr.write(
      `unknown option(s): ${unknown.join(' ')}\nusage: node dist/bench/engine.js [--vs-taskflow] [--json] [--quick]\n`,
    );
    process.exitCode = 2;
    return;
  }

  progress(`node ${process.version}, ${quick ? 'quick' : 'full'} run${vs ? ', with the TaskFlow peer' : ''}`);
  const results: CaseResult[] = [];
  for (const spec of cases(quick)) {
    progress(`${spec.name}: ${spec.tasks} tasks, ${spec.executor} executor …`);
    const r = await runCase(spec);
    progress(`${spec.name}: ${r.us_per_task} μs/task (median of ${r.runs} runs)`);
    results.push(r);
  }
  progress('peak memory of the 100,000-task chain (fresh process) …');
  const mem = await measureMemory(100000);
  progress(`peak RSS ${mem.peak_rss_mb} MB (baseline ${mem.baseline_rss_mb} MB)`);

  let peer: Map<string, PeerLine> | undefined;
  let peerNote: string | undefined;
  if (vs) {
    const p = await runPeer(quick);
    if (typeof p === 'string') {
      peerNote = p;
      progress(p);
    } else peer = p;
  }

  const rows: Row[] = results.map((r) => {
    const t = peer?.get(r.case)?.median_us_per_task;
    const row: Row = {
      case: r.case,
      us_per_task: r.us_per_task,
      taskflow_us_per_task: typeof t === 'number' ? t : null,
      ratio: typeof t === 'number' && r.us_per_task > 0 ? round(t / r.us_per_task, 1) : null,
    };
    if (r.case === 'linear_serial_100000') {
      row['peak_rss_mb'] = mem.peak_rss_mb;
      row['heap_used_after_run_mb'] = mem.heap_used_after_run_mb;
    }
    return row;
  });

  const by = new Map(results.map((r) => [r.case, r]));
  const lin10 = by.get('linear_serial_10')!.us_per_task;
  const lin10k = by.get('linear_serial_10000')!.us_per_task;
  const linearity = round(lin10k / lin10, 2);

  if (json) {
    for (const row of rows) process.stdout.write(`${JSON.stringify(row)}\n`);
    progress(`linearity: μs/task at N=10,000 is ${linearity}× N=10 (target ≤ 2)`);
    if (peerNote) progress(peerNote);
    return;
  }

  const lines: string[] = [];
  lines.push('');
  lines.push(
    `${pad('case', 24)} ${pad('runs', 6, true)} ${pad('μs/task', 10, true)} ${pad('TaskFlow μs/task', 17, true)} ${pad('ratio', 9, true)}`,
  );
  for (const row of rows) {
    const r = by.get(row.case)!;
    lines.push(
      `${pad(row.case, 24)} ${pad(String(r.runs), 6, true)} ${pad(row.us_per_task!.toFixed(3), 10, true)} ${pad(row.taskflow_us_per_task === null ? '—' : row.taskflow_us_per_task.toFixed(2), 17, true)} ${pad(row.ratio === null ? '—' : `${row.ratio}×`, 9, true)}`,
    );
  }
  lines.push('');
  lines.push(`linearity: μs/task at N=10,000 = ${lin10k} vs N=10 = ${lin10} → ${linearity}× (target ≤ 2×)`);
  lines.push(
    `peak memory, 100,000-task chain (fresh process, build + run): max RSS ${mem.peak_rss_mb} MB (baseline ${mem.baseline_rss_mb} MB), heap used after the run ${mem.heap_used_after_run_mb} MB, ${mem.wall_ms} ms`,
  );
  if (peer) {
    const shared = rows.filter((r) => r.ratio !== null);
    const worst = shared.reduce<Row | undefined>((w, r) => (!w || r.ratio! < w.ratio! ? r : w), undefined);
    lines.push(
      `TaskFlow peer: ${shared.length} shared cases; lowest ratio ${worst ? `${worst.ratio}× (${worst.case})` : '—'} (target ≥ 100×)`,
    );
    const budgetCut = [...peer.values()].filter((p) => p.budget_cut);
    if (budgetCut.length) lines.push(`  (peer budget guard cut: ${budgetCut.map((p) => p.case).join(', ')})`);
  } else if (peerNote) lines.push(peerNote);
  else lines.push('(run with --vs-taskflow for the side-by-side ratios against TaskFlow 5.0)');
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(
    `bench:engine failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exitCode = 1;
});
