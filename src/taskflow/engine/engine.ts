import { randomUUID } from 'node:crypto';
import type { Atom } from '../atom';
import {
  AmbiguousDependency,
  EngineTimeout,
  InvalidState,
  MissingDependencies,
  NotFound,
  StorageFailure,
  WrappedFailure,
} from '../errors';
import { Failure, type FailureJSON, type Outcome } from '../failure';
import { Flow as FlowBase, type Flow } from '../flow';
import {
  Notifier,
  type AtomEvent,
  type AtomNotifier,
  type FlowEvent,
  type FlowNotifier,
  type ProgressEvent,
} from '../listeners/notifier';
import type { PersistenceBackend } from '../persistence/backend';
import type { AtomDetail, FlowDetail, LogBook } from '../persistence/models';
import { Decision, History, type Retry, type RetryAttempt } from '../retry';
import { AtomState, FlowState, Intention, checkFlowTransition } from '../states';
import type { Task, TaskContext } from '../task';
import type { NeedsOf, RequiredKeys, StoreFor } from '../typing';
import { compile, type Compilation } from './compiler';

/** Engine options (TaskFlow's engine options, camelCased). */
export interface EngineOptions {
  /** Initial values (TaskFlow's `store`): visible to every atom; win over values provided by atoms. */
  store?: Readonly<Record<string, unknown>>;
  /** `'serial'` (default): one atom at a time. `'parallel'`: independent atoms run concurrently (promise concurrency). */
  executor?: 'serial' | 'parallel';
  /** Parallel executor: most atoms running at once. @default 64 */
  maxWorkers?: number;
  /** Where every transition is written. Without one, state lives in memory only. */
  backend?: PersistenceBackend;
  /** Flow detail to resume from / write into (e.g. from `backend.getFlowDetail(uuid)`). Default: a new one. */
  flowDetail?: FlowDetail;
  /** Logbook the new flow detail is saved under (with a backend). Default: a new logbook named after the flow. */
  logBook?: LogBook;
  /** A sub-flow retry that decides REVERT never lets a parent retry take over when false; when true, REVERT always defers to the parent's resolution. @default false */
  deferReverts?: boolean;
  /** Do not revert on failure: the flow ends in FAILURE right after the first failure. @default false */
  neverResolve?: boolean;
  /**
   * When a revert throws, TaskFlow stops reverting (that atom REVERT_FAILURE, the flow FAILURE, the revert error is
   * rethrown, here with the original error as its `cause`). With this option the engine keeps reverting the other atoms and finally rejects with a
   * {@link WrappedFailure} holding every execute and revert failure. @default false
   */
  continueRevertOnFailure?: boolean;
  /** Whole-run deadline: afterwards no new atom starts, running ones finish, the flow is SUSPENDED and `run()` rejects with {@link EngineTimeout}. */
  timeoutMs?: number;
}

/** `options` argument of {@link Engine}: `store` is required (and exactly typed) when the flow declares needs. */
export type EngineArgs<F> = [RequiredKeys<NeedsOf<F>>] extends [never]
  ? [options?: Omit<EngineOptions, 'store'> & { store?: StoreFor<F> }]
  : [options: Omit<EngineOptions, 'store'> & { store: StoreFor<F> }];

const S_PENDING = AtomState.PENDING;
const ENGINE_PROGRESS: Partial<Record<AtomState, number>> = {
  RUNNING: 0,
  REVERTING: 0,
  PENDING: 0,
  IGNORE: 0,
  SUCCESS: 1,
  REVERTED: 1,
};

interface Running {
  i: number;
  revert: boolean;
  args: Record<string, unknown>;
}

/**
 * Read access to a run's storage (TaskFlow's `engine.storage`): stored results by name, atom states, failures.
 */
export class EngineStorage {
  /** @internal */
  constructor(private readonly e: Engine<Flow<object, object>>) {}
  /** The value stored under `name` (store first, then atom results). Throws {@link NotFound}. */
  fetch(name: string): unknown {
    return this.e._fetch(name);
  }
  /** Every name with a value: the store and each SUCCESS atom's provides. */
  fetchAll(): Record<string, unknown> {
    return this.e._fetchAll();
  }
  /** An atom's execute result (when SUCCESS) or Failure (when FAILURE). Throws {@link NotFound}. */
  get(atomName: string): unknown {
    return this.e._get(atomName);
  }
  getAtomState(atomName: string): AtomState {
    return this.e._atomState(atomName);
  }
  getAtomIntention(atomName: string): Intention {
    return this.e._atomIntention(atomName);
  }
  /** States of all atoms by name. */
  getAtomStates(): Record<string, AtomState> {
    return this.e._atomStates();
  }
  getFlowState(): FlowState {
    return this.e.state;
  }
  /** Execute failures of this run by atom name. */
  getFailures(): Record<string, Failure> {
    return this.e._failures(false);
  }
  /** Revert failures of this run by atom name. */
  getRevertFailures(): Record<string, Failure> {
    return this.e._failures(true);
  }
  /** What an atom's revert returned (when REVERTED). */
  getRevertResult(atomName: string): unknown {
    return this.e._revertResult(atomName);
  }
  /** A retry controller's history. */
  getRetryHistory(retryName: string): History {
    return this.e._history(retryName);
  }
  /** Adds or replaces store values (before or between runs). */
  inject(values: Readonly<Record<string, unknown>>): void {
    this.e._inject(values);
  }
}

/**
 * Runs a flow with TaskFlow's action-engine semantics: validate, then execute atoms as their predecessors finish;
 * on failure consult retry controllers and revert in reverse order; persist every transition when a backend is given.
 *
 * @example
 * const engine = new Engine(flow, { store: { sizeGb: 1 }, executor: 'parallel' });
 * await engine.run();
 * engine.storage.fetch('volumeId');
 */
export class Engine<F extends Flow<object, object> = Flow<object, object>> {
  /** Flow state notifications: `notifier.register(FlowState.SUCCESS | '*', cb)`. */
  readonly notifier: FlowNotifier = new Notifier<FlowEvent, FlowState>();
  /** Atom state notifications: `atomNotifier.register(AtomState.FAILURE | '*' | 'progress', cb)`. */
  readonly atomNotifier: AtomNotifier = new Notifier<AtomEvent | ProgressEvent, AtomState | 'progress'>();
  /** Read access to results and states. */
  readonly storage: EngineStorage = new EngineStorage(this as unknown as Engine<Flow<object, object>>);
  readonly options: Readonly<EngineOptions>;

