/**
 * JSON request bodies with Cinder's errors, for the API resources (POST/PUT/PATCH):
 * - nothing sent → 400 {@link EmptyRequestBodyError} (Cinder answers 500 here);
 * - over `max_request_body_size` → webob 413 (faults.ts's RequestTooLargeError);
 * - Content-Type missing or not JSON → 415 "Unsupported Content-Type";
 * - not UTF-8 or not JSON → 400 "Malformed request body".
 * GET, HEAD and DELETE bodies are ignored, as Cinder does.
 *
 * It can run alone (it reads the stream itself) or after `express.json()`: a body that parser already
 * consumed is kept as it parsed it, except that an empty one (`Content-Length: 0`, which express.json
 * turns into `{}`) is still reported as empty.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { EmptyRequestBodyError } from '../errors';
import { MalformedRequestBodyError, RequestTooLargeError, UnsupportedMediaTypeError } from '../faults';

/** Cinder's `max_request_body_size` default (oslo sizelimit). */
export const MAX_REQUEST_BODY_SIZE = 114688;

/** The media types Cinder deserializes as JSON. */
export const JSON_CONTENT_TYPES: readonly string[] = [
  'application/json',
  'application/vnd.openstack.volume+json',
];

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/** Options for {@link jsonBody}. */
export interface JsonBodyOptions {
  /** Largest body in bytes. @default MAX_REQUEST_BODY_SIZE */
  readonly limit?: number;
}

/** The media type of a Content-Type header value, lower-cased, without parameters. */
export function mediaType(contentType: string | undefined): string | null {
  if (contentType === undefined) return null;
  const type = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  return type === '' ? null : type;
}

/**
 * Reads the whole request body, refusing more than `limit` bytes (a declared Content-Length over the
 * limit is refused before anything is read). On refusal the rest is drained and the connection closed.
 */
export function readRawBody(req: Request, limit: number): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    const refuse = (): void => {
      req.resume(); // discard the rest so the 413 can be written
      reject(new RequestTooLargeError(limit));
    };
    if (Number.isFinite(declared) && declared > limit) {
      refuse();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        done = true;
        cleanup();
        refuse();
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      if (done) return;
      done = true;
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (err: Error): void => {
      if (done) return;
      done = true;
      cleanup();
      reject(new MalformedRequestBodyError({ cause: err }));
    };
    // A client that goes away mid-body: nothing to answer, but do not wait forever.
    const onClose = (): void => onError(new Error('the client closed the connection before the body ended'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses a raw body the way Cinder's JSON deserializer does.
 * @throws EmptyRequestBodyError, UnsupportedMediaTypeError, MalformedRequestBodyError
 */
export function parseJsonBody(raw: Buffer, contentType: string | undefined, method: string): unknown {
  if (raw.length === 0) throw new EmptyRequestBodyError(method);
  const type = mediaType(contentType);
  if (type === null || !JSON_CONTENT_TYPES.includes(type)) throw new UnsupportedMediaTypeError();
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch (err) {
    throw new MalformedRequestBodyError({ cause: err });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new MalformedRequestBodyError({ cause: err });
  }
}

/**
 * Middleware: parses the JSON body of POST/PUT/PATCH into `req.body`, with the errors listed above
 * passed to `next(err)` for the fault table.
 */
export function jsonBody(options: JsonBodyOptions = {}): RequestHandler {
  const limit = options.limit ?? MAX_REQUEST_BODY_SIZE;
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (!BODY_METHODS.has(req.method)) {
      next();
      return;
    }
    if (req.readableEnded) {
      // Consumed upstream (express.json). It maps an empty body to {}; we call it what it is.
      const declared = req.headers['content-length'];
      const empty = declared === '0' || req.body === undefined;
      next(empty ? new EmptyRequestBodyError(req.method) : undefined);
      return;
    }
    readRawBody(req, limit).then(
      (raw) => {
        try {
          req.body = parseJsonBody(raw, req.headers['content-type'], req.method);
          next();
        } catch (err) {
          next(err);
        }
      },
      (err: unknown) => next(err),
    );
  };
}
