/**
 * Conformance harness: replays the scenarios recorded with real TaskFlow 5.0 (python/*.json) on our engine and
 * records the same observables (atom and flow events, every execute/revert call with its arguments, result and
 * flow failures, the rejection, final states, stored results) in the same shape as python/common.py does.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import {
  AlwaysRevert,
  AlwaysRevertAll,
  type Decision,
  Engine,
  Failure,
  ForEach,
  type History,
  MissingDependencies,
  ParameterizedForEach,
  type RetryOptions,
  type RetryRevertArgs,
  type RevertArgs,
  Task,
  Times,
  WrappedFailure,
  type EngineOptions,
  type Flow,
} from '../../../../src/taskflow';

/** The error our fake tasks throw (Python's `common.Boom`). */
export class Boom extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Boom';
  }
}

/** A recorded execute/revert/retry call. */
export type Call = Record<string, unknown> & { op: string; atom: string };

/** JSON view of a value handed to a task or stored, the same as python/common.py `ser`. */
export function ser(v: unknown): unknown {
  if (v instanceof Failure) return { failure: v.exceptionType, message: v.message };
  if (v === undefined || v === null) return null;
  if (Array.isArray(v)) return v.map(ser);
  if (typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = ser(x);
    return out;
  }
  return v;
}

/** Python class names carry their module (`common.Boom`, `taskflow.exceptions.NotFound`); ours do not. */
export function normalise<T>(v: T): T {
  if (typeof v === 'string') return v.replace(/^(common|taskflow\.exceptions)\./, '') as unknown as T;
  if (Array.isArray(v)) return v.map(normalise) as unknown as T;
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = normalise(x);
    return out as T;
  }
  return v;
}

/** One recorded TaskFlow scenario (fields present depend on the scenario). */
export interface Recorded {
  raised?: {
    class: string;
    message: string;
    inner?: { class: string; message: string }[];
    missing?: string[];
    at?: string;
  } | null;
  events?: string[];
  flow_events?: string[];
  calls?: Call[];
  flow_state?: string;
  atom_states?: Record<string, string>;
  results?: Record<string, unknown>;
  [k: string]: unknown;
}

/** Loads python/<area>.json (normalised). */
export function loadRecorded(area: string): Record<string, Recorded> {
  const file = path.join(__dirname, 'python', `${area}.json`);
  const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as { scenarios: Record<string, Recorded> };
  return normalise(doc.scenarios);
}

export interface TSpec {
  ret?: unknown;
  /** Message to throw from execute (or a function of the args giving one, or nothing to succeed). */
  fail?: string | ((args: Record<string, unknown>) => string | undefined);
  revertFail?: string;
  requires?: readonly string[];
  optional?: readonly string[];
  provides?: string | readonly string[];
  rebind?: Readonly<Record<string, string>> | readonly string[];
  inject?: Readonly<Record<string, unknown>>;
  /** Called inside execute after recording (e.g. to suspend the engine). */
  during?: () => void;
  /** Called inside revert after recording. */
  duringRevert?: () => void;
}

/** Records calls of one scenario. */
export class Recorder {
  readonly calls: Call[] = [];

  /** A recording task like python/common.py `T`. `ret` may be a function of the args. */
  t(name: string, spec: TSpec = {}): RecTask {
    return new RecTask(this, name, spec);
  }
}

export class RecTask extends Task<Record<string, unknown>, unknown, {}> {
  constructor(
    private readonly rec: Recorder,
    name: string,
    private readonly spec: TSpec,
  ) {
    super(name, {
      requires: spec.requires,
      optional: spec.optional,
      provides: spec.provides,
      rebind: spec.rebind,
      inject: spec.inject,
    });
  }

  execute(args: Record<string, unknown>): unknown {
    this.rec.calls.push({ op: 'execute', atom: this.name, args: ser(args) });
    this.spec.during?.();
    const f = typeof this.spec.fail === 'function' ? this.spec.fail(args) : this.spec.fail;
    if (f !== undefined && f !== null) throw new Boom(f);
    const r = this.spec.ret;
    return typeof r === 'function' ? (r as (a: Record<string, unknown>) => unknown)(args) : r;
  }

  override revert(a: RevertArgs<Record<string, unknown>, unknown>): unknown {
    const ff: Record<string, unknown> = {};
    for (const k of Object.keys(a.flowFailures).sort()) ff[k] = ser(a.flowFailures[k]);
    this.rec.calls.push({
      op: 'revert',
      atom: this.name,
      args: ser(a.args),
      result: ser(a.result),
      flow_failures: ff,
    });
    this.spec.duringRevert?.();
    if (this.spec.revertFail !== undefined) throw new Boom(this.spec.revertFail);
    return undefined;
  }
}

/** History as python/retries.py `hist_view` records it. */
export function histView(h: History): { result: unknown; failures: string[] }[] {
  return [...h].map((a) => ({ result: ser(a.result), failures: Object.keys(a.failures).sort() }));
}

type RetryCtor = new (
  ...args: never[]
) => Times | ForEach | ParameterizedForEach | AlwaysRevert | AlwaysRevertAll;