  private comp: Compilation | undefined;
  private validated = false;
  private flowState: FlowState = FlowState.PENDING;
  private readonly flowUuid: string;
  private readonly flowName: string;
  private store: Record<string, unknown>;
  private storeKeys: Set<string>;
  // per-atom runtime state
  private st: AtomState[] = [];
  private intent: Intention[] = [];
  private res: unknown[] = [];
  private fail: (Failure | undefined)[] = [];
  private rres: unknown[] = [];
  private rfail: (Failure | undefined)[] = [];
  private uuids: (string | undefined)[] = [];
  private hist: (RetryAttempt[] | undefined)[] = [];
  private meta: (Record<string, unknown> | undefined)[] = [];
  private execFailCache = new Map<string, Failure>();
  private revertFailCache = new Map<string, Failure>();
  private loaded: FlowDetail | undefined;
  private running = false;
  // persistence
  private readonly backend: PersistenceBackend | undefined;
  private bookUuid: string | undefined;
  private persistChain: Promise<void> = Promise.resolve();
  private persistError: unknown;
  private flowSaved = false;
  private dirty = new Set<number>();
  private flowDirty = false;
  // scheduling
  private wake: (() => void) | undefined;
  private doneQ: { i: number; revert: boolean; ok: boolean; value: unknown }[] = [];
  private inflight = 0;
  private queued: Running[] = [];
  private qHead = 0;
  private timedOut = false;

  constructor(
    readonly flow: F,
    ...args: EngineArgs<F>
  ) {
    if (!(flow instanceof FlowBase))
      throw new TypeError('Engine needs a flow (LinearFlow, UnorderedFlow or GraphFlow)');
    const options: EngineOptions = (args[0] as EngineOptions | undefined) ?? {};
    if (options.executor !== undefined && options.executor !== 'serial' && options.executor !== 'parallel') {
      throw new TypeError(`unknown executor '${String(options.executor)}' (expected 'serial' or 'parallel')`);
    }
    if (options.store !== undefined && (options.store === null || typeof options.store !== 'object'))
      throw new TypeError('store must be an object');
    this.options = options;
    this.backend = options.backend;
    this.flowName = flow.name;
    this.loaded = options.flowDetail;
    this.flowUuid = this.loaded?.uuid ?? randomUUID();
    const storedStore = (this.loaded?.meta?.['store'] as Record<string, unknown> | undefined) ?? {};
    this.store = { ...storedStore, ...(options.store ?? {}) };
    this.storeKeys = new Set(Object.keys(this.store));
    const storedBook = this.loaded?.meta?.['bookUuid'];
    this.bookUuid = options.logBook?.uuid ?? (typeof storedBook === 'string' ? storedBook : undefined);
  }

  /** Current flow state. */
  get state(): FlowState {
    return this.flowState;
  }
  /** UUID of this run's flow detail. */
  get uuid(): string {
    return this.flowUuid;
  }
  /** The compiled flow (compiles on first use). */
  get compilation(): Compilation {
    return this.compileOnce();
  }

  /** Compiles the flow (idempotent). Throws {@link DuplicateAtom}. */
  compile(): this {
    this.compileOnce();
    return this;
  }

  /** Validates wiring before anything runs: throws {@link MissingDependencies} (nothing runs, nothing is written). */
  validate(): this {
    const c = this.compileOnce();
    const byAtom: Record<string, string[]> = {};
    let last: MissingDependencies | undefined;
    let lastAtom = '';
    const all = new Set<string>();
    for (let i = 0; i < c.atoms.length; i++) {
      const a = c.atoms[i]!;
      for (const p of c.plans[i]!) {
        if (!p.ambiguous) continue;
        if (a.inject && Object.prototype.hasOwnProperty.call(a.inject, p.name)) continue;
        if (this.storeKeys.has(p.name)) continue;
        throw new AmbiguousDependency(a.name, p.name, p.ambiguous);
      }
    }
    for (let i = 0; i < c.atoms.length; i++) {
      const a = c.atoms[i]!;
      const miss: string[] = [];
      for (const u of c.unprovided[i]!) {
        if (u.optional) continue;
        if (a.inject && Object.prototype.hasOwnProperty.call(a.inject, u.name)) continue;
        if (this.storeKeys.has(u.name)) continue;
        miss.push(u.name);
      }
      if (miss.length) {
        miss.sort();
        byAtom[a.name] = miss;
        last = new MissingDependencies(a.name, miss, 'execute', last ? { cause: last } : undefined);
        lastAtom = a.name;
        for (const m of miss) all.add(m);
      }
    }
    if (last) {
      if (Object.keys(byAtom).length === 1) {
        Object.assign(last, { byAtom });
        throw last;
      }
      const err = new MissingDependencies(this.flowName, [...all].sort(), 'execute', { cause: last });
      Object.assign(err, { byAtom, lastAtom });
      throw err;
    }
    this.validated = true;
    return this;
  }

  /** Loads atom states (from the given flow detail, if any). Idempotent. */
  prepare(): this {
    this.compileOnce();
    return this;
  }

  /**
   * Runs (or continues) the flow. Resolves when it ends in SUCCESS or SUSPENDED; rejects with the original error
   * after a complete revert (several → {@link WrappedFailure}), with the revert error when a revert failed (flow
   * FAILURE), or with {@link EngineTimeout}.
   */
  async run(): Promise<void> {
    if (this.running) throw new InvalidState('engine is already running');
    this.running = true;
    try {
      this.compileOnce();
      if (!this.validated) this.validate();
      // TaskFlow's prepare(): a REVERTED flow is reset and runs again from scratch.
      if (this.flowState === FlowState.REVERTED) this.resetAll();
      await this.runInner();
    } finally {
      this.running = false;
    }
  }

  /** Asks a running engine to stop: running atoms finish, no new ones start; `run()` then resolves (SUSPENDED). */
  suspend(): void {
    this.changeFlowState(FlowState.SUSPENDING);
    this.wake?.();
  }

  /** Resets every atom to PENDING (intention EXECUTE) and the flow to PENDING, so the flow can run again. */
  reset(): void {
    if (this.running) throw new InvalidState('cannot reset a running engine');
    this.resetAll();
  }

  private resetAll(): void {
    const c = this.compileOnce();
    for (let i = 0; i < c.atoms.length; i++) this.resetAtom(i, S_PENDING, Intention.EXECUTE);
    this.changeFlowState(FlowState.PENDING);
  }

  /** The run as a FlowDetail snapshot (plain JSON; what a backend stores). */
  toFlowDetail(): FlowDetail {
    const c = this.compileOnce();
    const atomDetails: AtomDetail[] = [];
    for (let i = 0; i < c.atoms.length; i++) atomDetails.push(this.atomDetail(i));
    return {
      uuid: this.flowUuid,
      name: this.flowName,
      state: this.flowState,
      meta: this.flowMeta(),
      atomDetails,
    };
  }

  // ---------------------------------------------------------------- internals

