/**
 * What the /v3 route modules share: the URL's project, the view context, Cinder's empty answers and the
 * route settings.
 */
import { type Request, type Response } from 'express';
import { type RequestContext } from '../../context';
import { linkBaseFromRequest, type VolumeTypeViewSource, type VolumeViewContext } from '../../views';
import type { VolumeTypeRecord } from '../../../volume/volume-db';

/** Settings of the /v3 routes. */
export interface VolumeV3RouteOptions {
  /** osapi_max_limit: the largest page. @default 1000 */
  readonly maxLimit?: number;
  /** service_down_time, for os-services' up/down. @default 60 */
  readonly serviceDownTimeSec?: number;
}

/** Cinder's router matches a project id only when it fits `[0-9a-f-]+`. */
export const HEX_PROJECT = /^[0-9a-f-]+$/;

export function urlProject(req: Request): string | undefined {
  return (req.params as Record<string, string | undefined>).projectId;
}

export function viewContext(req: Request, ctx: RequestContext): VolumeViewContext {
  return {
    isAdmin: ctx.isAdmin,
    projectId: ctx.projectId,
    microversion: ctx.microversion,
    links: linkBaseFromRequest(req, urlProject(req)),
  };
}

export function typeView(t: VolumeTypeRecord): VolumeTypeViewSource {
  return {
    id: t.id,
    name: t.name,
    description: t.description,
    isPublic: t.is_public,
    qosSpecsId: t.qos_specs_id,
    extraSpecs: t.extra_specs,
  };
}

/**
 * An answer with no body, as Cinder sends it: where its controller returns a bare `webob.Response` (the
 * 202 of a DELETE, the 200 of a metadata-key delete, a 412) as `text/html` without X-Compute-Request-Id;
 * where it returns nothing (the 200 of a quota-set delete, the 202 of an action) as `application/json`
 * with it.
 */
export function emptyAnswer(
  res: Response,
  status: 200 | 202 | 412,
  style: 'webob' | 'serialized' = status === 200 ? 'serialized' : 'webob',
): void {
  res.status(status);
  if (style === 'webob') {
    res.setHeader('Content-Type', 'text/html; charset=UTF-8');
    res.removeHeader('X-Compute-Request-Id');
  } else {
    res.setHeader('Content-Type', 'application/json');
  }
  res.setHeader('Content-Length', '0');
  res.end();
}

export function param(req: Request, name: string): string {
  return String((req.params as Record<string, string>)[name]);
}
