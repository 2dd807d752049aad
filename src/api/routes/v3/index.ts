/**
 * The /v3 resources on the real backend (VolumeAPI): volumes (+ detail, actions, metadata), quota sets,
 * limits, types and availability zones, served under `/v3/{project_id}/…` (project ids matching
 * `[0-9a-f-]+`, as Cinder's router) and in the project-less form `/v3/…`.
 *
 * @example createApp({ config, logger, mountV3: volumeV3Routes(volumeApi) })
 */
import { createHash } from 'node:crypto';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { toPythonJson } from '../../app';
import { getRequestContext, type RequestContext } from '../../context';
import { NoSuchActionError, SchemaValidationError } from '../../errors';
import { jsonBody } from '../../middleware/body';
import { microversion } from '../../middleware/microversion';
import { noAuth } from '../../middleware/noauth';
import {
  USER_VISIBLE_EXTRA_SPECS,
  enforce,
  getProjectScope,
  isAllowed,
  projectScope,
  type PolicyAction,
} from '../../policy';
import {
  VOLUME_SORT_KEYS,
  assertKnownAction,
  parseActionBody,
  parsePagination,
  parseSort,
  parseVolumeListQuery,
  queryFlag,
  queryParam,
  quotaResourceNames,
  validateQuotaSetUpdate,
  validateSnapshotCreate,
  validateVolumeCreate,
  validateSnapshotResetStatus,
  validateSnapshotUpdate,
  validateVolumeExtend,
  validateVolumeResetStatus,
  validateVolumeMetadata,
  validateVolumeMetadataItem,
  validateVolumeTypeCreate,
  validateVolumeTypeUpdate,
  validateVolumeUpdate,
  validateExtraSpecsCreate,
  validateExtraSpecsItem,
  validateVolumeSetBootable,
  validateVolumeReadonlyUpdate,
  validateVolumeAttach,
  validateVolumeDetach,
  validateVolumeConnection,
} from '../../validation';
import { VolumeTypeExtraSpecsNotFoundError } from '../../../volume/errors';
import {
  availabilityZoneList,
  limitsView,
  linkBaseFromRequest,
  queryPairs,
  quotaClassSetView,
  quotaSetView,
  serviceList,
  snapshotDetail,
  snapshotList,
  volumeCreatedView,
  volumeDetailList,
  volumeMetadataItemView,
  volumeMetadataView,
  volumeShowView,
  volumeSummaryList,
  volumeSummaryTotals,
  volumeTypeCreatedView,
  volumeTypeList,
  volumeTypeShowView,
  type VolumeTypeViewSource,
  type VolumeViewContext,
} from '../../views';
import type { VolumeAPI } from '../../../volume/api';
import { attachmentRoutes } from './attachments';
import type { VolumeTypeRecord } from '../../../volume/volume-db';

const HEX_PROJECT = /^[0-9a-f-]+$/;

function urlProject(req: Request): string | undefined {
  return (req.params as Record<string, string | undefined>).projectId;
}

function viewContext(req: Request, ctx: RequestContext): VolumeViewContext {
  return {
    isAdmin: ctx.isAdmin,
    projectId: ctx.projectId,
    microversion: ctx.microversion,
    links: linkBaseFromRequest(req, urlProject(req)),
  };
}

