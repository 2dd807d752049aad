import type { Failure } from './failure';

/** Base of every error the engine raises itself. `code` is stable and SCREAMING_SNAKE. */
export abstract class TaskFlowError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Some atom needs names that neither the store nor any visible earlier atom provides. Raised before anything runs. */
export class MissingDependencies extends TaskFlowError {
  readonly code = 'MISSING_DEPENDENCIES';
  /**
   * @param atom the atom name
   * @param missing the missing (stored) names, sorted
   * @param method `'execute'` or `'revert'`
   */
  constructor(
    readonly atom: string,
    readonly missing: readonly string[],
    readonly method: 'execute' | 'revert' = 'execute',
    options?: ErrorOptions,
  ) {
    super(
      `atom '${atom}' needs ${missing.join(', ')} (for ${method}), which nothing upstream provides`,
      options,
    );
  }
}

/** Graph flow: a required name has several providers and the graph cannot decide which one feeds the atom. */
export class AmbiguousDependency extends TaskFlowError {
  readonly code = 'AMBIGUOUS_DEPENDENCY';
  constructor(
    readonly atom: string,
    readonly dependency: string,
    readonly providers: readonly string[],
  ) {
    super(
      `adding '${atom}': multiple providers [${providers.join(', ')}] found for required symbol '${dependency}'`,
    );
  }
}

/** Two atoms in one flow (at any nesting level) share a name. */
export class DuplicateAtom extends TaskFlowError {
  readonly code = 'DUPLICATE_ATOM';
  constructor(readonly names: readonly string[]) {
    super(`atoms with duplicate names found: ${names.join(', ')}`);
  }
}

/** A graph would no longer be acyclic (graph flow `add`/`link`), or a dependency cannot be satisfied by ordering. */
export class DependencyFailure extends TaskFlowError {
  readonly code = 'DEPENDENCY_FAILURE';
}

/** An operation is not allowed in the current (flow or atom) state, e.g. an invalid state transition. */
export class InvalidState extends TaskFlowError {
  readonly code = 'INVALID_STATE';
}

/** A named thing (stored result, atom, flow detail, logbook, retry value) does not exist. */
export class NotFound extends TaskFlowError {
  readonly code = 'NOT_FOUND';
}

/** The run did not finish within `timeoutMs`. Running atoms were left to finish; nothing new was started. */
export class EngineTimeout extends TaskFlowError {
  readonly code = 'ENGINE_TIMEOUT';
  constructor(readonly timeoutMs: number) {
    super(`flow run did not finish within ${timeoutMs} ms`);
  }
}

/** Persistence backend failed. */
export class StorageFailure extends TaskFlowError {
  readonly code = 'STORAGE_FAILURE';
}

/**
 * Several atoms failed in one run (e.g. parallel siblings, or a revert that failed after an execute failure):
 * `run()` rejects with this, holding every {@link Failure}. With a single failure the original error is rethrown instead.
 */
export class WrappedFailure extends TaskFlowError {
  readonly code = 'WRAPPED_FAILURE';
  constructor(readonly failures: readonly Failure[]) {
    super(
      `${failures.length} failures: ${failures.map((f) => `${f.exceptionType}: ${f.message}`).join('; ')}`,
    );
  }
  /** The first contained failure whose error class (or a base class) is one of `names`, if any. */
  check(...names: string[]): Failure | undefined {
    return this.failures.find((f) => f.check(...names) !== undefined);
  }
}
