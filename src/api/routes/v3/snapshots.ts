/** Snapshots: create, list/detail, show, update, actions, delete and their metadata. */
import { type Request, type Response, type Router } from 'express';
import { getRequestContext } from '../../context';
import { NoSuchActionError } from '../../errors';
import { enforce, getProjectScope } from '../../policy';
import {
  parseActionBody,
  parsePagination,
  queryFlag,
  queryParam,
  validateSnapshotCreate,
  validateSnapshotResetStatus,
  validateSnapshotUpdate,
} from '../../validation';
import { linkBaseFromRequest, queryPairs, snapshotDetail, snapshotList } from '../../views';
import type { VolumeAPI } from '../../../volume/api';
import { urlProject, emptyAnswer, param, type VolumeV3RouteOptions } from './route-helpers';
import { metadataRoutes } from './metadata';

export function snapshotRoutes(r: Router, api: VolumeAPI, options: VolumeV3RouteOptions): void {
  r.post('/snapshots', async (req, res) => {
    const ctx = getRequestContext(req, res);
    enforce(ctx, 'volume:create_snapshot', getProjectScope(req, res));
    const s = validateSnapshotCreate(req.body);
    const snap = await api.createSnapshot(ctx, s);
    res.status(202).json({ snapshot: snapshotDetail(snap, { ...s.metadata }, ctx.microversion) });
  });

  const listSnapshots =
    (detail: boolean) =>
    async (req: Request, res: Response): Promise<void> => {
      const ctx = getRequestContext(req, res);
      const project = getProjectScope(req, res);
      enforce(ctx, 'volume:get_all_snapshots', project);
      const page = parsePagination(req.query, options.maxLimit);
      const allTenants = ctx.isAdmin && queryFlag(req.query, 'all_tenants');
      const status = queryParam(req.query, 'status');
      const volumeId = queryParam(req.query, 'volume_id');
      const name = queryParam(req.query, 'name');
      const withCount = ctx.microversion.atLeast('3.45') && queryFlag(req.query, 'with_count');
      const filter = {
        projectId: allTenants ? null : project,
        ...(status !== undefined ? { status } : {}),
        ...(volumeId !== undefined ? { volumeId } : {}),
        ...(name !== undefined ? { name } : {}),
      };
      const items = await api.listSnapshots(ctx, {
        ...filter,
        limit: page.limit,
        marker: page.marker,
        offset: page.offset,
      });
      const metadata = await api.snapshotMetadataOf(items.map((i) => i.id));
      const body: Record<string, unknown> = snapshotList(
        items.map((snapshot) => ({ snapshot, metadata: metadata.get(snapshot.id) ?? {} })),
        ctx.microversion,
        linkBaseFromRequest(req, urlProject(req)),
        { limit: page.limit, query: queryPairs(req), contextProjectId: ctx.projectId, detail },
      );
      // Cinder's _list_view puts `count` after the list and before the links.
      if (withCount) {
        const { snapshots_links: links, ...rest } = body;
        res.json({
          ...rest,
          count: await api.countSnapshots(filter),
          ...(links !== undefined ? { snapshots_links: links } : {}),
        });
        return;
      }
      res.json(body);
    };
  r.get('/snapshots', listSnapshots(false));
  r.get('/snapshots/detail', listSnapshots(true));

  r.get('/snapshots/:id', async (req, res) => {
    const ctx = getRequestContext(req, res);
    enforce(ctx, 'volume:get_snapshot', getProjectScope(req, res));
    const snap = await api.getSnapshot(ctx, param(req, 'id'));
    const metadata = (await api.snapshotMetadataOf([snap.id])).get(snap.id) ?? {};
    res.json({ snapshot: snapshotDetail(snap, metadata, ctx.microversion, { extendedAttributes: true }) });
  });

  r.put('/snapshots/:id', async (req, res) => {
    const ctx = getRequestContext(req, res);
    enforce(ctx, 'volume:update_snapshot', getProjectScope(req, res));
    const upd = validateSnapshotUpdate(req.body);
    const snap = await api.updateSnapshot(ctx, param(req, 'id'), upd);
    const metadata = (await api.snapshotMetadataOf([snap.id])).get(snap.id) ?? {};
    res.json({ snapshot: snapshotDetail(snap, metadata, ctx.microversion) });
  });

  metadataRoutes(r, '/snapshots/:id/metadata', {
    policies: {
      get: 'volume:get_snapshot_metadata',
      create: 'volume:update_snapshot_metadata',
      update: 'volume:update_snapshot_metadata',
      delete: 'volume:delete_snapshot_metadata',
    },
    get: (ctx, id) => api.getSnapshotMetadata(ctx, id),
    set: (ctx, id, metadata, replace) => api.setSnapshotMetadata(ctx, id, metadata, replace),
    getItem: (ctx, id, key) => api.getSnapshotMetadataItem(ctx, id, key),
    deleteItem: (ctx, id, key) => api.deleteSnapshotMetadataItem(ctx, id, key),
    etags: false,
  });

  r.post('/snapshots/:id/action', async (req, res) => {
    const ctx = getRequestContext(req, res);
    const { action } = parseActionBody(req.body);
    if (action === 'os-force_delete') {
      await api.getSnapshot(ctx, param(req, 'id'));
      enforce(ctx, 'volume_extension:snapshot_admin_actions:force_delete');
      await api.deleteSnapshot(ctx, param(req, 'id'), { force: true });
      emptyAnswer(res, 202, 'serialized');
      return;
    }
    if (action !== 'os-reset_status') throw new NoSuchActionError(action);
    const status = validateSnapshotResetStatus(req.body);
    await api.getSnapshot(ctx, param(req, 'id'));
    enforce(ctx, 'volume_extension:snapshot_admin_actions:reset_status');
    await api.resetSnapshotStatus(ctx, param(req, 'id'), status);
    emptyAnswer(res, 202, 'serialized');
  });

  r.delete('/snapshots/:id', async (req, res) => {
    const ctx = getRequestContext(req, res);
    enforce(ctx, 'volume:delete_snapshot', getProjectScope(req, res));
    await api.deleteSnapshot(ctx, param(req, 'id'));
    emptyAnswer(res, 202);
  });
}
