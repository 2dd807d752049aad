import express, { type Express, type RequestHandler, type Router } from 'express';
import type { Config } from '../config';
import type { Logger } from '../log';
import { RequestTooLargeError, faultHandler, notFoundHandler } from './faults';
import { apiResourceHeaders, requestId } from './middleware/request-id';
import { listVersions, showV3Version } from './routes/versions';

/** What the HTTP app needs. Later areas extend this with their own dependencies. */
export interface AppDeps {
  readonly config: Pick<Config, 'maxRequestBodySize'>;
  /** Lines written while handling a request carry its requestId. */
  readonly logger: Logger;
  /**
   * Mounts the /v3 API (noauth, microversions, body parsing, resources such as `/:projectId/volumes`) on
   * the /v3 router. Called once, before the `GET /v3/` version document is added, so an auth middleware
   * mounted here also guards that document (Cinder's noauth answers it with 204 without a token).
   * Resources set their own API headers (OpenStack-API-Version, Vary, X-Compute-Request-Id); API faults
   * get X-Compute-Request-Id from the fault handler.
   */
  readonly mountV3?: (v3: Router) => void;
}

/**
 * Builds the HTTP application. It never listens: `src/bin` does, and tests use supertest.
 *
 * Order: request id → `/healthcheck` → declared size limit (webob 413) → `GET /` versions → `/v3` router →
 * unmatched routes (webob 404) → the fault handler.
 */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  const log = deps.logger.child({ component: 'api' });
  const maxBody = deps.config.maxRequestBodySize;

  app.use(requestId(log));
  app.use(pythonStyleJson);

  app.get('/healthcheck', (_req, res) => {
    res.setHeader('Content-Type', 'text/plain; charset=UTF-8');
    res.status(200).send(Buffer.from('OK'));
  });

  app.use(limitBodySize(maxBody));

  app.get('/', apiResourceHeaders(), listVersions());

  const v3 = express.Router();
  deps.mountV3?.(v3);
  v3.get('/', apiResourceHeaders(), showV3Version());
  app.use('/v3', v3);

  app.use(notFoundHandler());
  app.use(faultHandler(log, maxBody));
  return app;
}

/** Rejects a declared body over the limit before anything reads it (oslo's sizelimit middleware). */
function limitBodySize(limit: number): RequestHandler {
  return (req, _res, next) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    next(declared > limit ? new RequestTooLargeError(limit) : undefined);
  };
}

/** Makes `res.json` write JSON the way Cinder (Python's json.dumps) does, byte for byte. */
const pythonStyleJson: RequestHandler = (_req, res, next) => {
  res.json = function json(body: unknown) {
    if (!this.get('Content-Type')) this.setHeader('Content-Type', 'application/json');
    // A Buffer keeps express from appending "; charset=utf-8", which Cinder does not send.
    return this.send(Buffer.from(toPythonJson(body)));
  };
  next();
};

/**
 * `JSON.stringify` with Python's default separators (`", "`, `": "`) and `ensure_ascii` (non-ASCII as
 * `\uXXXX`), so bodies and Content-Length match what Cinder sends.
 */
export function toPythonJson(value: unknown): string {
  const out = serialize(value);
  return out === undefined ? 'null' : out;
}

function serialize(value: unknown): string | undefined {
  if (value === null) return 'null';
  if (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { toJSON?: unknown }).toJSON === 'function'
  ) {
    return serialize((value as { toJSON(): unknown }).toJSON());
  }
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value).replace(
        /[\u0080-\uffff]/g,
        (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
      );
    case 'number':
    case 'boolean':
      return JSON.stringify(value);
    case 'bigint':
      return value.toString();
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v) => serialize(v) ?? 'null').join(', ')}]`;
      const parts: string[] = [];
      for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
        const s = serialize(v);
        if (s !== undefined) parts.push(`${serialize(key)!}: ${s}`);
      }
      return `{${parts.join(', ')}}`;
    }
    default:
      return undefined; // undefined, functions and symbols are left out, as JSON.stringify does
  }
}
