/**
 * Errors of the persistent-object layer. All are registered for RPC, so a compute service calling
 * through the conductor gets the same class back (with its fields).
 */
import { registerRemoteErrorClass } from '../rpc/errors';

/** Direct database access from a process that must go through the conductor (Nova DBNotAllowed). */
export class DBNotAllowed extends Error {
  readonly code = 'DB_NOT_ALLOWED';
  constructor(
    /** The binary whose database access is blocked, e.g. 'nova-compute'. */
    readonly binary: string,
    /** What tried to use the database, e.g. 'Instance.save'. */
    readonly caller: string,
  ) {
    super(
      `${binary} attempted direct database access from ${caller}, which is not allowed: it must go through the conductor`,
    );
    this.name = 'DBNotAllowed';
  }
}

/** A remotable method was called on an object that has no request context. */
export class OrphanedObjectError extends Error {
  readonly code = 'ORPHANED_OBJECT';
  constructor(
    readonly objName: string,
    readonly method: string,
  ) {
    super(`cannot call ${method} on orphaned ${objName} object (it has no context)`);
    this.name = 'OrphanedObjectError';
  }
}

/** An object method could not do what was asked (unset field, bad value, not a remotable method …). */
export class ObjectActionError extends Error {
  readonly code = 'OBJECT_ACTION_ERROR';
  constructor(
    readonly action: string,
    readonly reason: string,
  ) {
    super(`object action ${action} failed because: ${reason}`);
    this.name = 'ObjectActionError';
  }
}

export class InstanceNotFoundError extends Error {
  readonly code = 'INSTANCE_NOT_FOUND';
  constructor(readonly instanceUuid: string) {
    super(`instance ${instanceUuid} could not be found`);
    this.name = 'InstanceNotFoundError';
  }
}

/** save() with an expected task state found the instance in another one (someone else changed it). */
export class UnexpectedTaskStateError extends Error {
  readonly code = 'UNEXPECTED_TASK_STATE';
  constructor(
    readonly instanceUuid: string,
    readonly expected: ReadonlyArray<string | null>,
    readonly actual: string | null,
  ) {
    super(
      `instance ${instanceUuid}: unexpected task state: expecting ${JSON.stringify(expected)} but the actual state is ${JSON.stringify(actual)}`,
    );
    this.name = 'UnexpectedTaskStateError';
  }
}

/** The instance's host, node and vm state an {@link UnexpectedInstanceStateError} compares. */
export interface InstancePlacementState {
  readonly host?: string | null;
  readonly node?: string | null;
  readonly vmState?: string | null;
}

/**
 * save() with an expected host, node or vm state found the instance elsewhere or in another state
 * (another copy of a request got there first): nothing was written.
 */
export class UnexpectedInstanceStateError extends Error {
  readonly code = 'UNEXPECTED_INSTANCE_STATE';
  constructor(
    readonly instanceUuid: string,
    readonly expected: InstancePlacementState,
    readonly actual: InstancePlacementState,
  ) {
    super(
      `instance ${instanceUuid}: unexpected state: expecting ${JSON.stringify(expected)} but it is ${JSON.stringify(actual)}`,
    );
    this.name = 'UnexpectedInstanceStateError';
  }
}

/**
 * A compare-and-set on an instance (save with an expected task state, vm state or host) lost: another
 * copy of the same request changed or removed the instance first.
 */
export function isLostInstanceRace(
  err: unknown,
): err is UnexpectedTaskStateError | UnexpectedInstanceStateError | InstanceNotFoundError {
  return (
    err instanceof UnexpectedTaskStateError ||
    err instanceof UnexpectedInstanceStateError ||
    err instanceof InstanceNotFoundError
  );
}

export class ComputeHostNotFoundError extends Error {
  readonly code = 'COMPUTE_HOST_NOT_FOUND';
  constructor(
    readonly host: string,
    readonly nodename: string | null = null,
  ) {
    super(
      nodename === null
        ? `compute host ${host} could not be found`
        : `compute host ${host} with node ${nodename} could not be found`,
    );
    this.name = 'ComputeHostNotFoundError';
  }
}

for (const cls of [
  DBNotAllowed,
  OrphanedObjectError,
  ObjectActionError,
  InstanceNotFoundError,
  UnexpectedTaskStateError,
  UnexpectedInstanceStateError,
  ComputeHostNotFoundError,
]) {
  registerRemoteErrorClass(cls);
}
