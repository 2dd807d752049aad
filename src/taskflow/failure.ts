/** JSON shape of a {@link Failure}: what persistence and RPC carry. */
export interface FailureJSON {
  /** Error class names, most derived first (e.g. `['MissingDependencies', 'TaskFlowError', 'Error']`). */
  excTypeNames: string[];
  message: string;
  stack?: string;
  /** Extra own enumerable JSON-able fields of the error (e.g. `code`). */
  details?: Record<string, unknown>;
  cause?: FailureJSON;
}

function classChain(err: unknown): string[] {
  const names: string[] = [];
  if (err === null || typeof err !== 'object') return ['Error'];
  let proto: unknown = Object.getPrototypeOf(err);
  while (proto && proto !== Object.prototype) {
    const ctor = (proto as { constructor?: { name?: string } }).constructor;
    if (ctor?.name && !names.includes(ctor.name)) names.push(ctor.name);
    proto = Object.getPrototypeOf(proto);
  }
  const own = (err as { name?: unknown }).name;
  if (typeof own === 'string' && own && names[0] !== own) names.unshift(own);
  if (names.length === 0) names.push('Error');
  return names;
}

function jsonable(v: unknown): boolean {
  const t = typeof v;
  return v === null || t === 'string' || t === 'number' || t === 'boolean';
}

/**
 * A captured error: error class names, message, stack and cause chain. Immutable, serialisable (`toJSON` /
 * `Failure.fromJSON` round-trip), and what `revert()`, listeners and persistence see. The live error, when the
 * failure was captured in this process, stays available as `error` (not serialised).
 */
export class Failure {
  readonly excTypeNames: readonly string[];
  readonly message: string;
  readonly stack: string | undefined;
  readonly details: Readonly<Record<string, unknown>> | undefined;
  readonly cause: Failure | undefined;
  /** The original error object when captured in this process (lost on JSON round-trip). */
  readonly error: unknown;

  private constructor(json: FailureJSON, error: unknown) {
    this.excTypeNames = json.excTypeNames.length ? [...json.excTypeNames] : ['Error'];
    this.message = json.message;
    this.stack = json.stack;
    this.details = json.details;
    this.cause = json.cause ? Failure.fromJSON(json.cause) : undefined;
    Object.defineProperty(this, 'error', { value: error, enumerable: false });
  }

  /** Captures any thrown value (non-Errors are wrapped as `Error` with their string form). */
  static fromError(err: unknown): Failure {
    if (err instanceof Failure) return err;
    return Failure.capture(err, 0);
  }

  private static capture(err: unknown, depth: number): Failure {
    if (err instanceof Failure) return err;
    if (!(err instanceof Error)) {
      const f = new Failure({ excTypeNames: ['Error'], message: String(err) }, err);
      return f;
    }
    let details: Record<string, unknown> | undefined;
    for (const k of Object.keys(err)) {
      if (k === 'cause' || k === 'stack' || k === 'message' || k === 'name') continue;
      const v = (err as unknown as Record<string, unknown>)[k];
      if (jsonable(v) || (Array.isArray(v) && v.every(jsonable))) (details ??= {})[k] = v;
    }
    const f = new Failure(
      { excTypeNames: classChain(err), message: err.message, stack: err.stack, details },
      err,
    );
    const cause = (err as { cause?: unknown }).cause;
    if (cause !== undefined && depth < 32) {
      Object.defineProperty(f, 'cause', { value: Failure.capture(cause, depth + 1), enumerable: true });
    }
    return f;
  }

  /** Rebuilds a failure from its JSON form (e.g. read back from persistence). */
  static fromJSON(json: FailureJSON): Failure {
    if (!json || !Array.isArray(json.excTypeNames) || typeof json.message !== 'string') {
      throw new TypeError('not a serialised Failure');
    }
    return new Failure(json, undefined);
  }

  /** Whether a value looks like a serialised failure. */
  static isFailureJSON(v: unknown): v is FailureJSON {
    return (
      !!v &&
      typeof v === 'object' &&
      Array.isArray((v as FailureJSON).excTypeNames) &&
      typeof (v as FailureJSON).message === 'string'
    );
  }

  /** The most derived error class name. */
  get exceptionType(): string {
    return this.excTypeNames[0] ?? 'Error';
  }

  /** TaskFlow's `check`: the first of `names` that this failure's class chain contains, else `undefined`. */
  check(...names: string[]): string | undefined {
    return names.find((n) => this.excTypeNames.includes(n));
  }

  /** Same class chain and message (and same causes): how TaskFlow compares failures. */
  matches(other: Failure | undefined): boolean {
    if (!other) return false;
    if (other === this) return true;
    if (this.message !== other.message || this.excTypeNames.join() !== other.excTypeNames.join())
      return false;
    if (!this.cause) return !other.cause;
    return this.cause.matches(other.cause);
  }

  /** Throws the original error when live, else an Error rebuilt from this failure (name, message, stack, cause). */
  reraise(): never {
    throw this.toError();
  }

  /** The original error when live, else an Error rebuilt from this failure. */
  toError(): Error {
    if (this.error instanceof Error) return this.error;
    const e = new Error(this.message, this.cause ? { cause: this.cause.toError() } : undefined);
    e.name = this.exceptionType;
    if (this.stack) e.stack = this.stack;
    if (this.details) Object.assign(e, this.details);
    return e;
  }

  toJSON(): FailureJSON {
    const j: FailureJSON = { excTypeNames: [...this.excTypeNames], message: this.message };
    if (this.stack !== undefined) j.stack = this.stack;
    if (this.details !== undefined) j.details = { ...this.details };
    if (this.cause) j.cause = this.cause.toJSON();
    return j;
  }

  toString(): string {
    return `Failure: ${this.exceptionType}: ${this.message}`;
  }
}

/** What `revert` learns about its atom's execute: its value, or the Failure it raised. */
export type Outcome<Out> =
  | { readonly status: 'success'; readonly value: Out }
  | { readonly status: 'failure'; readonly failure: Failure };
