/**
 * The one place where errors become HTTP responses.
 *
 * Two shapes, as Cinder has them:
 * - API faults, from the resource layer: `{"badRequest": {"code": 400, "message": "…"}}`, with
 *   X-Compute-Request-Id (and OpenStack-API-Version / Vary when a microversion was negotiated).
 *   The fault name follows the status.
 * - webob errors, from outside it (no route matched, body over max_request_body_size):
 *   `{"message": "…<br /><br />\n\n\n", "code": "404 Not Found", "title": "Not Found"}` when the client
 *   accepts JSON, HTML when it accepts HTML, plain text otherwise; without the API resource headers.
 *
 * FAULT_TABLE maps error classes to a status. Add a row for each domain error that should not be a 500
 * (domain errors know nothing about HTTP). Anything not in the table is a 500 computeFault with a generic
 * message; its detail goes only to the log. No response ever carries a stack trace.
 */
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { Logger } from '../log';
import { apiFaultMappings } from './errors';
import { API_RESOURCE_HEADERS, COMPUTE_REQUEST_ID_HEADER } from './middleware/request-id';
import { volumeFaultMappings } from './routes/v3/fault-mappings';

/** Base of the errors the HTTP layer raises itself (parsing, routing, content negotiation). */
export abstract class ApiError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** webob's text for a 400 whose cause is not worth telling (Cinder turns TypeErrors into it). */
export const GENERIC_BAD_REQUEST =
  'The server could not comply with the request since it is either malformed or otherwise incorrect.';
/** The message of every 500. */
export const GENERIC_SERVER_ERROR =
  'The server has either erred or is incapable of performing the requested operation.';

export class BadRequestError extends ApiError {
  readonly code: string = 'BAD_REQUEST';
  constructor(message: string = GENERIC_BAD_REQUEST, options?: ErrorOptions) {
    super(message, options);
  }
}

/** The body is not valid JSON. */
export class MalformedRequestBodyError extends BadRequestError {
  override readonly code = 'MALFORMED_REQUEST_BODY';
  constructor(options?: ErrorOptions) {
    super('Malformed request body', options);
  }
}

export class ItemNotFoundError extends ApiError {
  readonly code = 'ITEM_NOT_FOUND';
}

export class UnsupportedMediaTypeError extends ApiError {
  readonly code = 'UNSUPPORTED_MEDIA_TYPE';
  constructor() {
    super('Unsupported Content-Type');
  }
}

/** 406 computeFault, e.g. "Version 3.71 is not supported by the API. Minimum is 3.0 and maximum is 3.70." */
export class NotAcceptableError extends ApiError {
  readonly code = 'NOT_ACCEPTABLE';
}

/** No route matched (webob 404). */
export class RouteNotFoundError extends ApiError {
  readonly code = 'ROUTE_NOT_FOUND';
  constructor() {
    super('The resource could not be found.');
  }
}

/** The body is larger than max_request_body_size (webob 413, before any resource sees it). */
export class RequestTooLargeError extends ApiError {
  readonly code = 'REQUEST_TOO_LARGE';
  constructor(readonly limit: number) {
    super(`Request is too large. Larger than max_request_body_size (${limit}).`);
  }
}

/** Cinder's status → fault name (cinder/api/openstack/wsgi.py Fault._fault_names); others are computeFault. */
export const FAULT_NAMES: Readonly<Record<number, string>> = {
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'itemNotFound',
  405: 'badMethod',
  409: 'conflictingRequest',
  413: 'overLimit',
  415: 'badMediaType',
  429: 'overLimit',
  501: 'notImplemented',
  503: 'serviceUnavailable',
};

export function faultName(status: number): string {
  return FAULT_NAMES[status] ?? 'computeFault';
}

// Error classes are matched with instanceof; their constructor arguments do not matter here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ErrorClass = abstract new (...args: any[]) => Error;

export interface FaultMapping {
  readonly error: ErrorClass;
  readonly status: number;
  /** `api` (default): the OpenStack fault body; `webob`: the body of an error raised outside the API layer. */
  readonly shape?: 'api' | 'webob';
  /** The text sent to the client. @default the error's message */
  readonly message?: (err: Error) => string;
}

/**
 * THE table: error class → status (and so fault name). First match wins, so list subclasses before
 * their parents. Domain errors of other areas get their rows here.
 */
export const FAULT_TABLE: readonly FaultMapping[] = [
  { error: RouteNotFoundError, status: 404, shape: 'webob' },
  { error: RequestTooLargeError, status: 413, shape: 'webob' },
  { error: BadRequestError, status: 400 },
  { error: ItemNotFoundError, status: 404 },
  { error: NotAcceptableError, status: 406 },
  { error: UnsupportedMediaTypeError, status: 415 },
  ...apiFaultMappings,
  ...volumeFaultMappings,
];

