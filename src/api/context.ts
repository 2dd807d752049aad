/**
 * The request context every API handler works with: who is calling (from the auth middleware), in
 * which request (the request id) and at which microversion. Built once per request from what the
 * middlewares stored; handlers call {@link getRequestContext}.
 */
import type { Request, Response } from 'express';
import { getMicroversion, type ApiVersion } from './middleware/microversion';
import { findAuthIdentity } from './middleware/noauth';

/** What a handler knows about the request it serves. */
export interface RequestContext {
  /** `req-<uuid4>`, as sent in X-OpenStack-Request-Id. */
  readonly requestId: string;
  readonly userId: string;
  /** The caller's project, from the token. */
  readonly projectId: string;
  readonly isAdmin: boolean;
  readonly roles: readonly string[];
  /** The negotiated microversion. */
  readonly microversion: ApiVersion;
}

const CONTEXT_KEY = Symbol('cinder.context');
type WithContext = Request & { [CONTEXT_KEY]?: RequestContext };

/**
 * The context of this request. Needs the request-id, auth (noauth) and microversion middlewares in
 * front of the route; throws (a 500, a wiring bug) when one is missing.
 */
export function getRequestContext(req: Request, res: Response): RequestContext {
  const cached = (req as WithContext)[CONTEXT_KEY];
  if (cached !== undefined) return cached;
  const identity = findAuthIdentity(req);
  if (identity === undefined) throw new Error('no auth middleware in front of this route');
  const locals = res.locals as { requestId?: unknown };
  const requestId =
    typeof locals.requestId === 'string'
      ? locals.requestId
      : String(res.getHeader('X-OpenStack-Request-Id') ?? '');
  const ctx: RequestContext = Object.freeze({
    requestId,
    userId: identity.userId,
    projectId: identity.projectId,
    isAdmin: identity.isAdmin,
    roles: Object.freeze([...identity.roles]),
    microversion: getMicroversion(req),
  });
  (req as WithContext)[CONTEXT_KEY] = ctx;
  return ctx;
}

/** A context for code that runs outside HTTP (tests, CLI), with admin off unless asked. */
export function makeRequestContext(
  fields: Partial<RequestContext> & Pick<RequestContext, 'projectId' | 'microversion'>,
): RequestContext {
  return Object.freeze({
    requestId: fields.requestId ?? 'req-00000000-0000-4000-8000-000000000000',
    userId: fields.userId ?? 'user',
    projectId: fields.projectId,
    isAdmin: fields.isAdmin ?? false,
    roles: Object.freeze([
      ...(fields.roles ?? (fields.isAdmin === true ? ['admin', 'member', 'reader'] : ['member', 'reader'])),
    ]),
    microversion: fields.microversion,
  });
}
