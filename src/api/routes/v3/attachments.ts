/**
 * Cinder's attachments API (`cinder/api/v3/attachments.py`): from microversion 3.27 (below it every
 * route answers Cinder's 404 for a method the version does not serve), `os-complete` from 3.44.
 *
 * Order of checks as Cinder's controller: the version, the body's schema, the attachment or volume
 * (404, another project's included), the policy, then the volume API's checks.
 */
import type { Request, Response, Router } from 'express';
import { getRequestContext, type RequestContext } from '../../context';
import { NoSuchActionError } from '../../errors';
import { assertMicroversion, requireMicroversion } from '../../middleware/microversion';
import { enforce } from '../../policy';
import {
  invalidFiltersError,
  parseActionBody,
  parsePagination,
  parseSort,
  queryFlag,
  queryParam,
  validateAttachmentCreate,
  validateAttachmentUpdate,
} from '../../validation';
import { attachmentDetail, attachmentList } from '../../views';
import type { VolumeAPI } from '../../../volume/api';
import { ATTACHMENT_COLUMNS, VolumeAttachmentsV3 } from '../../../volume/attachments-v3';
import { param } from './route-helpers';

/** Cinder's `NEW_ATTACH` and `NEW_ATTACH_COMPLETION` microversions. */
const NEW_ATTACH = '3.27';
const NEW_ATTACH_COMPLETION = '3.44';

/** Filters anyone may use (Cinder's default resource filters for `attachment`). */
const ATTACHMENT_FILTERS = ['volume_id', 'status', 'instance_id', 'attach_status'];

/** Query parameters that are not filters. */
const NON_FILTERS = new Set(['marker', 'limit', 'offset', 'sort', 'sort_key', 'sort_dir', 'all_tenants']);

/** Cinder answers a completion's 204 serialized (application/json, no body). */
function noContent(res: Response): void {
  res.status(204);
  res.setHeader('Content-Type', 'application/json');
  res.end();
}

/**
 * The list's filters as Cinder's `_items`: a member's unknown filters are dropped, and from 3.33
 * (resource filters) refused; `instance_id` means `instance_uuid`; a filter on something that is no
 * attachment column (`status` among them) matches nothing.
 */
function listFilters(
  req: Request,
  ctx: RequestContext,
): { filters: Record<string, string>; matchesNothing: boolean } {
  const filters: Record<string, string> = {};
  let matchesNothing = false;
  const refused: string[] = [];
  for (const key of Object.keys(req.query as Record<string, unknown>)) {
    if (NON_FILTERS.has(key)) continue;
    if (!ctx.isAdmin && !ATTACHMENT_FILTERS.includes(key)) {
      if (ctx.microversion.atLeast('3.33')) refused.push(key);
      continue;
    }
    const value = queryParam(req.query, key);
    if (value === undefined) continue;
    const column = key === 'instance_id' ? 'instance_uuid' : key;
    if (ATTACHMENT_COLUMNS.includes(column)) filters[column] = value;
    else matchesNothing = true;
  }
  if (refused.length > 0) {
    throw invalidFiltersError(refused);
  }
  return { filters, matchesNothing };
}

/** Mounts the attachments routes on a project's (or the project-less) router. */
export function attachmentRoutes(r: Router, api: VolumeAPI, maxLimit?: number): void {
  const attachments = new VolumeAttachmentsV3(api.db.ds, api.attachments);
  const since = requireMicroversion(NEW_ATTACH);

  const list =
    (detail: boolean) =>
    async (req: Request, res: Response): Promise<void> => {
      const ctx = getRequestContext(req, res);
      const page = parsePagination(req.query, maxLimit);
      const sort = parseSort(req.query, ATTACHMENT_COLUMNS);
      const { filters, matchesNothing } = listFilters(req, ctx);
      const allTenants = ctx.isAdmin && queryFlag(req.query, 'all_tenants');
      const items = await attachments.list(ctx, {
        projectId: allTenants ? null : ctx.projectId,
        filters,
        matchesNothing,
        limit: page.limit,
        marker: page.marker,
        offset: page.offset,
        sortKeys: sort.keys,
        sortDirs: sort.dirs,
      });
      res.json(attachmentList(items, detail));
    };
  r.get('/attachments', since, list(false));
  r.get('/attachments/detail', since, list(true));

  r.get('/attachments/:id', since, async (req, res) => {
    const ctx = getRequestContext(req, res);
    res.json({ attachment: attachmentDetail(await attachments.get(ctx, param(req, 'id'))) });
  });

  r.post('/attachments', since, async (req, res) => {
    const ctx = getRequestContext(req, res);
    const body = validateAttachmentCreate(req.body, ctx.microversion);
    const vol = await api.getRecord(ctx, body.volumeUuid);
    enforce(ctx, 'volume:attachment_create', vol.projectId);
    if (vol.multiattach && vol.status === 'in-use' && vol.bootable)
      enforce(ctx, 'volume:multiattach_bootable_volume', vol.projectId);
    const created = await attachments.create(
      api.rpcContext(ctx, vol.projectId),
      vol,
      body.instanceUuid,
      body.connector,
      body.mode,
    );
    res.status(200).json({ attachment: attachmentDetail(created) });
  });

  r.put('/attachments/:id', since, async (req, res) => {
    const ctx = getRequestContext(req, res);
    const connector = validateAttachmentUpdate(req.body);
    const att = await attachments.get(ctx, param(req, 'id'));
    enforce(ctx, 'volume:attachment_update', att.projectId);
    const vol = await api.getRecord(ctx, att.volumeId);
    const updated = await attachments.update(api.rpcContext(ctx, vol.projectId), vol, att, connector);
    res.status(200).json({ attachment: attachmentDetail(updated) });
  });

  r.delete('/attachments/:id', since, async (req, res) => {
    const ctx = getRequestContext(req, res);
    const att = await attachments.get(ctx, param(req, 'id'));
    enforce(ctx, 'volume:attachment_delete', att.projectId);
    const vol = await api.getRecord(ctx, att.volumeId);
    const left = await attachments.delete(api.rpcContext(ctx, vol.projectId), vol, att);
    res.status(200).json(attachmentList(left));
  });

  r.post('/attachments/:id/action', since, async (req, res) => {
    const ctx = getRequestContext(req, res);
    const { action } = parseActionBody(req.body);
    if (action !== 'os-complete') throw new NoSuchActionError(action);
    assertMicroversion(ctx.microversion, NEW_ATTACH_COMPLETION);
    const att = await attachments.get(ctx, param(req, 'id'));
    await api.getRecord(ctx, att.volumeId);
    enforce(ctx, 'volume:attachment_complete', att.projectId);
    await attachments.complete(att);
    noContent(res);
  });
}