function typeView(t: VolumeTypeRecord): VolumeTypeViewSource {
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
function emptyAnswer(
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

function param(req: Request, name: string): string {
  return String((req.params as Record<string, string>)[name]);
}

/** How one resource's metadata endpoints reach the service, and which policies guard them. */
interface MetadataEndpoints {
  readonly policies: {
    readonly get: PolicyAction;
    readonly create: PolicyAction;
    readonly update: PolicyAction;
    readonly delete: PolicyAction;
  };
  get(ctx: RequestContext, id: string): Promise<Readonly<Record<string, string>>>;
  set(
    ctx: RequestContext,
    id: string,
    metadata: Readonly<Record<string, string>>,
    replace: boolean,
  ): Promise<Readonly<Record<string, string>>>;
  getItem(ctx: RequestContext, id: string, key: string): Promise<string>;
  deleteItem(ctx: RequestContext, id: string, key: string): Promise<void>;
  /**
   * From 3.15 (ETAGS) Cinder answers GET volume metadata with a bare webob.Response carrying an Etag
   * (md5 of the JSON body), so its Content-Type is webob's default, and PUTs honour If-Match (412 when
   * stale). Cinder's snapshot metadata has no ETags.
   */
  readonly etags: boolean;
}

/**
 * The metadata endpoints of a resource (volumes, snapshots), with the volume metadata's behaviour and
 * validation: GET (all), POST (merge), PUT (replace all), GET/PUT/DELETE one key.
 */
function metadataRoutes(r: Router, path: string, m: MetadataEndpoints): void {
  const etagOf = (metadata: Readonly<Record<string, string>>): string =>
    createHash('md5')
      .update(toPythonJson(volumeMetadataView(metadata)))
      .digest('hex');
  const staleIfMatch = async (req: Request, ctx: RequestContext): Promise<boolean> => {
    const ifMatch = req.headers['if-match'];
    if (!m.etags || !ctx.microversion.atLeast('3.15') || ifMatch === undefined || ifMatch.trim() === '*')
      return false;
    const etag = etagOf(await m.get(ctx, param(req, 'id')));
    const given = ifMatch.split(',').map((t) =>
      t
        .trim()
        .replace(/^W\//, '')
        .replace(/^"(.*)"$/, '$1'),
    );
    return !given.includes(etag);
  };

  r.get(path, async (req, res) => {
    const ctx = getRequestContext(req, res);
    enforce(ctx, m.policies.get, getProjectScope(req, res));
    const metadata = await m.get(ctx, param(req, 'id'));
    if (!m.etags || !ctx.microversion.atLeast('3.15')) {
      res.json(volumeMetadataView(metadata));
      return;
    }
    res.removeHeader('X-Compute-Request-Id');
    res.setHeader('Content-Type', 'text/html; charset=UTF-8');
    res.setHeader('Etag', etagOf(metadata));
    res.status(200).send(Buffer.from(toPythonJson(volumeMetadataView(metadata))));
  });
  const setAll =
    (replace: boolean) =>
    async (req: Request, res: Response): Promise<void> => {
      const ctx = getRequestContext(req, res);
      enforce(ctx, replace ? m.policies.update : m.policies.create, getProjectScope(req, res));
      if (replace && (await staleIfMatch(req, ctx))) {
        emptyAnswer(res, 412);
        return;
      }
      const metadata = validateVolumeMetadata(req.body);
      res.json(volumeMetadataView(await m.set(ctx, param(req, 'id'), metadata, replace)));
    };
  r.post(path, setAll(false));
  r.put(path, setAll(true));
  r.get(`${path}/:key`, async (req, res) => {
    const ctx = getRequestContext(req, res);
    enforce(ctx, m.policies.get, getProjectScope(req, res));
    const key = param(req, 'key');
    res.json(volumeMetadataItemView(key, await m.getItem(ctx, param(req, 'id'), key)));
  });
  r.put(`${path}/:key`, async (req, res) => {
    const ctx = getRequestContext(req, res);
    enforce(ctx, m.policies.update, getProjectScope(req, res));
    if (await staleIfMatch(req, ctx)) {
      emptyAnswer(res, 412);
      return;
    }
    const item = validateVolumeMetadataItem(req.body, param(req, 'key'));
    await m.set(ctx, param(req, 'id'), { [item.key]: item.value }, false);
    res.json(volumeMetadataItemView(item.key, item.value));
  });
  r.delete(`${path}/:key`, async (req, res) => {
    const ctx = getRequestContext(req, res);
    enforce(ctx, m.policies.delete, getProjectScope(req, res));
    await m.deleteItem(ctx, param(req, 'id'), param(req, 'key'));
    emptyAnswer(res, 200, 'webob'); // Cinder returns webob.Response(status_int=200)
  });
}

/** Settings of the /v3 routes. */
export interface VolumeV3RouteOptions {
  /** osapi_max_limit: the largest page. @default 1000 */
  readonly maxLimit?: number;
  /** service_down_time, for os-services' up/down. @default 60 */
  readonly serviceDownTimeSec?: number;
}

function resources(api: VolumeAPI, options: VolumeV3RouteOptions): Router {
  const r = express.Router({ mergeParams: true });
  r.use((req: Request, _res: Response, next: NextFunction) => {
    const p = urlProject(req);
    next(p !== undefined && !HEX_PROJECT.test(p) ? 'router' : undefined);
  });
  r.use(projectScope());

  // ---- volumes --------------------------------------------------------------------------------

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

  // ---- volume metadata ------------------------------------------------------------------------

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

  // ---- quotas and limits ----------------------------------------------------------------------

  const quotaKeys = async (): Promise<string[]> =>
    quotaResourceNames((await api.db.listTypes()).map((t) => t.name));

  r.get('/os-quota-sets/:target/defaults', async (req, res) => {
    const ctx = getRequestContext(req, res);
    enforce(ctx, 'volume_extension:quotas:show', param(req, 'target'));
    const [keys, defaults] = await Promise.all([quotaKeys(), api.quotaDefaults()]);
    res.json(
      quotaSetView(
        param(req, 'target'),
        keys.map((name) => ({ name, limit: defaults[name] ?? -1 })),
      ),
    );
  });

  r.get('/os-quota-sets/:target', async (req, res) => {
    const ctx = getRequestContext(req, res);
    const target = param(req, 'target');
    enforce(ctx, 'volume_extension:quotas:show', target);
    const keys = await quotaKeys();
    if (queryFlag(req.query, 'usage')) {
      const usage = await api.quotaUsage(target);
      res.json(
        quotaSetView(
          target,
          keys.map((name) => ({
            name,
            limit: usage[name]?.limit ?? -1,
            inUse: usage[name]?.inUse ?? 0,
            reserved: usage[name]?.reserved ?? 0,
          })),
          { usage: true },
        ),
      );
      return;
    }
    const limits = await api.quotaSet(target);
    res.json(
      quotaSetView(
        target,
        keys.map((name) => ({ name, limit: limits[name] ?? -1 })),
      ),
    );
  });

  r.put('/os-quota-sets/:target', async (req, res) => {
    const ctx = getRequestContext(req, res);
    const target = param(req, 'target');
    enforce(ctx, 'volume_extension:quotas:update', target);
    const keys = await quotaKeys();
    const limits = validateQuotaSetUpdate(req.body, keys);
    const after = await api.updateQuotaSet(target, limits);
    res.json(
      quotaSetView(
        null,
        keys.map((name) => ({ name, limit: after[name] ?? -1 })),
      ),
    );
  });

  r.delete('/os-quota-sets/:target', async (req, res) => {
    const ctx = getRequestContext(req, res);
    const target = param(req, 'target');
    enforce(ctx, 'volume_extension:quotas:delete', target);
    await api.resetQuotaSet(target);
    emptyAnswer(res, 200);
  });

  r.get('/os-quota-class-sets/:className', async (req, res) => {
    const ctx = getRequestContext(req, res);
    enforce(ctx, 'volume_extension:quota_classes');
    const [keys, limits] = await Promise.all([
      quotaKeys(),
      api.quotas.getClassQuotas(param(req, 'className')),
    ]);
    res.json(
      quotaClassSetView(
        param(req, 'className'),
        keys.map((name) => ({ name, limit: limits[name] ?? -1 })),
      ),
    );
  });

  r.put('/os-quota-class-sets/:className', async (req, res) => {
    const ctx = getRequestContext(req, res);
    enforce(ctx, 'volume_extension:quota_classes');
    const keys = await quotaKeys();
    const body = req.body as unknown;
    if (typeof body !== 'object' || body === null || Array.isArray(body) || !('quota_class_set' in body)) {
      throw new SchemaValidationError("'quota_class_set' is a required property");
    }
    // The same rules as a quota set's body, under the `quota_class_set` key.
    const limits = validateQuotaSetUpdate(
      { quota_set: (body as { quota_class_set: unknown }).quota_class_set },
      keys,
    );
    const after = await api.quotas.setClassLimits(param(req, 'className'), limits);
    res.json({ quota_class_set: Object.fromEntries(keys.map((name) => [name, after[name] ?? -1])) });
  });

  r.get('/limits', async (req, res) => {
    const ctx = getRequestContext(req, res);
    const project = getProjectScope(req, res);
    enforce(ctx, 'limits_extension:used_limits', project);
    const u = await api.quotaUsage(project);
    const pick = (k: string) => ({ limit: u[k]?.limit ?? -1, inUse: u[k]?.inUse ?? 0 });
    res.json(
      limitsView({
        volumes: pick('volumes'),
        snapshots: pick('snapshots'),
        gigabytes: pick('gigabytes'),
        backups: pick('backups'),
        backupGigabytes: pick('backup_gigabytes'),
      }),
    );
  });

  // ---- types ----------------------------------------------------------------------------------

  r.get('/types', async (req, res) => {
    const ctx = getRequestContext(req, res);
    res.json(volumeTypeList((await api.listTypes(ctx)).map(typeView), ctx));
  });
  r.get('/types/:id', async (req, res) => {
    const ctx = getRequestContext(req, res);
    res.json(volumeTypeShowView(typeView(await api.getType(ctx, param(req, 'id'))), ctx));
  });
  r.post('/types', async (req, res) => {
    const ctx = getRequestContext(req, res);
    enforce(ctx, 'volume_extension:type_create');
    const t = validateVolumeTypeCreate(req.body);
    res.json(volumeTypeCreatedView(typeView(await api.createType(t))));
  });
  r.delete('/types/:id', async (req, res) => {
    const ctx = getRequestContext(req, res);
    enforce(ctx, 'volume_extension:type_delete');
    await api.deleteType(param(req, 'id'));
    emptyAnswer(res, 202);
  });
  r.put('/types/:id', async (req, res) => {
    const ctx = getRequestContext(req, res);
    // Cinder's order: the schema, the policy, then the checks on the values.
    const upd = validateVolumeTypeUpdate(req.body, () => enforce(ctx, 'volume_extension:type_update'));
    res.json(volumeTypeShowView(typeView(await api.updateType(param(req, 'id'), upd)), ctx));
  });

  // ---- type extra specs (`cinder type-key`, `extra-specs-list`) ---------------------------------

  /** What the caller may see of a type's specs: all for an admin, else only the user-visible keys. */
  const visibleSpecs = (
    ctx: RequestContext,
    specs: Readonly<Record<string, string | null>>,
  ): Record<string, string | null> =>
    isAllowed(ctx, 'volume_extension:types_extra_specs:read_sensitive')
      ? { ...specs }
      : Object.fromEntries(
          USER_VISIBLE_EXTRA_SPECS.filter((k) => Object.prototype.hasOwnProperty.call(specs, k)).map((k) => [
            k,
            specs[k] ?? null,
          ]),
        );

  r.get('/types/:id/extra_specs', async (req, res) => {
    const ctx = getRequestContext(req, res);
    enforce(ctx, 'volume_extension:types_extra_specs:index');
    const t = await api.getTypeById(ctx, param(req, 'id'));
    res.json({ extra_specs: visibleSpecs(ctx, t.extra_specs) });
  });
  // Cinder answers the create and the update with the request's own body.
  r.post('/types/:id/extra_specs', async (req, res) => {
    const ctx = getRequestContext(req, res);
    const specs = validateExtraSpecsCreate(req.body);
    enforce(ctx, 'volume_extension:types_extra_specs:create');
    await api.setTypeExtraSpecs(param(req, 'id'), specs);
    res.json({ extra_specs: specs });
  });
  r.get('/types/:id/extra_specs/:key', async (req, res) => {
    const ctx = getRequestContext(req, res);
    enforce(ctx, 'volume_extension:types_extra_specs:show');
    const key = param(req, 'key');
    const specs = visibleSpecs(ctx, (await api.getTypeById(ctx, param(req, 'id'))).extra_specs);
    if (!Object.prototype.hasOwnProperty.call(specs, key))
      throw new VolumeTypeExtraSpecsNotFoundError(param(req, 'id'), key);
    res.json({ [key]: specs[key] ?? null });
  });
  r.put('/types/:id/extra_specs/:key', async (req, res) => {
    const ctx = getRequestContext(req, res);
    const item = validateExtraSpecsItem(req.body);
    enforce(ctx, 'volume_extension:types_extra_specs:update');
    await api.setTypeExtraSpecs(param(req, 'id'), item, param(req, 'key'));
    res.json(item);
  });
  r.delete('/types/:id/extra_specs/:key', async (req, res) => {
    const ctx = getRequestContext(req, res);
    // Cinder's order: the type (404), the policy (403), then the in-use check and the key.
    await api.getTypeById(ctx, param(req, 'id'));
    enforce(ctx, 'volume_extension:types_extra_specs:delete');
    await api.deleteTypeExtraSpec(param(req, 'id'), param(req, 'key'));
    emptyAnswer(res, 202, 'serialized');
  });

  // ---- availability zones ---------------------------------------------------------------------

  r.get('/os-availability-zone', async (req, res) => {
    const ctx = getRequestContext(req, res);
    enforce(ctx, 'volume_extension:availability_zone_list', getProjectScope(req, res));
    res.json(availabilityZoneList(await api.availabilityZones()));
  });

  // ---- snapshots ------------------------------------------------------------------------------

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

  // ---- services (admin) -----------------------------------------------------------------------

  r.get('/os-services', async (req, res) => {
    const ctx = getRequestContext(req, res);
    enforce(ctx, 'volume_extension:services:index');
    const services = await api.listServices({
      ...(queryParam(req.query, 'host') !== undefined ? { host: queryParam(req.query, 'host') } : {}),
      ...(queryParam(req.query, 'binary') !== undefined ? { binary: queryParam(req.query, 'binary') } : {}),
    });
    res.json(serviceList(services, ctx.microversion, new Date(), options.serviceDownTimeSec ?? 60));
  });

  // ---- attachments (3.27+) --------------------------------------------------------------------

  attachmentRoutes(r, api, options.maxLimit);

  return r;
}

/**
 * The `mountV3` function for createApp (and api-service's `v3` builder): noauth, microversions, JSON
 * bodies, then the resources under `/:projectId` and project-less.
 */
export function volumeV3Routes(api: VolumeAPI, options: VolumeV3RouteOptions = {}): (v3: Router) => void {
  return (v3) => {
    v3.use(noAuth());
    v3.use(microversion());
    v3.use(jsonBody());
    const routes = resources(api, options);
    v3.use('/:projectId', routes);
    v3.use('/', routes);
  };
}
