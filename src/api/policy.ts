/**
 * Every authorization decision of the API, in one place.
 *
 * Rules (Cinder's defaults, simplified to two roles): project resources are for their owner or an
 * admin; a caller may name another project in the URL only when admin ("Malformed request url"
 * otherwise, as Cinder); managing types, quotas and services is admin-only (403 "Policy doesn't allow
 * <action> to be performed."). Resources of other projects are not forbidden but invisible: handlers
 * ask {@link canSeeProject} and answer their own 404, so ids of other projects leak nothing.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { getRequestContext, type RequestContext } from './context';
import { MalformedRequestUrlError, PolicyNotAuthorizedError } from './errors';

/** Who may do an action. */
export type PolicyRule = 'admin' | 'admin_or_owner';

/** The policy actions, with Cinder's names (they appear in 403 messages). */
export const POLICIES = {
  'volume:create': 'admin_or_owner',
  'volume:get': 'admin_or_owner',
  'volume:get_all': 'admin_or_owner',
  'volume:update': 'admin_or_owner',
  'volume:delete': 'admin_or_owner',
  'volume:extend': 'admin_or_owner',
  'volume:get_volume_metadata': 'admin_or_owner',
  'volume:create_volume_metadata': 'admin_or_owner',
  'volume:update_volume_metadata': 'admin_or_owner',
  'volume:delete_volume_metadata': 'admin_or_owner',
  'volume:get_snapshot': 'admin_or_owner',
  'volume:get_all_snapshots': 'admin_or_owner',
  'volume:create_snapshot': 'admin_or_owner',
  'volume:delete_snapshot': 'admin_or_owner',
  'volume:update_snapshot': 'admin_or_owner',
  'volume:get_snapshot_metadata': 'admin_or_owner',
  'volume:update_snapshot_metadata': 'admin_or_owner',
  'volume:delete_snapshot_metadata': 'admin_or_owner',
  'volume_extension:volume_actions:update_readonly': 'admin_or_owner',
  /** The legacy attach actions (Nova's cinder client). */
  'volume_extension:volume_actions:reserve': 'admin_or_owner',
  'volume_extension:volume_actions:unreserve': 'admin_or_owner',
  'volume_extension:volume_actions:begin_detaching': 'admin_or_owner',
  'volume_extension:volume_actions:roll_detaching': 'admin_or_owner',
  'volume_extension:volume_actions:attach': 'admin_or_owner',
  'volume_extension:volume_actions:detach': 'admin_or_owner',
  'volume_extension:volume_actions:initialize_connection': 'admin_or_owner',
  'volume_extension:volume_actions:terminate_connection': 'admin_or_owner',
  /** The attachments API (3.27+). */
  'volume:attachment_create': 'admin_or_owner',
  'volume:attachment_update': 'admin_or_owner',
  'volume:attachment_delete': 'admin_or_owner',
  'volume:attachment_complete': 'admin_or_owner',
  'volume:multiattach_bootable_volume': 'admin_or_owner',
  'volume_extension:quotas:show': 'admin_or_owner',
  'volume_extension:quotas:update': 'admin',
  'volume_extension:quotas:delete': 'admin',
  'volume_extension:quota_classes': 'admin',
  'limits_extension:used_limits': 'admin_or_owner',
  /** Zed's per-operation type policies (they replaced `volume_extension:types_manage`). */
  'volume_extension:type_create': 'admin',
  'volume_extension:type_update': 'admin',
  'volume_extension:type_delete': 'admin',
  /** Extra specs: anyone reads (non-admins only the user-visible keys), admins write. */
  'volume_extension:types_extra_specs:index': 'admin_or_owner',
  'volume_extension:types_extra_specs:show': 'admin_or_owner',
  'volume_extension:types_extra_specs:read_sensitive': 'admin',
  'volume_extension:types_extra_specs:create': 'admin',
  'volume_extension:types_extra_specs:update': 'admin',
  'volume_extension:types_extra_specs:delete': 'admin',
  /** Zed's default is any project reader (the view then hides all but the user-visible keys). */
  'volume_extension:access_types_extra_specs': 'admin_or_owner',
  'volume_extension:access_types_qos_specs_id': 'admin',
  'volume_extension:availability_zone_list': 'admin_or_owner',
  'volume_extension:services:index': 'admin',
  'volume_extension:volume_admin_actions:reset_status': 'admin',
  'volume_extension:snapshot_admin_actions:reset_status': 'admin',
  'volume_extension:volume_admin_actions:force_delete': 'admin',
  'volume_extension:snapshot_admin_actions:force_delete': 'admin',
  /** Listing every project's volumes (`all_tenants=1`). */
  'volume:get_all_tenants': 'admin',
  /** Fields of the volume view. */
  'volume_extension:volume_tenant_attribute': 'admin',
  'volume_extension:volume_host_attribute': 'admin',
  'volume_extension:volume_mig_status_attribute': 'admin',
  'volume:provider_id': 'admin',
  'volume:cluster_name': 'admin',
  'volume:migration_status': 'admin',
} as const satisfies Record<string, PolicyRule>;