/** Wraps a retry controller class so execute/onFailure/revert are recorded like python/retries.py does. */
function recording<C extends RetryCtor>(
  Base: C,
  rec: Recorder,
  ...ctorArgs: ConstructorParameters<C>
): InstanceType<C> {
  const r = new Base(...ctorArgs) as InstanceType<C>;
  const execute = r.execute.bind(r) as (args: never, history: History) => unknown;
  const onFailure = r.onFailure.bind(r) as (history: History, args: never) => Decision;
  const revert = r.revert.bind(r) as (a: RetryRevertArgs<never>) => unknown;
  Object.assign(r, {
    execute(args: Record<string, unknown>, history: History) {
      const out = execute(args as never, history);
      rec.calls.push({
        op: 'retry-execute',
        atom: r.name,
        history_len: history.length,
        args: ser(args),
        result: ser(out),
      });
      return out;
    },
    onFailure(history: History, args: Record<string, unknown>) {
      const d = onFailure(history, args as never);
      rec.calls.push({
        op: 'on_failure',
        atom: r.name,
        history: histView(history),
        decision: `Decision.${d}`,
      });
      return d;
    },
    revert(a: RetryRevertArgs<Record<string, unknown>>) {
      rec.calls.push({ op: 'retry-revert', atom: r.name, history: histView(a.history) });
      return revert(a as never);
    },
  });
  return r;
}

export const retries = {
  times: (rec: Recorder, attempts: number, o: RetryOptions) =>
    recording(Times, rec, attempts as never, o as never),
  forEach: (rec: Recorder, values: unknown[], o: RetryOptions) =>
    recording(ForEach, rec, values as never, o as never),
  pForEach: (rec: Recorder, o: RetryOptions) => recording(ParameterizedForEach, rec, o as never),
  alwaysRevert: (rec: Recorder, o: RetryOptions) => recording(AlwaysRevert, rec, o as never),
  alwaysRevertAll: (rec: Recorder, o: RetryOptions) => recording(AlwaysRevertAll, rec, o as never),
};

export interface ErrView {
  class: string;
  message: string;
  inner?: { class: string; message: string }[];
  error: unknown;
}

export function errView(e: unknown): ErrView {
  const cls = e instanceof Error ? e.name : typeof e;
  const out: ErrView = { class: cls, message: e instanceof Error ? e.message : String(e), error: e };
  if (e instanceof WrappedFailure) {
    out.inner = e.failures
      .map((f) => ({ class: f.exceptionType, message: f.message }))
      .sort((a, b) => a.message.localeCompare(b.message));
  }
  return out;
}

/** What one run of a scenario shows. */
export interface Observed {
  raised: ErrView | null;
  events: string[];
  flow_events: string[];
  calls: Call[];
  flow_state: string;
  atom_states: Record<string, string>;
  results: unknown;
  engine: Engine;
}

/** Attaches event capture to an engine; returns the live arrays. */
export function listen(e: Engine): { events: string[]; flowEvents: string[]; stop: () => void } {
  const events: string[] = [];
  const flowEvents: string[] = [];
  const offFlow = e.notifier.register('*', (ev) => flowEvents.push(ev.state));
  const offAtom = e.atomNotifier.register('*', (ev) => {
    if ('state' in ev) events.push(`${ev.atomName} ${ev.state}`);
  });
  return {
    events,
    flowEvents,
    stop: () => {
      offFlow();
      offAtom();
    },
  };
}

/** Runs an engine once and captures everything (calls come from the recorder; they are reset first). */
export async function runEngine(e: Engine, rec: Recorder): Promise<Observed> {
  rec.calls.length = 0;
  const { events, flowEvents, stop } = listen(e);
  let raised: ErrView | null = null;
  try {
    await e.run();
  } catch (err) {
    raised = errView(err);
  } finally {
    stop();
  }
  let results: unknown;
  try {
    results = ser(e.storage.fetchAll());
  } catch (err) {
    results = { error: errView(err) };
  }
  return {
    raised,
    events,
    flow_events: flowEvents,
    calls: [...rec.calls],
    flow_state: e.storage.getFlowState(),
    atom_states: { ...e.storage.getAtomStates() },
    results,
    engine: e,
  };
}

/** Loads a flow into an engine with options and runs it. */
export async function run(
  flow: Flow<object, object>,
  rec: Recorder,
  options: EngineOptions = {},
): Promise<Observed> {
  const e = new Engine(flow, options);
  return runEngine(e, rec);
}

/** Per-atom projection of an event list (what unordered/graph siblings guarantee regardless of interleaving). */
export function perAtom(events: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const ev of events) {
    const [atom, state] = ev.split(' ') as [string, string];
    (out[atom] ??= []).push(state);
  }
  return out;
}

/** Per-atom projection of calls. */
export function callsPerAtom(calls: readonly Call[]): Record<string, Call[]> {
  const out: Record<string, Call[]> = {};
  for (const c of calls) (out[c.atom] ??= []).push(c);
  return out;
}

/** Index of an event in a list (throws a readable error when absent). */
export function at(events: readonly string[], ev: string, from = 0): number {
  const i = events.indexOf(ev, from);
  if (i < 0) throw new Error(`event '${ev}' not found in [${events.join(', ')}]`);
  return i;
}

/** The error view of a recorded/observed rejection without the live error. */
export function shape(r: ErrView | null): Omit<ErrView, 'error'> | null {
  if (!r) return null;
  const { error: _e, ...rest } = r;
  return rest;
}

export { MissingDependencies };

/** Both executors: every scenario must behave the same on each (TaskFlow's serial and parallel engines do). */
export const EXECUTORS = ['serial', 'parallel'] as const;