  private compileOnce(): Compilation {
    if (this.comp) return this.comp;
    const c = compile(this.flow);
    const n = c.atoms.length;
    this.st = new Array<AtomState>(n).fill(S_PENDING);
    this.intent = new Array<Intention>(n).fill(Intention.EXECUTE);
    this.res = new Array<unknown>(n).fill(undefined);
    this.fail = new Array<Failure | undefined>(n).fill(undefined);
    this.rres = new Array<unknown>(n).fill(undefined);
    this.rfail = new Array<Failure | undefined>(n).fill(undefined);
    this.uuids = new Array<string>(n);
    this.meta = new Array(n);
    this.hist = new Array(n).fill(undefined);
    for (let i = 0; i < n; i++) if (c.isRetry[i]) this.hist[i] = [];
    const byName = new Map<string, AtomDetail>();
    if (this.loaded) {
      for (const ad of this.loaded.atomDetails) byName.set(ad.name, ad);
      if (this.loaded.state) this.flowState = this.loaded.state;
    }
    // TaskFlow keeps the failures of every stored atom detail, even of atoms no longer in the flow.
    for (const ad of byName.values()) {
      if (c.index.has(ad.name)) continue;
      if (ad.failure) this.execFailCache.set(ad.name, Failure.fromJSON(ad.failure));
      if (ad.revertFailure) this.revertFailCache.set(ad.name, Failure.fromJSON(ad.revertFailure));
    }
    for (let i = 0; i < n; i++) {
      const ad = byName.get(c.atoms[i]!.name);
      if (ad) {
        this.uuids[i] = ad.uuid;
        this.st[i] = ad.state ?? S_PENDING;
        this.intent[i] = ad.intention ?? Intention.EXECUTE;
        this.meta[i] = { ...(ad.meta ?? {}) };
        if (c.isRetry[i]) {
          const h = Array.isArray(ad.results)
            ? (ad.results as { result: unknown; failures: Record<string, FailureJSON> }[])
            : [];
          this.hist[i] = h.map((x) => ({
            result: x.result,
            failures: Object.fromEntries(
              Object.entries(x.failures ?? {}).map(([k, v]) => [k, Failure.fromJSON(v)]),
            ),
          }));
          this.res[i] = this.hist[i]!.at(-1)?.result;
        } else this.res[i] = ad.results;
        if (ad.failure) {
          const f = Failure.fromJSON(ad.failure);
          this.fail[i] = f;
          this.execFailCache.set(ad.name, f);
        }
        this.rres[i] = ad.revertResults;
        if (ad.revertFailure) {
          const f = Failure.fromJSON(ad.revertFailure);
          this.rfail[i] = f;
          this.revertFailCache.set(ad.name, f);
        }
      }
    }
    this.comp = c;
    return c;
  }

  private async runInner(): Promise<void> {
    const c = this.comp!;
    const opts = this.options;
    if (!this.prepared) {
      // TaskFlow's prepare(): RESUMING → SUSPENDED (ignored for a fresh PENDING flow), then RUNNING.
      this.changeFlowState(FlowState.RESUMING);
      this.changeFlowState(FlowState.SUSPENDED);
      this.prepared = true;
    }
    if (this.backend) await this.ensurePersisted();
    this.changeFlowState(FlowState.RUNNING);
    const failures: Failure[] = [];
    const deferredRevertFailures: Failure[] = [];
    this.timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    let deadline = Infinity;
    if (opts.timeoutMs !== undefined) {
      deadline = Date.now() + opts.timeoutMs;
      timer = setTimeout(() => {
        this.timedOut = true;
        this.wake?.();
      }, opts.timeoutMs);
    }
    const parallel = opts.executor === 'parallel';
    const maxWorkers = parallel ? Math.max(1, opts.maxWorkers ?? 64) : 1;
    const resolve = !opts.neverResolve;
    const continueRevert = !!opts.continueRevertOnFailure;
    this.continueRevert = continueRevert;
    let nextUp: number[] = [];
    try {
      // RESUMING: process failures left from an earlier run, re-run unfinished atoms.
      const unfinished: number[] = [];
      if (resolve) {
        for (let i = 0; i < c.atoms.length; i++) {
          if (this.st[i] === AtomState.FAILURE && this.fail[i]) {
            this.processFailure(i, this.fail[i]!, failures);
          }
        }
        for (let i = 0; i < c.atoms.length; i++)
          if (c.isRetry[i] && this.st[i] === AtomState.RETRYING) this.retrySubflow(i);
      }
      for (let i = 0; i < c.atoms.length; i++)
        if (this.st[i] === AtomState.RUNNING || this.st[i] === AtomState.REVERTING) unfinished.push(i);
      const seen = new Set<number>(unfinished);
      nextUp = unfinished;
      for (const i of this.browseAll(true))
        if (!seen.has(i)) {
          seen.add(i);
          nextUp.push(i);
        }
      let iterations = 0;
      for (;;) {
        if (this.timedOut || (++iterations & 1023) === 0) {
          if (Date.now() >= deadline) this.timedOut = true;
          if (this.timedOut && this.flowState === FlowState.RUNNING)
            this.changeFlowState(FlowState.SUSPENDING);
        }
        // SCHEDULE
        if (this.flowState === FlowState.RUNNING && nextUp.length) {
          // Higher priority first; reverts of siblings in reverse completion order (latest finished first).
          if (nextUp.length > 1)
            nextUp.sort(
              (a, b) =>
                c.atoms[b]!.priority - c.atoms[a]!.priority || this.revertRank(b) - this.revertRank(a),
            );
          for (const i of nextUp) {
            // Candidates are gathered before later completions in the same batch are processed; a failure resolved
            // meanwhile may have flipped a never-run atom to REVERT. Atoms that never ran are not reverted.
            if (!this.schedulable(i)) continue;
            try {
              this.schedule(i);
            } catch (e) {
              failures.push(Failure.fromError(e));
              break;
            }
            // Persist RUNNING/REVERTING before the atom starts, so a crash leaves it visibly unfinished.
            if (this.backend) {
              await this.flushPersist();
              // A write that failed leaves the stored run behind the real one: start nothing more.
              if (this.persistError) {
                failures.push(
                  Failure.fromError(
                    new StorageFailure('persisting the flow failed', { cause: this.persistError }),
                  ),
                );
                this.dropQueued();
                break;
              }
            }
            if (!parallel) {
              this.pump(1);
              await this.drainSerial();
            }
          }
          nextUp = [];
        }
        if (parallel) this.pump(maxWorkers);
        // WAIT
        if (this.doneQ.length === 0 && (this.inflight > 0 || this.qHead < this.queued.length)) {
          await new Promise<void>((r) => (this.wake = r));
          this.wake = undefined;
          if (this.timedOut && this.flowState === FlowState.RUNNING)
            this.changeFlowState(FlowState.SUSPENDING);
        }
        // ANALYZE
        const next: number[] = [];
        // Index walk, not shift(): a batch of 100k synchronous siblings must not cost O(n²).
        const dq = this.doneQ;
        for (let h = 0; h < dq.length; h++) {
          const d = dq[h]!;
          const retained = this.complete(
            d.i,
            d.revert,
            d.ok,
            d.value,
            resolve,
            failures,
            deferredRevertFailures,
          );
          if (retained) continue;
          if (failures.length === 0) this.iterNext(d.i, next);
        }
        dq.length = 0;
        if (this.backend) {
          await this.flushPersist();
          if (this.persistError && failures.length === 0) {
            failures.push(
              Failure.fromError(
                new StorageFailure('persisting the flow failed', { cause: this.persistError }),
              ),
            );
          }
        }
        if (this.flowState === FlowState.RUNNING && next.length && failures.length === 0) {
          nextUp = dedupe(next);
          continue;
        }
        if (this.inflight > 0 || this.qHead < this.queued.length) {
          if (parallel) this.pump(maxWorkers);
          continue;
        }
        break;
      }
    } catch (e) {
      failures.push(Failure.fromError(e));
    } finally {
      if (timer) clearTimeout(timer);
    }
    // GAME OVER
    let final: FlowState;
    if (failures.length) final = FlowState.FAILURE;
    else if (this.browseAll(false).length) final = FlowState.SUSPENDED;
    else if (this.isSuccess()) final = FlowState.SUCCESS;
    else if (deferredRevertFailures.length) final = FlowState.FAILURE;
    else final = FlowState.REVERTED;
    this.changeFlowState(final);
    if (this.backend) await this.flushPersist();
    if (this.persistError && !failures.some((f) => f.error instanceof StorageFailure)) {
      throw new StorageFailure('persisting the flow failed', { cause: this.persistError });
    }
    if (final === FlowState.FAILURE && failures.length) {
      if (continueRevert) throwFailures([...this.execFailCache.values(), ...failures]);
      this.throwRevertFailure(failures);
      throwFailures(failures);
    }
    if (final === FlowState.FAILURE || final === FlowState.REVERTED) {
      throwFailures([...this.execFailCache.values(), ...this.revertFailCache.values()]);
    }
    if (final === FlowState.SUSPENDED && this.timedOut) throw new EngineTimeout(this.options.timeoutMs ?? 0);
  }

