import type { RequestHandler } from 'express';
import type { Logger } from '../../log';
import { runWithRequestContext } from '../../log';
import { generateRequestId } from '../../rpc/context';

/** The request id header on every response (`req-<uuid4>`). */
export const REQUEST_ID_HEADER = 'X-OpenStack-Request-Id';
/** The legacy header Cinder's API resources repeat the id in (not on webob-shaped errors). */
export const COMPUTE_REQUEST_ID_HEADER = 'X-Compute-Request-Id';
export const API_VERSION_HEADER = 'OpenStack-API-Version';

/** Headers the API resource layer adds, and that webob-shaped errors must not carry. */
export const API_RESOURCE_HEADERS = [COMPUTE_REQUEST_ID_HEADER, API_VERSION_HEADER, 'Vary'] as const;

declare module 'express-serve-static-core' {
  interface Locals {
    /** `req-<uuid4>`; set by requestId() before anything else runs. */
    requestId: string;
  }
}

/**
 * Gives each request a fresh `req-<uuid4>` (an inbound X-OpenStack-Request-Id is not echoed, as in Cinder),
 * sends it back in X-OpenStack-Request-Id, runs the rest of the chain inside a request context so every
 * log line carries it, and logs one line when the response is finished.
 */
export function requestId(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const id = generateRequestId();
    const started = process.hrtime.bigint();
    res.locals.requestId = id;
    res.setHeader(REQUEST_ID_HEADER, id);
    res.on('finish', () => {
      logger.info('request finished', {
        requestId: id,
        method: req.method,
        path: req.originalUrl,
        status: res.statusCode,
        durationMs: Number(process.hrtime.bigint() - started) / 1e6,
      });
    });
    runWithRequestContext({ requestId: id }, next);
  };
}

/**
 * The headers Cinder's API resources put on their responses, for a resource served at one fixed version
 * (the version documents): `OpenStack-API-Version: volume <version>`, `Vary: OpenStack-API-Version` and
 * `X-Compute-Request-Id` with the request id. Versioned resources get the first two from the
 * microversion middleware instead.
 */
export function apiResourceHeaders(defaultVersion = '3.0'): RequestHandler {
  return (_req, res, next) => {
    res.setHeader(API_VERSION_HEADER, `volume ${defaultVersion}`);
    res.setHeader('Vary', API_VERSION_HEADER);
    res.setHeader(COMPUTE_REQUEST_ID_HEADER, res.locals.requestId);
    next();
  };
}
