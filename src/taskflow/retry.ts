import { Atom, type AtomOptions } from './atom';
import { NotFound } from './errors';
import type { Failure } from './failure';

/** A retry controller's decision after a failure in its sub-flow (TaskFlow's `Decision`). */
export const Decision = {
  /** Revert the sub-flow and run it again. */
  RETRY: 'RETRY',
  /** Revert the sub-flow; a parent retry (if any) decides next. */
  REVERT: 'REVERT',
  /** Revert the whole flow, ignoring parent retries. */
  REVERT_ALL: 'REVERT_ALL',
} as const;
/** One of the {@link Decision} values. */
export type Decision = (typeof Decision)[keyof typeof Decision];

/** One attempt in a retry's history: what the retry provided, and which atoms failed with what. */
export interface RetryAttempt<T = unknown> {
  readonly result: T;
  readonly failures: Readonly<Record<string, Failure>>;
}

/**
 * A retry controller's history (one entry per attempt of its sub-flow); cleared when the retry is reverted.
 */
export class History<T = unknown> implements Iterable<RetryAttempt<T>> {
  constructor(
    readonly attempts: readonly RetryAttempt<T>[],
    /** The retry's own execute failure, if it failed. */
    readonly failure?: Failure,
  ) {}
  get length(): number {
    return this.attempts.length;
  }
  at(index: number): RetryAttempt<T> | undefined {
    return this.attempts.at(index);
  }
  /** What the retry provided on each attempt. */
  provided(): T[] {
    return this.attempts.map((a) => a.result);
  }
  /** `[atomName, failure]` pairs of every attempt (or of attempt `index`). */
  outcomes(index?: number): [string, Failure][] {
    const list =
      index === undefined ? this.attempts : this.attempts.slice(index, index === -1 ? undefined : index + 1);
    return list.flatMap((a) => Object.entries(a.failures));
  }
  /** Whether some failure (optionally the retry's own) is of error class `name`. */
  causedBy(name: string, options: { index?: number; includeRetry?: boolean } = {}): boolean {
    if (this.outcomes(options.index).some(([, f]) => f.check(name) !== undefined)) return true;
    return !!(options.includeRetry && this.failure && this.failure.check(name) !== undefined);
  }
  [Symbol.iterator](): Iterator<RetryAttempt<T>> {
    return this.attempts[Symbol.iterator]();
  }
}

/** What a retry's `revert` receives. */
export interface RetryRevertArgs<In> {
  readonly args: In;
  readonly history: History;
  readonly flowFailures: Readonly<Record<string, Failure>>;
}

/**
 * A retry controller: attached to a flow (`new LinearFlow(name, retry)`), it runs before the flow's atoms (its
 * result is stored under its `provides`) and decides what happens when one of them fails.
 */
export abstract class Retry<In extends object = Record<string, unknown>, Out = unknown> extends Atom {
  declare readonly __in?: In;
  constructor(name?: string, options?: AtomOptions) {
    super(name ?? new.target.name, options);
  }
  /** Produces the value for this attempt (stored under `provides`). */
  abstract execute(args: In, history: History): Out | Promise<Out>;
  /** Decides after a failure inside the sub-flow. */
  abstract onFailure(history: History, args: In): Decision;
  /** Undoes `execute`. Default: nothing. */
  revert(_args: RetryRevertArgs<In>): unknown {
    return undefined;
  }
}

/** Options of {@link Times}, {@link ForEach} and {@link ParameterizedForEach}. */
export interface RetryOptions extends AtomOptions {
  name?: string;
  /** When out of attempts: revert everything (REVERT_ALL) instead of deferring (REVERT). @default false */
  revertAll?: boolean;
}

/** Retries the sub-flow up to `attempts` times in total; provides the attempt number (1-based). */
export class Times extends Retry<Record<string, unknown>, number> {
  readonly attempts: number;
  private readonly revertAction: Decision;
  constructor(attempts = 1, options: RetryOptions = {}) {
    super(options.name, options);
    this.attempts = attempts;
    this.revertAction = options.revertAll ? Decision.REVERT_ALL : Decision.REVERT;
  }
  execute(_args: Record<string, unknown>, history: History): number {
    return history.length + 1;
  }
  onFailure(history: History): Decision {
    return history.length < this.attempts ? Decision.RETRY : this.revertAction;
  }
}

function nextValue<T>(name: string, values: readonly T[], history: History): T {
  const remaining = [...values];
  for (const used of history.provided()) {
    const i = remaining.findIndex((v) => v === used || JSON.stringify(v) === JSON.stringify(used));
    if (i >= 0) remaining.splice(i, 1);
  }
  if (remaining.length === 0)
    throw new NotFound(`No elements left in collection of iterable retry controller ${name}`);
  return remaining[0] as T;
}

/** Tries each of `values` in turn (provides the current one); out of values → REVERT (or REVERT_ALL). */
export class ForEach<T = unknown> extends Retry<Record<string, unknown>, T> {
  private readonly revertAction: Decision;
  constructor(
    readonly values: readonly T[],
    options: RetryOptions = {},
  ) {
    super(options.name, options);
    this.revertAction = options.revertAll ? Decision.REVERT_ALL : Decision.REVERT;
  }
  execute(_args: Record<string, unknown>, history: History): T {
    return nextValue(this.name, this.values, history);
  }
  onFailure(history: History): Decision {
    try {
      nextValue(this.name, this.values, history);
      return Decision.RETRY;
    } catch (e) {
      if (e instanceof NotFound) return this.revertAction;
      throw e;
    }
  }
}

/** Like {@link ForEach}, but the values come from storage (argument `values`, rebindable). */
export class ParameterizedForEach<T = unknown> extends Retry<{ values: readonly T[] }, T> {
  private readonly revertAction: Decision;
  constructor(options: RetryOptions = {}) {
    super(options.name, { ...options, requires: options.requires ?? ['values'] });
    this.revertAction = options.revertAll ? Decision.REVERT_ALL : Decision.REVERT;
  }
  execute(args: { values: readonly T[] }, history: History): T {
    return nextValue(this.name, args.values, history);
  }
  onFailure(history: History, args: { values: readonly T[] }): Decision {
    try {
      nextValue(this.name, args.values, history);
      return Decision.RETRY;
    } catch (e) {
      if (e instanceof NotFound) return this.revertAction;
      throw e;
    }
  }
}

/** Never retries: reverts its sub-flow only, and lets a parent retry decide (REVERT). */
export class AlwaysRevert extends Retry {
  constructor(options: RetryOptions = {}) {
    super(options.name, options);
  }
  execute(): undefined {
    return undefined;
  }
  onFailure(): Decision {
    return Decision.REVERT;
  }
}

/** Never retries: reverts the whole flow (REVERT_ALL). */
export class AlwaysRevertAll extends Retry {
  constructor(options: RetryOptions = {}) {
    super(options.name, options);
  }
  execute(): undefined {
    return undefined;
  }
  onFailure(): Decision {
    return Decision.REVERT_ALL;
  }
}