  private continueRevert = false;
  private prepared = false;
  /** Completion sequence number per atom (orders sibling reverts). */
  private doneSeq: number[] = [];
  private seq = 0;

  /**
   * A revert failed (TaskFlow stops there and raises the revert error). So that the original failure is never
   * masked, it becomes the revert error's `cause` (when that error has none), else both are thrown in a WrappedFailure.
   */
  private throwRevertFailure(failures: Failure[]): void {
    const revertFailures = new Set(this.revertFailCache.values());
    if (failures.length !== 1 || !revertFailures.has(failures[0]!)) return;
    const originals = [...this.execFailCache.values()];
    if (originals.length === 0) return;
    const rf = failures[0]!;
    const err = rf.error;
    if (
      err instanceof Error &&
      (err as { cause?: unknown }).cause === undefined &&
      Object.isExtensible(err)
    ) {
      const cause = originals.length === 1 ? originals[0]!.toError() : new WrappedFailure(originals);
      Object.defineProperty(err, 'cause', {
        value: cause,
        writable: true,
        configurable: true,
        enumerable: false,
      });
      throw err;
    }
    throw new WrappedFailure([rf, ...originals]);
  }

  /** Completion sequence for atoms about to revert (latest first); 0 for atoms about to execute (flow order kept). */
  private revertRank(i: number): number {
    return this.intent[i] === Intention.EXECUTE ? 0 : (this.doneSeq[i] ?? 0);
  }

  /** Whether atom i may still be started per its current intention and state. */
  private schedulable(i: number): boolean {
    const st = this.st[i];
    switch (this.intent[i]) {
      case Intention.EXECUTE:
        return (
          st === S_PENDING ||
          st === AtomState.RUNNING ||
          (st === AtomState.RETRYING && this.comp!.isRetry[i] === true)
        );
      case Intention.REVERT:
        return st === AtomState.SUCCESS || st === AtomState.FAILURE || st === AtomState.REVERTING;
      case Intention.RETRY:
        return st === AtomState.SUCCESS || st === AtomState.FAILURE;
      default:
        return false;
    }
  }

  /** Starts atom i per its intention. Synchronous results land in doneQ immediately. */
  private schedule(i: number): void {
    const c = this.comp!;
    const intention = this.intent[i]!;
    const isRetry = c.isRetry[i]!;
    if (intention === Intention.EXECUTE) {
      this.changeAtomState(i, AtomState.RUNNING);
      this.enqueue(i, false);
    } else if (intention === Intention.REVERT) {
      this.changeAtomState(i, AtomState.REVERTING);
      this.enqueue(i, true);
    } else if (intention === Intention.RETRY && isRetry) {
      this.changeAtomState(i, AtomState.RETRYING);
      this.retrySubflow(i);
      this.changeAtomState(i, AtomState.RUNNING);
      this.enqueue(i, false);
    } else {
      throw new InvalidState(
        `unknown how to schedule atom '${c.atoms[i]!.name}' with intention ${intention}`,
      );
    }
  }

  private enqueue(i: number, revert: boolean): void {
    // Arguments are resolved at scheduling time, as TaskFlow does.
    this.queued.push({ i, revert, args: this.resolveArgs(i) });
  }

  /** Scheduled but not started atoms are dropped (their state stays as scheduled; a resume re-runs them). */
  private dropQueued(): void {
    this.queued.length = 0;
    this.qHead = 0;
  }

  private pump(maxWorkers: number): void {
    const q = this.queued;
    while (this.qHead < q.length && this.inflight < maxWorkers) {
      const job = q[this.qHead++]!;
      this.invoke(job.i, job.revert, job.args);
    }
    if (this.qHead === q.length) {
      q.length = 0;
      this.qHead = 0;
    }
  }

  private async drainSerial(): Promise<void> {
    while (this.inflight > 0) {
      await new Promise<void>((r) => (this.wake = r));
      this.wake = undefined;
    }
  }

