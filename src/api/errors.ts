/**
 * API-level error classes: what goes wrong with a request before (or instead of) any domain work
 * (validation, microversions, noauth, policy).
 *
 * They carry fields, not just text, and know nothing about HTTP. The HTTP mapping is data:
 * {@link apiFaultMappings} holds one row per class, in the shape of `src/api/faults.ts`'s FAULT_TABLE,
 * for that table to include. Parsing errors shared with the rest of the HTTP layer (malformed JSON,
 * unsupported media type, body too large) are faults.ts's own classes. Messages are Cinder 21's, word
 * for word, where Cinder has one (see shared/API_SAMPLES.md).
 *
 * This module imports faults.ts for types only, so faults.ts may import it without a cycle.
 */
import type { FaultMapping } from './faults';

/** Base of every API-level request error. `code` is SCREAMING_SNAKE and never reused. */
export abstract class ApiRequestError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Cinder's `InvalidInput`: "Invalid input received: <reason>" (400 badRequest). */
export class InvalidInputError extends ApiRequestError {
  readonly code = 'INVALID_INPUT';
  constructor(
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`Invalid input received: ${reason}`, options);
  }
}

/**
 * A request body failed its JSON schema (Cinder's `ValidationError`). `detail` is the complete
 * client-facing message, e.g. "Invalid input for field/attribute size. Value: 0. 0 is less than the
 * minimum of 1"; `field` is the last path element when the failure is below the top level.
 */
export class SchemaValidationError extends ApiRequestError {
  readonly code = 'SCHEMA_VALIDATION_FAILED';
  constructor(
    readonly detail: string,
    readonly field: string | null = null,
    options?: ErrorOptions,
  ) {
    super(detail, options);
  }
}

/** A name that is present but unusable (Cinder's `InvalidName`), e.g. only whitespace. */
export class InvalidNameError extends ApiRequestError {
  readonly code = 'INVALID_NAME';
  constructor(readonly reason: string) {
    super(`An invalid 'name' value was provided. ${reason}`);
  }
}

/** POST/PUT without a body. Cinder answers 500 here (KeyError: 'body'); we answer a specific 400. */
export class EmptyRequestBodyError extends ApiRequestError {
  readonly code = 'EMPTY_REQUEST_BODY';
  constructor(readonly method: string) {
    super(`The request body is empty; ${method} on this resource requires a JSON body.`);
  }
}

/** `OpenStack-API-Version: volume 3` and the like: not MajorNum.MinorNum. */
export class InvalidAPIVersionString extends ApiRequestError {
  readonly code = 'INVALID_API_VERSION_STRING';
  constructor(readonly version: string) {
    super(`API Version String ${version} is of invalid format. Must be of format MajorNum.MinorNum.`);
  }
}

/** A well-formed microversion outside the supported range (406 computeFault). */
export class InvalidGlobalAPIVersion extends ApiRequestError {
  readonly code = 'INVALID_GLOBAL_API_VERSION';
  constructor(
    readonly requested: string,
    readonly minVersion: string,
    readonly maxVersion: string,
  ) {
    super(
      `Version ${requested} is not supported by the API. Minimum is ${minVersion} and maximum is ${maxVersion}.`,
    );
  }
}

/**
 * An `OpenStack-API-Version` header that names no version for the volume service (e.g. only
 * `compute 2.1`). Cinder answers a generic 400 here; we say what is wrong.
 */
export class InvalidAPIVersionHeaderError extends ApiRequestError {
  readonly code = 'INVALID_API_VERSION_HEADER';
  constructor(readonly header: string) {
    super(
      `The OpenStack-API-Version header '${header}' names no version for the volume service; ` +
        `send e.g. 'OpenStack-API-Version: volume 3.0'.`,
    );
  }
}

/** A valid microversion that this method does not serve (404 itemNotFound, as Cinder). */
export class VersionNotFoundForAPIMethod extends ApiRequestError {
  readonly code = 'VERSION_NOT_FOUND_FOR_API_METHOD';
  constructor(readonly version: string) {
    super(`API version ${version} is not supported on this method.`);
  }
}

/** The project in the URL is not the caller's and the caller is not admin. */
export class MalformedRequestUrlError extends ApiRequestError {
  readonly code = 'MALFORMED_REQUEST_URL';
  constructor(
    readonly urlProjectId: string,
    readonly contextProjectId: string,
  ) {
    super('Malformed request url');
  }
}

/** An `X-Auth-Token` that names no user (noauth mode expects `user[:project]`). */
export class InvalidAuthTokenError extends ApiRequestError {
  readonly code = 'INVALID_AUTH_TOKEN';
  constructor() {
    super("The X-Auth-Token header is empty; noauth mode expects '<user-id>:<project-id>'.");
  }
}

/** A policy check failed (403 forbidden), with Cinder's wording. */
export class PolicyNotAuthorizedError extends ApiRequestError {
  readonly code = 'POLICY_NOT_AUTHORIZED';
  constructor(readonly action: string) {
    super(`Policy doesn't allow ${action} to be performed.`);
  }
}

/** POST /volumes/{id}/action with an action key this API does not know. */
export class NoSuchActionError extends ApiRequestError {
  readonly code = 'NO_SUCH_ACTION';
  constructor(readonly action: string) {
    super(`There is no such action: ${action}`);
  }
}

/**
 * A query parameter or body value rejected by a controller-level check that Cinder reports as a
 * plain webob 400 (no "Invalid input received:" prefix), e.g. "limit param must be an integer",
 * "volumes must be >= -1", the multiattach removal notice, "Request body and URI mismatch".
 */
export class BadRequestParameterError extends ApiRequestError {
  readonly code = 'BAD_REQUEST_PARAMETER';
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The rows for faults.ts's FAULT_TABLE (spread them in: `...apiFaultMappings`). Statuses give the fault
 * names (400 badRequest, 401 unauthorized, 403 forbidden, 404 itemNotFound, 406 computeFault).
 * The classes are unrelated, so order does not matter.
 */
export const apiFaultMappings: readonly FaultMapping[] = [
  { error: InvalidInputError, status: 400 },
  { error: SchemaValidationError, status: 400 },
  { error: InvalidNameError, status: 400 },
  { error: EmptyRequestBodyError, status: 400 },
  { error: InvalidAPIVersionString, status: 400 },
  { error: InvalidAPIVersionHeaderError, status: 400 },
  { error: InvalidGlobalAPIVersion, status: 406 },
  { error: VersionNotFoundForAPIMethod, status: 404 },
  { error: MalformedRequestUrlError, status: 400 },
  { error: InvalidAuthTokenError, status: 401 },
  { error: PolicyNotAuthorizedError, status: 403 },
  { error: NoSuchActionError, status: 400 },
  { error: BadRequestParameterError, status: 400 },
];
