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
export abstract class Task<In extends object = Record<string, unknown>, Out = unknown, Prov extends object = DefaultProvided<Out>> extends Atom {
  /** Phantom type carriers for typed wiring (never set at runtime). */
  declare readonly __in?: In;
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
export interface FunctorTaskOptions<In, Out, P> extends Omit<AtomOptions, 'provides' | 'requires' | 'optional'> {
  requires?: readonly (keyof In & string)[];
  optional?: readonly (keyof In & string)[];
  provides?: P;
  revert?: (args: RevertArgs<In, Out>, ctx: TaskContext) => unknown;
}

/** Names made available by a task with result `Out` and `provides` P. */
export type ProvidedBy<Out, P> = P extends string
  ? { [K in P]: Out }
  : P extends readonly (infer K)[]
    ? Out extends object
      ? Pick<Out, K & keyof Out>
      : {}
    : {};

class FunctorTask<In extends object, Out, Prov extends object> extends Task<In, Out, Prov> {
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
 * Functional form of {@link Task} (TaskFlow's FunctorTask).
 * @example
 * const add = task('add', ({ a, b }: { a: number; b: number }) => a + b, { requires: ['a', 'b'], provides: 'sum' });
 */
export function task<In extends object, Out, const P extends string | readonly string[] | undefined = undefined>(
  name: string,
  execute: (args: In, ctx: TaskContext) => Out,
  options: FunctorTaskOptions<In, Awaited<Out>, P> = {},
): Task<In, Awaited<Out>, ProvidedBy<Awaited<Out>, P>> {
  const { revert, ...rest } = options;
  return new FunctorTask<In, Awaited<Out>, ProvidedBy<Awaited<Out>, P>>(
    name,
    execute as (args: In, ctx: TaskContext) => Awaited<Out>,
    revert,
    rest as AtomOptions,
  );
}