  private invoke(i: number, revert: boolean, args: Record<string, unknown>): void {
    const c = this.comp!;
    const atom = c.atoms[i]!;
    let out: unknown;
    try {
      if (!revert) {
        if (c.isRetry[i]) out = (atom as Retry).execute(args, this.historyOf(i));
        else out = (atom as Task).execute(args, this.ctx(i));
      } else if (c.isRetry[i]) {
        out = (atom as Retry).revert({ args, history: this.historyOf(i), flowFailures: this.flowFailures() });
      } else {
        const failed =
          this.st[i] === AtomState.REVERTING && this.fail[i] !== undefined && this.resultWasFailure(i);
        const result = failed ? this.fail[i]! : this.res[i];
        const outcome: Outcome<unknown> = failed
          ? { status: 'failure', failure: this.fail[i]! }
          : { status: 'success', value: this.res[i] };
        out = (atom as Task).revert(
          { args, result, outcome, flowFailures: this.flowFailures() },
          this.ctx(i),
        );
      }
    } catch (e) {
      this.doneQ.push({ i, revert, ok: false, value: Failure.fromError(e) });
      return;
    }
    if (out !== null && typeof out === 'object' && typeof (out as PromiseLike<unknown>).then === 'function') {
      this.inflight++;
      (out as PromiseLike<unknown>).then(
        (v) => {
          this.inflight--;
          this.doneQ.push({ i, revert, ok: true, value: v });
          this.wake?.();
        },
        (e: unknown) => {
          this.inflight--;
          this.doneQ.push({ i, revert, ok: false, value: Failure.fromError(e) });
          this.wake?.();
        },
      );
    } else {
      this.doneQ.push({ i, revert, ok: true, value: out });
    }
  }

  private failedExec = new Set<number>();
  private resultWasFailure(i: number): boolean {
    return this.failedExec.has(i);
  }

  /** Completion of an execute or revert. Returns true when the failure is retained (stops the run). */
  private complete(
    i: number,
    revert: boolean,
    ok: boolean,
    value: unknown,
    resolve: boolean,
    failures: Failure[],
    deferred: Failure[],
  ): boolean {
    const c = this.comp!;
    const name = c.atoms[i]!.name;
    if (!revert) {
      if (ok) {
        this.res[i] = value;
        this.fail[i] = undefined;
        this.failedExec.delete(i);
        if (c.isRetry[i]) this.hist[i]!.push({ result: value, failures: {} });
        this.doneSeq[i] = ++this.seq;
        this.changeAtomState(i, AtomState.SUCCESS, value, true);
        return false;
      }
      const f = value as Failure;
      this.fail[i] = f;
      this.res[i] = undefined;
      this.failedExec.add(i);
      this.doneSeq[i] = ++this.seq;
      // TaskFlow caches a failure under the atom's intention: EXECUTE → flow failures, REVERT → revert failures.
      if (this.intent[i] === Intention.EXECUTE) this.execFailCache.set(name, f);
      else if (this.intent[i] === Intention.REVERT) this.revertFailCache.set(name, f);
      this.changeAtomState(i, AtomState.FAILURE, f, true);
      if (resolve) {
        this.processFailure(i, f, failures);
        return false;
      }
      failures.push(f);
      return true;
    }
    if (ok) {
      this.rres[i] = value;
      this.rfail[i] = undefined;
      if (c.isRetry[i]) this.hist[i] = [];
      this.changeAtomState(i, AtomState.REVERTED, value, true);
      return false;
    }
    const f = value as Failure;
    this.rfail[i] = f;
    this.rres[i] = undefined;
    this.res[i] = undefined;
    if (this.intent[i] === Intention.EXECUTE) this.execFailCache.set(name, f);
    else if (this.intent[i] === Intention.REVERT) this.revertFailCache.set(name, f);
    this.changeAtomState(i, AtomState.REVERT_FAILURE, f, true);
    if (this.continueRevert) {
      deferred.push(f);
      return false;
    }
    failures.push(f);
    return true;
  }

  // ---- failure resolution (TaskFlow completer)

  private processFailure(i: number, f: Failure, failures: Failure[]): void {
    try {
      const r = this.resolution(i, f);
      const c = this.comp!;
      if (r.kind === 'retry') {
        this.setIntention(r.retry, Intention.RETRY);
        for (const a of this.subgraph(r.retry)) this.setIntention(a, Intention.REVERT);
      } else if (r.kind === 'revert') {
        this.setIntention(r.retry, Intention.REVERT);
        for (const a of this.subgraph(r.retry)) this.setIntention(a, Intention.REVERT);
      } else {
        for (let a = 0; a < c.atoms.length; a++) this.setIntention(a, Intention.REVERT);
      }
    } catch (e) {
      failures.push(Failure.fromError(e));
    }
  }

  private resolution(
    i: number,
    f: Failure,
  ): { kind: 'retry' | 'revert'; retry: number } | { kind: 'all'; undefinedResolver: boolean } {
    const c = this.comp!;
    const r = c.retryOf[i]!;
    if (r < 0) return { kind: 'all', undefinedResolver: true };
    const last = this.hist[r]!.at(-1);
    const name = c.atoms[i]!.name;
    if (last && !(name in last.failures)) (last.failures as Record<string, Failure>)[name] = f;
    this.markDirty(r);
    const retry = c.atoms[r] as Retry;
    const decision = retry.onFailure(this.historyOf(r), this.resolveArgs(r));
    if (decision === Decision.RETRY) return { kind: 'retry', retry: r };
    if (decision === Decision.REVERT) {
      const parent = this.resolution(r, f);
      if (this.options.deferReverts) return parent;
      if (!(parent.kind === 'all' && parent.undefinedResolver) && parent.kind !== 'revert') return parent;
      return { kind: 'revert', retry: r };
    }
    if (decision === Decision.REVERT_ALL) return { kind: 'all', undefinedResolver: false };
    throw new InvalidState(`unknown retry decision '${String(decision)}'`);
  }

  /** Every atom reachable forward from `r`. */
  /** Atoms reachable from r through successors that all satisfy `step`, depth first. */
  private walk(r: number, step: (a: number) => boolean): number[] {
    const c = this.comp!;
    const out: number[] = [];
    const seen = new Uint8Array(c.atoms.length);
    const stack = c.succs[r]!.filter(step).reverse();
    while (stack.length) {
      const a = stack.pop()!;
      if (seen[a]) continue;
      seen[a] = 1;
      out.push(a);
      const s = c.succs[a]!;
      for (let k = s.length - 1; k >= 0; k--) if (step(s[k]!)) stack.push(s[k]!);
    }
    return out;
  }

  private subgraph(r: number): number[] {
    const c = this.comp!;
    const out: number[] = [];
    const seen = new Uint8Array(c.atoms.length);
    const stack = [...c.succs[r]!].reverse();
    while (stack.length) {
      const a = stack.pop()!;
      if (seen[a]) continue;
      seen[a] = 1;
      out.push(a);
      const s = c.succs[a]!;
      for (let k = s.length - 1; k >= 0; k--) stack.push(s[k]!);
    }
    return out;
  }

