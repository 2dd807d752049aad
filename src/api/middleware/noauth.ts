/**
 * Cinder's noauth mode (`auth_strategy = noauth`, the `noauth_include_project_id` variant):
 * - no `X-Auth-Token` → 204 with a fake token (`X-Auth-User`:`X-Auth-Project-Id`, default admin:admin)
 *   and `X-Server-Management-Url` (the request URL without a trailing slash); nothing is served;
 * - `X-Auth-Token: <user>:<project>` → that identity; without a colon the project is the user.
 * Cinder makes every noauth caller an admin; here only the users in `adminUsers` are (by default the
 * user `admin`), so project isolation and admin-only endpoints can be exercised.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { InvalidAuthTokenError } from '../errors';

/** Who is calling, as the token says. */
export interface AuthIdentity {
  readonly userId: string;
  readonly projectId: string;
  readonly isAdmin: boolean;
  readonly roles: readonly string[];
}

/** Options for {@link noAuth}. */
export interface NoAuthOptions {
  /** Users that get the admin role. @default ['admin'] */
  readonly adminUsers?: readonly string[];
}

const IDENTITY_KEY = Symbol('cinder.identity');
type WithIdentity = Request & { [IDENTITY_KEY]?: AuthIdentity };

/**
 * Parses a noauth token: `user:project`, or `user` alone (the project is then the user).
 * @throws InvalidAuthTokenError when no user is named
 */
export function parseNoAuthToken(token: string, adminUsers: readonly string[] = ['admin']): AuthIdentity {
  const i = token.indexOf(':');
  const userId = (i < 0 ? token : token.slice(0, i)).trim();
  const rest = i < 0 ? '' : token.slice(i + 1).trim();
  if (userId === '') throw new InvalidAuthTokenError();
  const projectId = rest === '' ? userId : rest;
  const isAdmin = adminUsers.includes(userId);
  return {
    userId,
    projectId,
    isAdmin,
    roles: isAdmin ? ['admin', 'member', 'reader'] : ['member', 'reader'],
  };
}

/** The full URL of a request without a trailing slash, as Cinder's noauth reports it. */
function managementUrl(req: Request): string {
  return `${req.protocol}://${req.get('host') ?? 'localhost'}${req.originalUrl}`.replace(/\/+$/, '');
}

/** Middleware: noauth as described above. Mount it on `/v3`, ahead of the API resources. */
export function noAuth(options: NoAuthOptions = {}): RequestHandler {
  const adminUsers = options.adminUsers ?? ['admin'];
  return (req: Request, res: Response, next: NextFunction): void => {
    const token = req.headers['x-auth-token'];
    if (token === undefined) {
      const user = headerValue(req.headers['x-auth-user']) ?? 'admin';
      const project = headerValue(req.headers['x-auth-project-id']) ?? 'admin';
      // The fake-token answer is not an API resource response: no microversion or compute-id headers.
      for (const h of ['OpenStack-API-Version', 'Vary', 'X-Compute-Request-Id']) res.removeHeader(h);
      res.status(204);
      res.setHeader('X-Auth-Token', `${user}:${project}`);
      res.setHeader('X-Server-Management-Url', managementUrl(req));
      res.setHeader('Content-Type', 'text/plain; charset=UTF-8');
      res.setHeader('Content-Length', '0');
      res.end();
      return;
    }
    try {
      (req as WithIdentity)[IDENTITY_KEY] = parseNoAuthToken(headerValue(token) ?? '', adminUsers);
      next();
    } catch (err) {
      next(err);
    }
  };
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** The caller's identity, or undefined when {@link noAuth} (or another auth middleware) did not run. */
export function findAuthIdentity(req: Request): AuthIdentity | undefined {
  return (req as WithIdentity)[IDENTITY_KEY];
}

/** Sets the caller's identity; for other auth middlewares (e.g. a future keystone one) and tests. */
export function setAuthIdentity(req: Request, identity: AuthIdentity): void {
  (req as WithIdentity)[IDENTITY_KEY] = identity;
}
