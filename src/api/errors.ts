/**
 * API-level error classes: what goes wrong with a request before (or instead of) any domain work.
 *
 * They carry fields, not just text, and know nothing about HTTP. The HTTP mapping (status, OpenStack
 * fault name, body shape) is data: {@link apiFaultMappings} lists one entry per class for the single
 * fault table in `src/api/faults.ts` to register. Messages are Cinder 21's, word for word, where Cinder
 * has one (see shared/API_SAMPLES.md).
 */

/** Base of every API-level error. `code` is SCREAMING_SNAKE and never reused. */
export abstract class ApiError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Cinder's `InvalidInput`: "Invalid input received: <reason>" (400 badRequest). */
export class InvalidInputError extends ApiError {
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
export class SchemaValidationError extends ApiError {
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
export class InvalidNameError extends ApiError {
  readonly code = 'INVALID_NAME';
  constructor(readonly reason: string) {
    super(`An invalid 'name' value was provided. ${reason}`);
  }
}

/** The body is not JSON, not UTF-8, or (for actions) not a one-key object. */
export class MalformedRequestBodyError extends ApiError {
  readonly code = 'MALFORMED_REQUEST_BODY';
  constructor(
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super('Malformed request body', options);
  }
}

/** POST/PUT without a body. Cinder answers 500 here (KeyError: 'body'); we answer a specific 400. */
export class EmptyRequestBodyError extends ApiError {
  readonly code = 'EMPTY_REQUEST_BODY';
  constructor(readonly method: string) {
    super(`The request body is empty; ${method} on this resource requires a JSON body.`);
  }
}

/** A body whose Content-Type is missing or not JSON (415 badMediaType). */
export class UnsupportedContentTypeError extends ApiError {
  readonly code = 'UNSUPPORTED_CONTENT_TYPE';
  constructor(readonly contentType: string | null) {
    super('Unsupported Content-Type');
  }
}

/** A body over `max_request_body_size`. Rendered in webob's shape, outside the API resource layer. */
export class RequestTooLargeError extends ApiError {
  readonly code = 'REQUEST_TOO_LARGE';
  constructor(readonly limitBytes: number) {
    super(`Request is too large. Larger than max_request_body_size (${limitBytes}).`);
  }
}

/** `OpenStack-API-Version: volume 3` and the like: not MajorNum.MinorNum. */
export class InvalidAPIVersionString extends ApiError {
  readonly code = 'INVALID_API_VERSION_STRING';
  constructor(readonly version: string) {
    super(`API Version String ${version} is of invalid format. Must be of format MajorNum.MinorNum.`);
  }
}

/** A well-formed microversion outside the supported range (406 computeFault). */
export class InvalidGlobalAPIVersion extends ApiError {
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
export class InvalidAPIVersionHeaderError extends ApiError {
  readonly code = 'INVALID_API_VERSION_HEADER';
  constructor(readonly header: string) {
    super(
      `The OpenStack-API-Version header '${header}' names no version for the volume service; ` +
        `send e.g. 'OpenStack-API-Version: volume 3.0'.`,
    );
  }
}

/** A valid microversion that this method does not serve (404 itemNotFound, as Cinder). */
export class VersionNotFoundForAPIMethod extends ApiError {
  readonly code = 'VERSION_NOT_FOUND_FOR_API_METHOD';
  constructor(readonly version: string) {
    super(`API version ${version} is not supported on this method.`);
  }
}

/** The project in the URL is not the caller's and the caller is not admin. */
export class MalformedRequestUrlError extends ApiError {
  readonly code = 'MALFORMED_REQUEST_URL';
  constructor(
    readonly urlProjectId: string,
    readonly contextProjectId: string,
  ) {
    super('Malformed request url');
  }
}

/** An `X-Auth-Token` that names no user (noauth mode expects `user[:project]`). */
export class InvalidAuthTokenError extends ApiError {
  readonly code = 'INVALID_AUTH_TOKEN';
  constructor() {
    super("The X-Auth-Token header is empty; noauth mode expects '<user-id>:<project-id>'.");
  }
}

/** A policy check failed (403 forbidden), with Cinder's wording. */
export class PolicyNotAuthorizedError extends ApiError {
  readonly code = 'POLICY_NOT_AUTHORIZED';
  constructor(readonly action: string) {
    super(`Policy doesn't allow ${action} to be performed.`);
  }
}

/** POST /volumes/{id}/action with an action key this API does not know. */
export class NoSuchActionError extends ApiError {
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
export class BadRequestParameterError extends ApiError {
  readonly code = 'BAD_REQUEST_PARAMETER';
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(message);
  }
}

/** The OpenStack fault names, per status, as Cinder's `Fault` renders them. */
export type OpenStackFaultName =
  | 'badRequest'
  | 'unauthorized'
  | 'forbidden'
  | 'itemNotFound'
  | 'badMethod'
  | 'conflict'
  | 'overLimit'
  | 'badMediaType'
  | 'computeFault'
  | 'notImplemented'
  | 'serviceUnavailable';

/**
 * How an error renders on the wire.
 * - `openstack`: `{"<fault>": {"code": <status>, "message": "<message>"}}`, with the microversion
 *   headers when a version was negotiated;
 * - `webob`: `{"message": "<message><br /><br />\n\n\n", "code": "<status> <reason>", "title": "<reason>"}`,
 *   without `OpenStack-API-Version`, `Vary` or `X-Compute-Request-Id` (errors raised outside the
 *   API resource layer: router 404s, the body size limit).
 */
export type FaultShape = 'openstack' | 'webob';

/** One row of the fault table. */
export interface ApiFaultMapping {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly error: abstract new (...args: any[]) => Error;
  readonly status: number;
  readonly fault: OpenStackFaultName;
  readonly shape: FaultShape;
  /**
   * Whether the response carries `OpenStack-API-Version`/`Vary` (when a version was negotiated).
   * False for errors raised while negotiating the version itself, as Cinder.
   */
  readonly versionHeaders: boolean;
}

/** The API-level rows for the fault table in `src/api/faults.ts`. Order does not matter (classes are unrelated). */
export const apiFaultMappings: readonly ApiFaultMapping[] = [
  { error: InvalidInputError, status: 400, fault: 'badRequest', shape: 'openstack', versionHeaders: true },
  {
    error: SchemaValidationError,
    status: 400,
    fault: 'badRequest',
    shape: 'openstack',
    versionHeaders: true,
  },
  { error: InvalidNameError, status: 400, fault: 'badRequest', shape: 'openstack', versionHeaders: true },
  {
    error: MalformedRequestBodyError,
    status: 400,
    fault: 'badRequest',
    shape: 'openstack',
    versionHeaders: true,
  },
  {
    error: EmptyRequestBodyError,
    status: 400,
    fault: 'badRequest',
    shape: 'openstack',
    versionHeaders: true,
  },
  {
    error: UnsupportedContentTypeError,
    status: 415,
    fault: 'badMediaType',
    shape: 'openstack',
    versionHeaders: true,
  },
  { error: RequestTooLargeError, status: 413, fault: 'overLimit', shape: 'webob', versionHeaders: false },
  {
    error: InvalidAPIVersionString,
    status: 400,
    fault: 'badRequest',
    shape: 'openstack',
    versionHeaders: false,
  },
  {
    error: InvalidAPIVersionHeaderError,
    status: 400,
    fault: 'badRequest',
    shape: 'openstack',
    versionHeaders: false,
  },
  {
    error: InvalidGlobalAPIVersion,
    status: 406,
    fault: 'computeFault',
    shape: 'openstack',
    versionHeaders: true,
  },
  {
    error: VersionNotFoundForAPIMethod,
    status: 404,
    fault: 'itemNotFound',
    shape: 'openstack',
    versionHeaders: true,
  },
  {
    error: MalformedRequestUrlError,
    status: 400,
    fault: 'badRequest',
    shape: 'openstack',
    versionHeaders: true,
  },
  {
    error: InvalidAuthTokenError,
    status: 401,
    fault: 'unauthorized',
    shape: 'openstack',
    versionHeaders: false,
  },
  {
    error: PolicyNotAuthorizedError,
    status: 403,
    fault: 'forbidden',
    shape: 'openstack',
    versionHeaders: true,
  },
  { error: NoSuchActionError, status: 400, fault: 'badRequest', shape: 'openstack', versionHeaders: true },
  {
    error: BadRequestParameterError,
    status: 400,
    fault: 'badRequest',
    shape: 'openstack',
    versionHeaders: true,
  },
];

/** The HTTP reason phrases webob prints in its `code`/`title` fields. */
export const WEBOB_REASONS: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
};

/**
 * Renders a webob-shaped JSON error body, byte-compatible with Cinder's eventlet server, e.g.
 * `{"message": "The resource could not be found.<br /><br />\n\n\n", "code": "404 Not Found", "title": "Not Found"}`.
 */
export function webobErrorBody(
  status: number,
  message: string,
): { message: string; code: string; title: string } {
  const title = WEBOB_REASONS[status] ?? 'Error';
  return { message: `${message}<br /><br />\n\n\n`, code: `${status} ${title}`, title };
}