  private retrySubflow(r: number): void {
    this.setIntention(r, Intention.EXECUTE);
    for (const a of this.subgraph(r)) this.resetAtom(a, S_PENDING, Intention.EXECUTE);
  }

  private resetAtom(i: number, state: AtomState, intention: Intention): void {
    if (this.st[i] !== state) this.changeAtomState(i, state);
    this.setIntention(i, intention);
  }

  // ---- selection (TaskFlow selector)

  private readyToExecute(i: number): boolean {
    const own = this.st[i];
    if (own !== S_PENDING && !(own === AtomState.RETRYING && this.comp!.isRetry[i])) return false;
    if (this.intent[i] !== Intention.EXECUTE) return false;
    const ps = this.comp!.preds[i]!;
    for (let k = 0; k < ps.length; k++) {
      const p = ps[k]!;
      const s = this.st[p];
      if (s !== AtomState.SUCCESS && s !== AtomState.IGNORE) return false;
      const it = this.intent[p];
      if (it !== Intention.EXECUTE && it !== Intention.IGNORE) return false;
    }
    return true;
  }

  private readyToRevert(i: number): boolean {
    const s = this.st[i];
    if (s !== AtomState.SUCCESS && s !== AtomState.FAILURE) return false;
    const it = this.intent[i];
    if (it !== Intention.REVERT && it !== Intention.RETRY) return false;
    const c = this.comp!;
    const stack: number[] = [...c.succs[i]!];
    let seen: Set<number> | undefined;
    while (stack.length) {
      const a = stack.pop()!;
      const sa = this.st[a];
      if (sa === AtomState.REVERTED || (this.continueRevert && sa === AtomState.REVERT_FAILURE)) continue;
      if (sa !== S_PENDING && sa !== AtomState.IGNORE) return false;
      const ss = c.succs[a]!;
      if (ss.length) {
        seen ??= new Set();
        for (const x of ss)
          if (!seen.has(x)) {
            seen.add(x);
            stack.push(x);
          }
      }
    }
    return true;
  }

  /** Atoms ready to run (execute or revert), applying deciders when `apply`. */
  private browseAll(apply: boolean): number[] {
    const c = this.comp!;
    const out: number[] = [];
    for (let i = 0; i < c.atoms.length; i++) {
      if (this.readyToExecute(i)) {
        if (!apply || this.decide(i, out)) out.push(i);
      } else if (this.readyToRevert(i)) out.push(i);
    }
    return out;
  }

  private iterNext(i: number, out: number[]): void {
    const c = this.comp!;
    const s = this.st[i];
    if (s === AtomState.SUCCESS) {
      const it = this.intent[i];
      if (it === Intention.REVERT) out.push(i);
      else if (it === Intention.EXECUTE) {
        for (const x of c.succs[i]!) if (this.readyToExecute(x) && this.decide(x, out)) out.push(x);
      }
    } else if (s === AtomState.REVERTED) {
      const stack = [...c.preds[i]!];
      const seen = new Set<number>();
      while (stack.length) {
        const p = stack.pop()!;
        if (seen.has(p)) continue;
        seen.add(p);
        if (this.readyToRevert(p)) out.push(p);
        else if ((this.st[p] === S_PENDING || this.st[p] === AtomState.IGNORE) && !c.isRetry[p])
          for (const q of c.preds[p]!) stack.push(q);
      }
    } else if (s === AtomState.FAILURE) {
      for (let a = 0; a < c.atoms.length; a++) if (this.readyToRevert(a)) out.push(a);
    } else if (this.continueRevert && s === AtomState.REVERT_FAILURE) {
      for (const p of c.preds[i]!) if (this.readyToRevert(p)) out.push(p);
    }
  }

  /** Applies edge deciders for atom i; returns whether it may run. Ignored atoms' successors are examined into `out`. */
  private decide(i: number, out: number[]): boolean {
    const c = this.comp!;
    const ds = c.deciders[i];
    if (!ds) return true;
    const history: Record<string, unknown> = {};
    for (const d of ds)
      for (const s of d.sources) if (this.st[s] !== AtomState.IGNORE) history[c.atoms[s]!.name] = this.res[s];
    const nays = ds.filter((d) => !d.decider(history));
    if (nays.length === 0) return true;
    const order = ['ATOM', 'NEIGHBORS', 'FLOW', 'ALL'];
    const depth = nays.map((d) => d.depth).sort((a, b) => order.indexOf(b) - order.indexOf(a))[0]!;
    let affected: number[];
    if (depth === 'ATOM') affected = [i];
    else if (depth === 'ALL') affected = [i, ...this.subgraph(i)];
    else {
      // TaskFlow walks its execution graph, where a sub-flow is entered through a flow node and a flow is left
      // through its end node: NEIGHBORS and FLOW only reach tasks of the same flow, never into a successor
      // sub-flow, past it, or through a retry.
      const parent = c.parents[i]!.at(-1);
      const sameFlowTask = (s: number): boolean => c.parents[s]!.at(-1) === parent && !c.isRetry[s];
      affected = [
        i,
        ...(depth === 'NEIGHBORS' ? c.succs[i]!.filter(sameFlowTask) : this.walk(i, sameFlowTask)),
      ];
    }
    for (const a of affected) {
      if (this.st[a] === S_PENDING) this.changeAtomState(a, AtomState.IGNORE);
      this.setIntention(a, Intention.IGNORE);
    }
    for (const a of affected)
      for (const s of c.succs[a]!) if (this.readyToExecute(s) && this.decide(s, out)) out.push(s);
    return false;
  }

  private isSuccess(): boolean {
    for (const s of this.st) if (s !== AtomState.SUCCESS && s !== AtomState.IGNORE) return false;
    return true;
  }

  // ---- argument resolution

  /**
   * @internal Arguments for atom i: a null-prototype object keyed by argument name (fast for flows with many
   * distinct names; destructuring, spread and JSON work as usual).
   */
  private resolveArgs(i: number): Record<string, unknown> {
    const c = this.comp!;
    const atom = c.atoms[i]!;
    const plan = c.plans[i]!;
    const args: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    const inject = atom.inject;
    for (let k = 0; k < plan.length; k++) {
      const p = plan[k]!;
      if (inject !== undefined && Object.prototype.hasOwnProperty.call(inject, p.name)) {
        args[p.arg] = inject[p.name];
        continue;
      }
      if (this.storeKeys.has(p.name)) {
        args[p.arg] = this.store[p.name];
        continue;
      }
      if (p.provider >= 0) {
        const s = this.st[p.provider];
        if (s === AtomState.SUCCESS || (s === AtomState.REVERTING && !this.failedExec.has(p.provider))) {
          const r = this.res[p.provider];
          if (p.key === undefined) {
            args[p.arg] = r;
            continue;
          }
          if (Array.isArray(r)) {
            if (p.index >= 0 && p.index < r.length) {
              args[p.arg] = r[p.index];
              continue;
            }
          } else if (r !== null && typeof r === 'object' && p.key in (r as object)) {
            args[p.arg] = (r as Record<string, unknown>)[p.key];
            continue;
          }
          if (p.optional) continue;
          throw new NotFound(
            `Unable to find result '${p.name}' in the result of atom '${c.atoms[p.provider]!.name}'`,
          );
        }
        if (s === AtomState.IGNORE && p.optional) continue;
        if (!p.optional)
          throw new NotFound(
            `Mapped argument '${p.arg}' <= '${p.name}' was not produced by any accessible provider`,
          );
        continue;
      }
      if (!p.optional)
        throw new NotFound(`Name '${p.name}' is not mapped as a produced output by any providers`);
    }
    return args;
  }

