import { Atom, type AtomOptions } from './atom';
import type { Failure, Outcome } from './failure';

/** What `execute`/`revert` get besides their arguments. */
export interface TaskContext {
  /** The atom name. */
  readonly name: string;
  /** Reports progress (0..1) to atom listeners as a `progress` event. */
  updateProgress(progress: number, details?: Record<string, unknown>): void;
}

/** What `revert` receives. */
export interface RevertArgs<In, Out> {
  /** The same arguments `execute` got (resolved again from storage). */
  readonly args: In;
  /** TaskFlow-style: the execute result, or the {@link Failure} it raised (check with `instanceof Failure`). */
  readonly result: Out | Failure;
  /** The same as a tagged union: `{status:'success', value}` or `{status:'failure', failure}`. */
  readonly outcome: Outcome<Out>;
  /** Every atom execute failure of this run so far, by atom name. */
  readonly flowFailures: Readonly<Record<string, Failure>>;
}

/** Default set of names a task makes available: its result object's keys (list `provides`), else nothing. */
export type DefaultProvided<Out> = Out extends readonly unknown[] ? {} : Out extends object ? Out : {};

/**
 * A task: `execute` does the work, optional `revert` undoes it. Generic over its arguments `In`, its result `Out`
 * and (for typed wiring) the names it makes available `Prov` (default: the keys of an object result; for a
 * single-name `provides`, pass e.g. `{ sum: number }`).
 *
 * `execute` may return a value or a Promise; synchronous tasks run without any async overhead.
 *
 * @example
 * class Add extends Task<{ a: number; b: number }, number, { sum: number }> {
 *   constructor() { super('add', { requires: ['a', 'b'], provides: 'sum' }); }
 *   execute({ a, b }: { a: number; b: number }) { return a + b; }
 * }
 */
export abstract class Task<
  In extends object = Record<string, unknown>,
  Out = unknown,
  Prov extends object = DefaultProvided<Out>,
  /** Stored names (and types) the task needs from its flow: `In` unless rebind/inject change it. */
  Needs extends object = In,
> extends Atom {
  /** Phantom type carriers for typed wiring (never set at runtime). */
  declare readonly __in?: Needs;
  declare readonly __prov?: Prov;

  constructor(name: string, options?: AtomOptions) {
    super(name, options);
  }

  /** Does the work. Throwing (or rejecting) makes the engine revert. */
  abstract execute(args: In, ctx: TaskContext): Out | Promise<Out>;

  /** Undoes `execute`. Default: nothing. */
  revert(_args: RevertArgs<In, Out>, _ctx: TaskContext): unknown {
    return undefined;
  }
}

/** Options of the functional form {@link task}. */
export interface FunctorTaskOptions<In, Out, P, R = unknown, J = unknown> extends Omit<
  AtomOptions,
  'provides' | 'requires' | 'optional' | 'rebind' | 'inject'
> {
  requires?: readonly (keyof In & string)[];
  optional?: readonly (keyof In & string)[];
  provides?: P;
  /** Map argument → stored name (typed: the flow must provide the stored name), or a list (untyped). */
  rebind?: R;
  /** Fixed values for stored names; they are not needed from the flow. */
  inject?: J;
  revert?: (args: RevertArgs<In, Out>, ctx: TaskContext) => unknown;
}

/** What a task with arguments `In`, rebind map `R` and inject `J` needs from its flow (by stored name). */
export type TaskNeeds<In, R, J> = Omit<
  R extends readonly unknown[]
    ? In
    : { [K in keyof In as K extends keyof R ? (R[K] extends string ? R[K] : K) : K]: In[K] },
  keyof J
>;

/** Names made available by a task with result `Out` and `provides` P. */
export type ProvidedBy<Out, P> = P extends string
  ? { [K in P]: Out }
  : P extends readonly (infer K)[]
    ? Out extends object
      ? Pick<Out, K & keyof Out>
      : {}
    : {};

class FunctorTask<In extends object, Out, Prov extends object, Needs extends object> extends Task<
  In,
  Out,
  Prov,
  Needs
> {
  constructor(
    name: string,
    private readonly fn: (args: In, ctx: TaskContext) => Out | Promise<Out>,
    private readonly revertFn: ((args: RevertArgs<In, Out>, ctx: TaskContext) => unknown) | undefined,
    options: AtomOptions,
  ) {
    super(name, options);
  }
  execute(args: In, ctx: TaskContext): Out | Promise<Out> {
    return this.fn(args, ctx);
  }
  override revert(args: RevertArgs<In, Out>, ctx: TaskContext): unknown {
    return this.revertFn ? this.revertFn(args, ctx) : undefined;
  }
}

/**
 * Functional form of {@link Task} (TaskFlow's FunctorTask). Typed wiring follows `rebind` (map form) and `inject`:
 * the flow must provide the rebound stored names, and injected names are not needed.
 * @example
 * const add = task('add', ({ a, b }: { a: number; b: number }) => a + b, { requires: ['a', 'b'], provides: 'sum' });
 */
export function task<
  In extends object,
  Out,
  const P extends string | readonly string[] | undefined = undefined,
  const R extends Readonly<Record<string, string>> | readonly string[] = {},
  const J extends Readonly<Record<string, unknown>> = {},
>(
  name: string,
  execute: (args: In, ctx: TaskContext) => Out,
  options: FunctorTaskOptions<In, Awaited<Out>, P, R, J> = {},
): Task<In, Awaited<Out>, ProvidedBy<Awaited<Out>, P>, TaskNeeds<In, R, J>> {
  const { revert, ...rest } = options;
  return new FunctorTask<In, Awaited<Out>, ProvidedBy<Awaited<Out>, P>, TaskNeeds<In, R, J>>(
    name,
    execute as (args: In, ctx: TaskContext) => Awaited<Out>,
    revert,
    rest as AtomOptions,
  );
}
