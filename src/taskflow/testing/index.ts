/**
 * Rollback-scenario harness: checks that a flow undoes what it did, whichever atom fails.
 *
 * For each task of the flow it builds a fresh flow, injects a failure into that task's `execute`, runs it, and
 * compares a snapshot of the state you care about (DB rows, quota usage, files…) taken before and after. Optionally
 * it also injects a failure into a completed task's `revert` (the run then ends in FAILURE, and the report tells
 * which state leaked).
 *
 * @example
 * const results = await runRollbackScenarios({
 *   flow: () => createVolumeFlow(deps, request),
 *   snapshot: async () => ({ volumes: await repo.count(), usage: await quotas.usage('p1') }),
 * });
 * for (const r of results) expect(r).toMatchObject({ flowState: 'REVERTED', restored: true });
 */
import type { Atom } from '../atom';
import { Engine, type EngineOptions } from '../engine/engine';
import type { Flow } from '../flow';
import { Retry } from '../retry';
import { AtomState, type FlowState } from '../states';
import type { Task } from '../task';

/** The error thrown into an atom by the harness. */
export class InjectedFailure extends Error {
  constructor(
    readonly atom: string,
    readonly phase: 'execute' | 'revert',
  ) {
    super(`injected ${phase} failure in '${atom}'`);
    this.name = 'InjectedFailure';
  }
}

/** Options of {@link runRollbackScenarios}. */
export interface RollbackScenarioOptions<S> {
  /** Builds a fresh flow for each scenario (tasks are patched, so never reuse instances across scenarios). */
  flow: () => Flow<object, object> | Promise<Flow<object, object>>;
  /** Engine store, or a function building one per scenario. */
  store?: Readonly<Record<string, unknown>> | (() => Readonly<Record<string, unknown>>);
  /** Snapshot of the state that must be unchanged after a rollback. Must be JSON-comparable unless `equals` is given. */
  snapshot: () => S | Promise<S>;
  /** Runs before each scenario (e.g. reset a database). */
  setup?: () => void | Promise<void>;
  /** Other engine options (executor, backend…). */
  engine?: Omit<EngineOptions, 'store'>;
  /** Only inject into these atoms. Default: every task. */
  atoms?: readonly string[];
  /** Also run scenarios where the last task's execute fails and one earlier task's revert fails. @default false */
  revertFailures?: boolean;
  /** Snapshot comparison. Default: deep equality of the JSON forms. */
  equals?: (before: S, after: S) => boolean;
}

/** Outcome of one scenario. */
export interface RollbackScenarioResult<S> {
  /** e.g. `"execute fails in 'b'"` or `"revert fails in 'a' (execute fails in 'c')"`. */
  scenario: string;
  failAt: string;
  revertFailAt?: string;
  flowState: FlowState;
  /** Atoms whose execute ran, in order. */
  executed: string[];
  /** Atoms that ended REVERTED, in revert order. */
  reverted: string[];
  /** Atoms that ended REVERT_FAILURE. */
  revertFailed: string[];
  atomStates: Record<string, AtomState>;
  /** What `run()` rejected with (undefined if it did not). */
  error: unknown;
  /** Whether the error is (or wraps) the injected failure. */
  failedAsInjected: boolean;
  before: S;
  after: S;
  /** `equals(before, after)`. */
  restored: boolean;
}

function tasksOf(flow: Flow<object, object>): Atom[] {
  return [...flow.iterAtoms()].filter((a) => !(a instanceof Retry));
}

function patchExecute(atom: Atom): void {
  const t = atom as unknown as Task;
  t.execute = () => {
    throw new InjectedFailure(atom.name, 'execute');
  };
}

function patchRevert(atom: Atom): void {
  const t = atom as unknown as Task;
  const orig = t.revert.bind(t);
  t.revert = async (args, ctx) => {
    await orig(args, ctx);
    throw new InjectedFailure(atom.name, 'revert');
  };
}

const jsonEquals = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Runs one scenario per task (execute failure injected there), plus revert-failure scenarios when asked.
 * Resolves to one result per scenario, in flow order; never rejects because of the injected failures.
 */
export async function runRollbackScenarios<S>(
  options: RollbackScenarioOptions<S>,
): Promise<RollbackScenarioResult<S>[]> {
  const probe = await options.flow();
  const names = tasksOf(probe)
    .map((a) => a.name)
    .filter((n) => !options.atoms || options.atoms.includes(n));
  const plans: { failAt: string; revertFailAt?: string }[] = names.map((n) => ({ failAt: n }));
  if (options.revertFailures && names.length > 1) {
    const last = names[names.length - 1]!;
    for (const n of names.slice(0, -1)) plans.push({ failAt: last, revertFailAt: n });
  }
  const equals = options.equals ?? jsonEquals;
  const results: RollbackScenarioResult<S>[] = [];
  for (const plan of plans) {
    await options.setup?.();
    const flow = await options.flow();
    for (const a of tasksOf(flow)) {
      if (a.name === plan.failAt) patchExecute(a);
      if (a.name === plan.revertFailAt) patchRevert(a);
    }
    const store = typeof options.store === 'function' ? options.store() : options.store;
    const engine = new Engine(flow, { ...(options.engine ?? {}), ...(store ? { store } : {}) });
    const executed: string[] = [];
    const reverted: string[] = [];
    engine.atomNotifier.register('RUNNING', (e) => void ('atomName' in e && executed.push(e.atomName)));
    engine.atomNotifier.register('REVERTED', (e) => void ('atomName' in e && reverted.push(e.atomName)));
    const before = await options.snapshot();
    let error: unknown;
    try {
      await engine.run();
    } catch (e) {
      error = e;
    }
    const after = await options.snapshot();
    const states = engine.storage.getAtomStates();
    const injected = (e: unknown): boolean =>
      e instanceof InjectedFailure ||
      (!!e &&
        typeof e === 'object' &&
        Array.isArray((e as { failures?: unknown[] }).failures) &&
        (e as { failures: { error?: unknown }[] }).failures.some((f) => f.error instanceof InjectedFailure));
    results.push({
      scenario: plan.revertFailAt
        ? `revert fails in '${plan.revertFailAt}' (execute fails in '${plan.failAt}')`
        : `execute fails in '${plan.failAt}'`,
      failAt: plan.failAt,
      ...(plan.revertFailAt ? { revertFailAt: plan.revertFailAt } : {}),
      flowState: engine.state,
      executed,
      reverted,
      revertFailed: Object.entries(states)
        .filter(([, s]) => s === AtomState.REVERT_FAILURE)
        .map(([n]) => n),
      atomStates: states,
      error,
      failedAsInjected: injected(error),
      before,
      after,
      restored: equals(before, after),
    });
  }
  return results;
}

/** One line per scenario, for test failure messages and logs. */
export function formatRollbackReport<S>(results: readonly RollbackScenarioResult<S>[]): string {
  return results
    .map(
      (r) =>
        `${r.restored ? 'ok  ' : 'LEAK'} ${r.scenario}: ${r.flowState}; reverted [${r.reverted.join(', ')}]${r.revertFailed.length ? `; revert failed [${r.revertFailed.join(', ')}]` : ''}`,
    )
    .join('\n');
}