  private ctx(i: number): TaskContext {
    return new AtomContext(this, i, this.comp!.atoms[i]!.name);
  }

  /** @internal */
  _progress(i: number, name: string, progress: number, details?: Record<string, unknown>): void {
    (this.meta[i] ??= {})['progress'] = progress;
    this.atomNotifier.notify(
      'progress',
      details ? { atomName: name, progress, details } : { atomName: name, progress },
    );
  }

  private historyOf(r: number): History {
    // The retry's own execute failure stays visible (TaskFlow keeps it on the detail) until it executes again.
    return new History(this.hist[r] ?? [], this.failedExec.has(r) ? this.fail[r] : undefined);
  }

  private flowFailures(): Record<string, Failure> {
    return Object.fromEntries(this.execFailCache);
  }

  // ---- state changes, notifications, persistence

  private changeAtomState(i: number, state: AtomState, result?: unknown, hasResult = false): void {
    const old = this.st[i]!;
    if (old === state && !hasResult) return;
    const c = this.comp!;
    this.st[i] = state;
    if (this.backend) this.markDirty(i);
    if (this.atomNotifier.hasListeners) {
      const ev: { -readonly [K in keyof AtomEvent]: AtomEvent[K] } = {
        atomName: c.atoms[i]!.name,
        atomUuid: this.uuidOf(i),
        kind: c.isRetry[i] ? 'retry' : 'task',
        oldState: old,
        state,
        at: Date.now(),
      };
      if (hasResult) ev.result = result;
      this.atomNotifier.notify(state, ev);
      // Tasks also report engine progress: 0 when (re)starting, 1 when done (as TaskFlow's task action does).
      if (!c.isRetry[i]) {
        const p = ENGINE_PROGRESS[state];
        if (p !== undefined) this.atomNotifier.notify('progress', { atomName: ev.atomName, progress: p });
      }
    }
    if (this.backend && !c.isRetry[i]) {
      const p = ENGINE_PROGRESS[state];
      if (p !== undefined) (this.meta[i] ??= {})['progress'] = p;
    }
  }

  private setIntention(i: number, intention: Intention): void {
    if (this.intent[i] === intention) return;
    this.intent[i] = intention;
    if (this.backend) this.markDirty(i);
  }

  private changeFlowState(state: FlowState): void {
    const old = this.flowState;
    const t = checkFlowTransition(old, state);
    if (t === 'ignored') return;
    if (t === 'invalid') throw new InvalidState(`Flow transition from '${old}' to '${state}' is not allowed`);
    this.flowState = state;
    if (this.backend) this.flowDirty = true;
    if (this.notifier.hasListeners)
      this.notifier.notify(state, { flowName: this.flowName, flowUuid: this.flowUuid, oldState: old, state });
  }

  private flowMeta(): Record<string, unknown> {
    const m: Record<string, unknown> = { ...(this.loaded?.meta ?? {}), store: this.store };
    if (this.bookUuid) m['bookUuid'] = this.bookUuid;
    return m;
  }

  /** UUID of the logbook this run is saved under (with a backend, once it has run). */
  get logBookUuid(): string | undefined {
    return this.bookUuid;
  }

  private uuidOf(i: number): string {
    return (this.uuids[i] ??= randomUUID());
  }

  private markDirty(i: number): void {
    if (this.backend) this.dirty.add(i);
  }

  private atomDetail(i: number): AtomDetail {
    const c = this.comp!;
    const ad: AtomDetail = {
      uuid: this.uuidOf(i),
      name: c.atoms[i]!.name,
      kind: c.isRetry[i] ? 'retry' : 'task',
      state: this.st[i]!,
      intention: this.intent[i]!,
      meta: this.meta[i] ?? {},
    };
    if (c.isRetry[i]) {
      ad.results = (this.hist[i] ?? []).map((h) => ({
        result: h.result,
        failures: Object.fromEntries(Object.entries(h.failures).map(([k, v]) => [k, v.toJSON()])),
      }));
    } else if (this.res[i] !== undefined) ad.results = this.res[i];
    if (this.fail[i]) ad.failure = this.fail[i]!.toJSON();
    if (this.rres[i] !== undefined) ad.revertResults = this.rres[i];
    if (this.rfail[i]) ad.revertFailure = this.rfail[i]!.toJSON();
    return ad;
  }

  private async ensurePersisted(): Promise<void> {
    const b = this.backend!;
    if (this.flowSaved) return;
    if (this.bookUuid) {
      try {
        await b.getLogBook(this.bookUuid);
      } catch (e) {
        if (!(e instanceof NotFound)) throw e;
        const now = new Date().toISOString();
        await b.saveLogBook(
          this.options.logBook
            ? { ...this.options.logBook, flowDetails: [] }
            : {
                uuid: this.bookUuid,
                name: this.flowName,
                createdAt: now,
                updatedAt: now,
                meta: {},
                flowDetails: [],
              },
        );
      }
    } else {
      const now = new Date().toISOString();
      const book: LogBook = {
        uuid: randomUUID(),
        name: this.flowName,
        createdAt: now,
        updatedAt: now,
        meta: {},
        flowDetails: [],
      };
      await b.saveLogBook(book);
      this.bookUuid = book.uuid;
    }
    await b.saveFlowDetail(this.bookUuid, this.toFlowDetail());
    this.flowSaved = true;
    this.dirty.clear();
    this.flowDirty = false;
  }

  private flushPersist(): Promise<void> {
    if (!this.backend) return Promise.resolve();
    if (this.dirty.size || this.flowDirty) {
      const b = this.backend;
      const ads = [...this.dirty].map((i) => this.atomDetail(i));
      const fd = this.flowDirty
        ? {
            uuid: this.flowUuid,
            name: this.flowName,
            state: this.flowState,
            meta: this.flowMeta(),
            atomDetails: [],
          }
        : undefined;
      this.dirty.clear();
      this.flowDirty = false;
      const uuid = this.flowUuid;
      const book = this.bookUuid!;
      this.persistChain = this.persistChain.then(async () => {
        try {
          for (const ad of ads) await b.saveAtomDetail(uuid, ad);
          if (fd) await b.saveFlowDetail(book, fd);
        } catch (e) {
          this.persistError ??= e;
        }
      });
    }
    return this.persistChain;
  }