/** What a fault response will be; pure, so it can be tested without HTTP. */
export interface FaultResponse {
  readonly status: number;
  readonly shape: 'api' | 'webob';
  readonly message: string;
  /** Seconds, for overLimit (413/429) API faults. */
  readonly retryAfter?: string;
  /** True when the error was not in the table: it must be logged as an error. */
  readonly unexpected: boolean;
}

/**
 * Errors that express and body-parser raise (http-errors with a `type`) mapped to ours, so the table
 * above is the only place that decides statuses.
 */
function normalize(err: unknown, maxBodySize: number): unknown {
  if (err === null || typeof err !== 'object') return err;
  const type = (err as { type?: unknown }).type;
  const status = (err as { status?: unknown }).status;
  switch (type) {
    case 'entity.parse.failed':
      return new MalformedRequestBodyError({ cause: err });
    case 'entity.too.large':
      return new RequestTooLargeError(maxBodySize);
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return new UnsupportedMediaTypeError();
    default:
      // e.g. express's "Failed to decode param" (400) for a bad %-escape in a path
      if (!(err instanceof ApiError) && status === 400)
        return new BadRequestError(GENERIC_BAD_REQUEST, { cause: err });
      return err;
  }
}

/** Decides status, shape and message for any thrown value. */
export function faultFor(err: unknown, maxBodySize: number): FaultResponse {
  const error = normalize(err, maxBodySize);
  if (error instanceof Error) {
    const row = FAULT_TABLE.find((r) => error instanceof r.error);
    if (row !== undefined) {
      const overLimit = row.status === 413 || row.status === 429;
      const shape = row.shape ?? 'api';
      return {
        status: row.status,
        shape,
        message: row.message?.(error) ?? error.message,
        ...(overLimit && shape === 'api' ? { retryAfter: retryAfterOf(error) } : {}),
        unexpected: false,
      };
    }
  }
  return { status: 500, shape: 'api', message: GENERIC_SERVER_ERROR, unexpected: true };
}

function retryAfterOf(err: Error): string {
  const value = (err as { retryAfter?: unknown }).retryAfter;
  return typeof value === 'number' || typeof value === 'string' ? String(value) : '0';
}

/** Sends `{"<faultName>": {"code", "message"[, "retryAfter"]}}` with the given status. */
export function sendApiFault(res: Response, status: number, message: string, retryAfter?: string): void {
  res.setHeader(COMPUTE_REQUEST_ID_HEADER, res.locals.requestId);
  const body: Record<string, unknown> = { code: status, message };
  if (retryAfter !== undefined) {
    body['retryAfter'] = retryAfter;
    res.setHeader('Retry-After', retryAfter);
  }
  res.status(status).json({ [faultName(status)]: body });
}

const STATUS_TITLES: Readonly<Record<number, string>> = {
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Request Entity Too Large',
};

/**
 * Sends a webob-shaped error: JSON if the client accepts it, HTML if it accepts HTML, else plain text
 * (webob's order). Strips the API resource headers, which webob errors never carry.
 */
export function sendWebobError(req: Request, res: Response, status: number, explanation: string): void {
  for (const header of API_RESOURCE_HEADERS) res.removeHeader(header);
  const title = STATUS_TITLES[status] ?? 'Error';
  const statusLine = `${status} ${title}`;
  const accept = req.headers.accept;
  const match =
    accept === undefined || accept.trim() === '' ? false : req.accepts(['text/html', 'application/json']);
  res.status(status);
  if (match === 'application/json') {
    res.json({ message: `${explanation}<br /><br />\n\n\n`, code: statusLine, title });
  } else if (match === 'text/html') {
    res.setHeader('Content-Type', 'text/html; charset=UTF-8');
    res.send(
      Buffer.from(
        `<html>\n <head>\n  <title>${statusLine}</title>\n </head>\n <body>\n  <h1>${statusLine}</h1>\n` +
          `  ${escapeHtml(explanation)}<br /><br />\n\n\n\n </body>\n</html>`,
      ),
    );
  } else {
    res.setHeader('Content-Type', 'text/plain; charset=UTF-8');
    res.send(Buffer.from(`${statusLine}\n\n${explanation}\n\n   `));
  }
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The last handler: no route matched. */
export function notFoundHandler(): RequestHandler {
  return (_req, _res, next) => next(new RouteNotFoundError());
}

/**
 * The error middleware, mounted last. Logs unexpected errors once, with the error, and answers with the
 * table's status; never with a stack trace.
 */
export function faultHandler(logger: Logger, maxBodySize: number): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    const fault = faultFor(err, maxBodySize);
    if (fault.unexpected) {
      logger.error('unexpected error while handling a request', {
        err,
        method: req.method,
        path: req.originalUrl,
      });
    } else {
      logger.info('request failed', { status: fault.status, reason: fault.message });
    }
    if (res.headersSent) {
      // Too late for a fault body; let express end the connection.
      next(err);
      return;
    }
    if (fault.shape === 'webob') sendWebobError(req, res, fault.status, fault.message);
    else sendApiFault(res, fault.status, fault.message, fault.retryAfter);
  };
}
