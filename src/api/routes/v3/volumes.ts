/**
 * Volumes: create (the create-volume flow), list/detail/summary, show, update, delete, the actions
 * (`os-extend`, admin and attach actions) and the volume's metadata.
 */
import { type Request, type Response, type Router } from 'express';
import { getRequestContext } from '../../context';
import { enforce, getProjectScope } from '../../policy';
import {
  VOLUME_SORT_KEYS,
  assertKnownAction,
  parseActionBody,
  parsePagination,
  parseSort,
  parseVolumeListQuery,
  queryFlag,
  queryParam,
  validateVolumeCreate,
  validateVolumeExtend,
  validateVolumeResetStatus,
  validateVolumeUpdate,
  validateVolumeSetBootable,
  validateVolumeReadonlyUpdate,
  validateVolumeAttach,
  validateVolumeDetach,
  validateVolumeConnection,
} from '../../validation';
import {
  queryPairs,
  volumeCreatedView,
  volumeDetailList,
  volumeShowView,
  volumeSummaryList,
  volumeSummaryTotals,
} from '../../views';
import type { VolumeAPI } from '../../../volume/api';
import { viewContext, emptyAnswer, param, type VolumeV3RouteOptions } from './route-helpers';
import { metadataRoutes } from './metadata';

export function volumeRoutes(r: Router, api: VolumeAPI, options: VolumeV3RouteOptions): void {
  r.post('/volumes', async (req, res) => {
    const ctx = getRequestContext(req, res);
    const project = getProjectScope(req, res);
    enforce(ctx, 'volume:create', project);
    const request = validateVolumeCreate(req.body, ctx.microversion);
    const created = await api.create(ctx, request, project);
    res
      .status(202)
      .json(
        volumeCreatedView(
          created.volume,
          { volumeTypeName: created.volumeTypeName, metadata: created.metadata },
          viewContext(req, ctx),
        ),
      );
  });

  const list =
    (detail: boolean) =>
    async (req: Request, res: Response): Promise<void> => {
      const ctx = getRequestContext(req, res);
      const project = getProjectScope(req, res);
      enforce(ctx, 'volume:get_all', project);
      const page = parsePagination(req.query, options.maxLimit);
      const sort = parseSort(req.query, VOLUME_SORT_KEYS);
      const allTenants = ctx.isAdmin && queryFlag(req.query, 'all_tenants');
      const projectFilter = allTenants ? (queryParam(req.query, 'project_id') ?? null) : project;
      const withCount = ctx.microversion.atLeast('3.45') && queryFlag(req.query, 'with_count');
      const q = parseVolumeListQuery(req.query, ctx);
      const { status: qStatus, display_name: qName, availability_zone: qZone, ...columns } = q.filters;
      const status = typeof qStatus === 'string' ? qStatus : undefined;
      const name = typeof qName === 'string' ? qName : undefined;
      const zone = typeof qZone === 'string' ? qZone : undefined;
      const metadata = q.metadata ?? undefined;
      const { items, count } = await api.list(ctx, {
        projectId: projectFilter,
        limit: page.limit,
        marker: page.marker,
        offset: page.offset,
        sortKeys: sort.keys,
        sortDirs: sort.dirs,
        filters: {
          ...(status !== undefined ? { status } : {}),
          ...(name !== undefined ? { name } : {}),
          ...(zone !== undefined ? { availabilityZone: zone } : {}),
          ...(metadata !== undefined ? { metadata } : {}),
          columns,
          matchesNothing: q.matchesNothing,
        },
        withCount,
      });
      const vctx = viewContext(req, ctx);
      const paging = {
        limit: page.limit,
        query: queryPairs(req),
        contextProjectId: ctx.projectId,
        ...(withCount ? { count } : {}),
      };
      if (detail) {
        res.json(
          volumeDetailList(
            items.map((i) => ({
              volume: i.volume,
              extras: {
                volumeTypeName: i.volumeTypeName,
                metadata: i.metadata,
                attachments: i.attachments ?? [],
              },
            })),
            vctx,
            paging,
          ),
        );
      } else {
        res.json(
          volumeSummaryList(
            items.map((i) => i.volume),
            vctx.links,
            paging,
          ),
        );
      }
    };
  r.get('/volumes', list(false));
  r.get('/volumes/detail', list(true));

  r.get('/volumes/summary', async (req, res, next) => {
    const ctx = getRequestContext(req, res);
    if (!ctx.microversion.atLeast('3.12')) {
      next(); // below 3.12 "summary" is a volume id, as in Cinder (404)
      return;
    }
    const project = getProjectScope(req, res);
    enforce(ctx, 'volume:get_all', project);
    const allTenants = ctx.isAdmin && queryFlag(req.query, 'all_tenants');
    const sum = await api.summary(allTenants ? null : project);
    res.json(volumeSummaryTotals(sum.totalCount, sum.totalSize, ctx.microversion, sum.metadata));
  });

  r.get('/volumes/:id', async (req, res) => {
    const ctx = getRequestContext(req, res);
    enforce(ctx, 'volume:get', getProjectScope(req, res));
    const v = await api.get(ctx, param(req, 'id'));
    res.json(
      volumeShowView(
        v.volume,
        { volumeTypeName: v.volumeTypeName, metadata: v.metadata, attachments: v.attachments ?? [] },
        viewContext(req, ctx),
      ),
    );
  });

  r.put('/volumes/:id', async (req, res) => {
    const ctx = getRequestContext(req, res);
    enforce(ctx, 'volume:update', getProjectScope(req, res));
    const update = validateVolumeUpdate(req.body, ctx.microversion);
    const v = await api.update(ctx, param(req, 'id'), update);
    res.json(
      volumeCreatedView(
        v.volume,
        { volumeTypeName: v.volumeTypeName, metadata: v.metadata, attachments: v.attachments ?? [] },
        viewContext(req, ctx),
      ),
    );
  });

  r.delete('/volumes/:id', async (req, res) => {
    const ctx = getRequestContext(req, res);
    enforce(ctx, 'volume:delete', getProjectScope(req, res));
    await api.delete(ctx, param(req, 'id'), { cascade: queryFlag(req.query, 'cascade') });
    emptyAnswer(res, 202);
  });

  // Cinder's actions return nothing under @wsgi.response(202): a serialized empty 202 (application/json,
  // with X-Compute-Request-Id), unlike the bare webob 202 of a DELETE.
  r.post('/volumes/:id/action', async (req, res) => {
    const ctx = getRequestContext(req, res);
    const { action } = parseActionBody(req.body);
    assertKnownAction(action);
    if (action === 'os-reset_status') {
      // Cinder: the schema, then the volume (404), then the policy (403).
      const update = validateVolumeResetStatus(req.body);
      await api.getRecord(ctx, param(req, 'id'));
      enforce(ctx, 'volume_extension:volume_admin_actions:reset_status');
      await api.resetStatus(ctx, param(req, 'id'), update);
      emptyAnswer(res, 202, 'serialized');
      return;
    }
    if (action === 'os-force_delete') {
      await api.getRecord(ctx, param(req, 'id'));
      enforce(ctx, 'volume_extension:volume_admin_actions:force_delete');
      await api.delete(ctx, param(req, 'id'), { force: true });
      emptyAnswer(res, 202, 'serialized');
      return;
    }
    if (action === 'os-set_bootable') {
      // Cinder: the schema, the volume (404), then volume_api.update's policy and checks; 200, no body.
      const bootable = validateVolumeSetBootable(req.body);
      await api.getRecord(ctx, param(req, 'id'));
      enforce(ctx, 'volume:update', getProjectScope(req, res));
      await api.setBootable(ctx, param(req, 'id'), bootable);
      emptyAnswer(res, 200, 'serialized');
      return;
    }
    if (action === 'os-update_readonly_flag') {
      const readonly = validateVolumeReadonlyUpdate(req.body);
      await api.getRecord(ctx, param(req, 'id'));
      enforce(ctx, 'volume_extension:volume_actions:update_readonly', getProjectScope(req, res));
      await api.updateReadonlyFlag(ctx, param(req, 'id'), readonly);
      emptyAnswer(res, 202, 'serialized');
      return;
    }
    if (action === 'os-attach' || action === 'os-detach') {
      // Cinder: the schema, the volume (404), the policy, the API's checks, then the volume service's call; 202.
      const attach = action === 'os-attach' ? validateVolumeAttach(req.body) : null;
      const attachmentId = action === 'os-detach' ? validateVolumeDetach(req.body) : null;
      const vol = await api.getRecord(ctx, param(req, 'id'));
      enforce(
        ctx,
        action === 'os-attach'
          ? 'volume_extension:volume_actions:attach'
          : 'volume_extension:volume_actions:detach',
        getProjectScope(req, res),
      );
      if (attach !== null) await api.attachments.attach(api.rpcContext(ctx, vol.projectId), vol, attach);
      else await api.attachments.detach(api.rpcContext(ctx, vol.projectId), vol, attachmentId);
      emptyAnswer(res, 202, 'serialized');
      return;
    }
    if (action === 'os-initialize_connection' || action === 'os-terminate_connection') {
      // Cinder: the schema, the volume (404), the policy, then the volume service's call;
      // initialize answers 200 with the connection info, terminate 202.
      const connector = validateVolumeConnection(req.body, action);
      const vol = await api.getRecord(ctx, param(req, 'id'));
      enforce(
        ctx,
        `volume_extension:volume_actions:${action === 'os-initialize_connection' ? 'initialize_connection' : 'terminate_connection'}`,
        getProjectScope(req, res),
      );
      const rpcCtx = api.rpcContext(ctx, vol.projectId);
      if (action === 'os-initialize_connection') {
        res
          .status(200)
          .json({ connection_info: await api.attachments.initializeConnection(rpcCtx, vol, connector) });
        return;
      }
      await api.attachments.terminateConnection(rpcCtx, vol, connector);
      emptyAnswer(res, 202, 'serialized');
      return;
    }
    if (
      action === 'os-reserve' ||
      action === 'os-unreserve' ||
      action === 'os-begin_detaching' ||
      action === 'os-roll_detaching'
    ) {
      // Cinder: no schema (the action's value is ignored), the volume (404), then the policy; 202.
      const vol = await api.getRecord(ctx, param(req, 'id'));
      const name = action.slice(3) as 'reserve' | 'unreserve' | 'begin_detaching' | 'roll_detaching';
      enforce(ctx, `volume_extension:volume_actions:${name}`, getProjectScope(req, res));
      const step = {
        reserve: () => api.attachments.reserve(vol),
        unreserve: () => api.attachments.unreserve(vol),
        begin_detaching: () => api.attachments.beginDetaching(vol),
        roll_detaching: () => api.attachments.rollDetaching(vol),
      }[name];
      await step();
      emptyAnswer(res, 202, 'serialized');
      return;
    }
    enforce(ctx, 'volume:extend', getProjectScope(req, res));
    const { newSize } = validateVolumeExtend(req.body);
    await api.extend(ctx, param(req, 'id'), newSize);
    emptyAnswer(res, 202, 'serialized');
  });

  metadataRoutes(r, '/volumes/:id/metadata', {
    policies: {
      get: 'volume:get_volume_metadata',
      create: 'volume:create_volume_metadata',
      update: 'volume:update_volume_metadata',
      delete: 'volume:delete_volume_metadata',
    },
    get: (ctx, id) => api.getMetadata(ctx, id),
    set: (ctx, id, metadata, replace) => api.setMetadata(ctx, id, metadata, replace),
    getItem: (ctx, id, key) => api.getMetadataItem(ctx, id, key),
    deleteItem: (ctx, id, key) => api.deleteMetadataItem(ctx, id, key),
    etags: true,
  });
}