  // ---- storage facade

  /** Values stored under `name`: the store's first, then each SUCCESS provider's in flow order. */
  private valuesOf(name: string): unknown[] {
    const c = this.compileOnce();
    const out: unknown[] = [];
    if (this.storeKeys.has(name)) out.push(this.store[name]);
    for (let i = 0; i < c.atoms.length; i++) {
      const p = c.atoms[i]!.provides;
      if (p === undefined || this.st[i] !== AtomState.SUCCESS) continue;
      const r = c.isRetry[i] ? this.hist[i]!.at(-1)?.result : this.res[i];
      if (typeof p === 'string') {
        if (p === name) out.push(r);
      } else if (p.includes(name)) {
        const v = pick(r, p, name);
        if (v !== NO_VALUE) out.push(v);
      }
    }
    return out;
  }

  /** @internal */
  _fetch(name: string): unknown {
    const v = this.valuesOf(name);
    if (v.length === 0) throw new NotFound(`Unable to find result '${name}'`);
    return v[0];
  }

  /** @internal */
  _fetchAll(): Record<string, unknown> {
    const c = this.compileOnce();
    const names = new Set<string>(this.storeKeys);
    for (let i = 0; i < c.atoms.length; i++) for (const n of c.provides[i]!) names.add(n);
    const out: Record<string, unknown> = {};
    if (names.size > 64) {
      // Large flows: one pass (single provider per name is the common case).
      const multi = new Map<string, unknown[]>();
      for (const k of this.storeKeys) multi.set(k, [this.store[k]]);
      for (let i = 0; i < c.atoms.length; i++) {
        const p = c.atoms[i]!.provides;
        if (p === undefined || this.st[i] !== AtomState.SUCCESS) continue;
        const r = c.isRetry[i] ? this.hist[i]!.at(-1)?.result : this.res[i];
        const put = (k: string, v: unknown) => {
          const l = multi.get(k);
          if (l) l.push(v);
          else multi.set(k, [v]);
        };
        if (typeof p === 'string') put(p, r);
        else
          for (const k of p) {
            const v = pick(r, p, k);
            if (v !== NO_VALUE) put(k, v);
          }
      }
      for (const [k, l] of multi) out[k] = l.length > 1 ? l : l[0];
      return out;
    }
    for (const n of names) {
      const v = this.valuesOf(n);
      if (v.length) out[n] = v.length > 1 ? v : v[0];
    }
    return out;
  }

  private idx(atomName: string): number {
    const i = this.compileOnce().index.get(atomName);
    if (i === undefined) throw new NotFound(`no atom named '${atomName}'`);
    return i;
  }
  /** @internal */
  _get(atomName: string): unknown {
    const i = this.idx(atomName);
    if (this.fail[i] && this.failedExec.has(i)) return this.fail[i];
    if (
      this.st[i] === AtomState.SUCCESS ||
      this.st[i] === AtomState.REVERTING ||
      this.st[i] === AtomState.REVERTED
    )
      return this.comp!.isRetry[i] ? this.hist[i]!.at(-1)?.result : this.res[i];
    if (this.fail[i]) return this.fail[i];
    throw new NotFound(`Result for atom '${atomName}' execution is not known`);
  }
  /** @internal */
  _atomState(atomName: string): AtomState {
    return this.st[this.idx(atomName)]!;
  }
  /** @internal */
  _atomIntention(atomName: string): Intention {
    return this.intent[this.idx(atomName)]!;
  }
  /** @internal */
  _atomStates(): Record<string, AtomState> {
    const c = this.compileOnce();
    const out: Record<string, AtomState> = {};
    for (let i = 0; i < c.atoms.length; i++) out[c.atoms[i]!.name] = this.st[i]!;
    return out;
  }
  /** @internal */
  _failures(revert: boolean): Record<string, Failure> {
    return Object.fromEntries(revert ? this.revertFailCache : this.execFailCache);
  }
  /** @internal */
  _revertResult(atomName: string): unknown {
    return this.rres[this.idx(atomName)];
  }
  /** @internal */
  _history(retryName: string): History {
    const i = this.idx(retryName);
    if (!this.comp!.isRetry[i]) throw new NotFound(`atom '${retryName}' is not a retry controller`);
    return this.historyOf(i);
  }
  /** @internal */
  _inject(values: Readonly<Record<string, unknown>>): void {
    Object.assign(this.store, values);
    for (const k of Object.keys(values)) this.storeKeys.add(k);
    this.validated = false;
    this.flowDirty = true;
  }
}

class AtomContext implements TaskContext {
  constructor(
    private readonly engine: Engine<Flow<object, object>>,
    private readonly i: number,
    readonly name: string,
  ) {}
  updateProgress(progress: number, details?: Record<string, unknown>): void {
    this.engine._progress(this.i, this.name, progress, details);
  }
}

const NO_VALUE = Symbol('no value');
/** The value a list-`provides` atom stores under `name`: the object key, or the position in an array result. */
function pick(r: unknown, provides: readonly string[], name: string): unknown {
  if (Array.isArray(r)) {
    const k = provides.indexOf(name);
    return k >= 0 && k < r.length ? r[k] : NO_VALUE;
  }
  if (r !== null && typeof r === 'object' && name in (r as object))
    return (r as Record<string, unknown>)[name];
  return NO_VALUE;
}

function dedupe(a: number[]): number[] {
  if (a.length < 2) return a;
  return [...new Set(a)];
}

function throwFailures(failures: Failure[]): void {
  const uniq: Failure[] = [];
  for (const f of failures) if (!uniq.includes(f)) uniq.push(f);
  if (uniq.length === 1) uniq[0]!.reraise();
  if (uniq.length > 1) throw new WrappedFailure(uniq);
}

/** Options of {@link runFlow}: engine options with the (typed) store. */
export type RunFlowOptions<F> = EngineArgs<F>[0];

/**
 * Loads a flow into an {@link Engine}, runs it and resolves to everything stored (`engine.storage.fetchAll()`).
 * @example const results = await runFlow(flow, { store: { a: 1 } });
 */
export async function runFlow<F extends Flow<object, object>>(
  flow: F,
  ...args: EngineArgs<F>
): Promise<Record<string, unknown>> {
  const engine = new Engine<F>(flow, ...args);
  await engine.run();
  return engine.storage.fetchAll();
}

export type { Atom };