export type PolicyAction = keyof typeof POLICIES;

/**
 * The extra specs a caller without `volume_extension:types_extra_specs:read_sensitive` may see
 * (Cinder's `USER_VISIBLE_EXTRA_SPECS`); the others are the operator's business (backend names …).
 */
export const USER_VISIBLE_EXTRA_SPECS = [
  'RESKEY:availability_zones',
  'multiattach',
  'replication_enabled',
] as const;

/** True when the caller may see resources of `ownerProjectId` (its own, or any for an admin). */
export function canSeeProject(
  ctx: Pick<RequestContext, 'isAdmin' | 'projectId'>,
  ownerProjectId: string,
): boolean {
  return ctx.isAdmin || ctx.projectId === ownerProjectId;
}

/**
 * True when the caller may do `action`, on the project `targetProjectId` when given (default: the
 * caller's own project).
 */
export function isAllowed(
  ctx: Pick<RequestContext, 'isAdmin' | 'projectId'>,
  action: PolicyAction,
  targetProjectId?: string,
): boolean {
  if (ctx.isAdmin) return true;
  if (POLICIES[action] === 'admin') return false;
  return targetProjectId === undefined || targetProjectId === ctx.projectId;
}

/** Throws {@link PolicyNotAuthorizedError} (403) unless {@link isAllowed}. */
export function enforce(
  ctx: Pick<RequestContext, 'isAdmin' | 'projectId'>,
  action: PolicyAction,
  targetProjectId?: string,
): void {
  if (!isAllowed(ctx, action, targetProjectId)) throw new PolicyNotAuthorizedError(action);
}

/**
 * The project a request works on: the one in the URL (`/v3/{project_id}/…`) or, for project-less
 * URLs, the caller's. A non-admin naming another project gets Cinder's 400 "Malformed request url".
 */
export function resolveProjectScope(
  ctx: Pick<RequestContext, 'isAdmin' | 'projectId'>,
  urlProjectId: string | undefined,
): string {
  if (urlProjectId === undefined || urlProjectId === '') return ctx.projectId;
  if (urlProjectId !== ctx.projectId && !ctx.isAdmin)
    throw new MalformedRequestUrlError(urlProjectId, ctx.projectId);
  return urlProjectId;
}

const SCOPE_KEY = Symbol('cinder.projectScope');
type WithScope = Request & { [SCOPE_KEY]?: string };

/**
 * Middleware for routes under `/:projectId`: checks the URL project against the caller (see
 * {@link resolveProjectScope}) and stores the result for {@link getProjectScope}. Mount it after the
 * body parser, so body errors come first, as in Cinder.
 * @param param the route parameter holding the project id @default 'projectId'
 */
export function projectScope(param = 'projectId'): RequestHandler {
  return (req: Request, res: Response, next: NextFunction): void => {
    try {
      const ctx = getRequestContext(req, res);
      const raw: unknown = (req.params as Record<string, unknown>)[param];
      (req as WithScope)[SCOPE_KEY] = resolveProjectScope(ctx, typeof raw === 'string' ? raw : undefined);
      next();
    } catch (err) {
      next(err);
    }
  };
}

/** The project this request works on (after {@link projectScope}); the caller's own otherwise. */
export function getProjectScope(req: Request, res: Response): string {
  return (req as WithScope)[SCOPE_KEY] ?? getRequestContext(req, res).projectId;
}

/**
 * Middleware form of {@link enforce} for admin-only routes, e.g.
 * `router.post('/types', requirePolicy('volume_extension:type_create'), …)`.
 */
export function requirePolicy(action: PolicyAction): RequestHandler {
  return (req: Request, res: Response, next: NextFunction): void => {
    try {
      enforce(getRequestContext(req, res), action, getProjectScope(req, res));
      next();
    } catch (err) {
      next(err);
    }
  };
}
