/** Compute and scheduling errors; registered for RPC so they cross services as the same classes. */
import { registerRemoteErrorClass } from '../rpc/errors';

/** A claim that does not fit on the node (Nova ComputeResourcesUnavailable). */
export class ComputeResourcesUnavailableError extends Error {
  readonly code = 'COMPUTE_RESOURCES_UNAVAILABLE';
  constructor(
    readonly host: string,
    readonly nodename: string,
    readonly reason: string,
  ) {
    super(`insufficient compute resources on ${host}/${nodename}: ${reason}`);
    this.name = 'ComputeResourcesUnavailableError';
  }
}

/** The virt driver reported resources that make no sense (negative, non-integer …). */
export class InvalidResourceReportError extends Error {
  readonly code = 'INVALID_RESOURCE_REPORT';
  constructor(
    readonly nodename: string,
    readonly reason: string,
  ) {
    super(`the driver reported invalid resources for node ${nodename}: ${reason}`);
    this.name = 'InvalidResourceReportError';
  }
}

/** The driver failed to spawn an instance. */
export class SpawnFailedError extends Error {
  readonly code = 'SPAWN_FAILED';
  constructor(
    readonly instanceUuid: string,
    readonly host: string,
    readonly reason: string,
  ) {
    super(`failed to spawn instance ${instanceUuid} on ${host}: ${reason}`);
    this.name = 'SpawnFailedError';
  }
}

/** No host passes the filters (Nova NoValidHost). */
export class NoValidHostError extends Error {
  readonly code = 'NO_VALID_HOST';
  constructor(readonly reason: string) {
    super(`no valid host was found. ${reason}`);
    this.name = 'NoValidHostError';
  }
}

/** A build failed on every host it was allowed to try (Nova MaxRetriesExceeded). */
export class MaxRetriesExceededError extends Error {
  readonly code = 'MAX_RETRIES_EXCEEDED';
  constructor(
    readonly instanceUuid: string,
    readonly attempts: number,
    readonly lastError: string,
  ) {
    super(`exceeded maximum number of retries (${attempts}) building instance ${instanceUuid}: ${lastError}`);
    this.name = 'MaxRetriesExceededError';
  }
}

/**
 * A build request for an instance that is not waiting to be built on this node any more: another copy
 * of the same cast (casts arrive at least once) claimed it first, it was rescheduled elsewhere, or it
 * is ACTIVE, ERROR or deleted. The copy that meets it does nothing: no claim, no spawn, no reschedule.
 */
export class BuildNotPendingError extends Error {
  readonly code = 'BUILD_NOT_PENDING';
  constructor(
    readonly instanceUuid: string,
    readonly host: string,
    readonly reason: string,
  ) {
    super(`instance ${instanceUuid} is not waiting to be built on ${host}: ${reason}`);
    this.name = 'BuildNotPendingError';
  }
}

for (const cls of [
  ComputeResourcesUnavailableError,
  InvalidResourceReportError,
  SpawnFailedError,
  NoValidHostError,
  MaxRetriesExceededError,
  BuildNotPendingError,
]) {
  registerRemoteErrorClass(cls);
}
