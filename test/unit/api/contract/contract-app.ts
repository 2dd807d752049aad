/**
 * A small express app for the HTTP contract tests: the real createApp() (request ids, size limit,
 * fault table, webob 404) with this area's middleware (noauth, microversion, JSON body, project scope,
 * policy) and thin handlers that run the real validators and view builders over in-memory data.
 * The final routes (flows, DB) are mounted elsewhere; what is checked here is the contract layer.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { createApp } from '../../../../src/api/app';
import { getRequestContext } from '../../../../src/api/context';
import { jsonBody } from '../../../../src/api/middleware/body';
import { microversion } from '../../../../src/api/middleware/microversion';
import { noAuth } from '../../../../src/api/middleware/noauth';
import { enforce, getProjectScope, projectScope } from '../../../../src/api/policy';
import {
  VOLUME_SORT_KEYS,
  assertKnownAction,
  parseActionBody,
  parsePagination,
  parseSort,
  quotaResourceNames,
  validateQuotaSetUpdate,
  validateVolumeCreate,
  validateVolumeExtend,
  validateVolumeTypeCreate,
  validateVolumeUpdate,
} from '../../../../src/api/validation';
import {
  linkBaseFromRequest,
  queryPairs,
  quotaSetView,
  sendAcceptedEmpty,
  sendOkEmpty,
  timestampNow,
  volumeCreatedView,
  volumeShowView,
  volumeSummaryList,
  volumeTypeCreatedView,
  type VolumeViewSource,
} from '../../../../src/api/views';
import { silentLogger } from '../../../../src/log';

export const PROJECT = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
export const OTHER_PROJECT = 'c1b2c3d4e5f60718293a4b5c6d7e8f92';
export const DEFAULT_TYPE_ID = '9493bf9c-8aa8-45b9-a6c2-4b9ecb785968';
export const TYPE_NAMES = ['fake-type-82a792', '__DEFAULT__'];

/** In-memory volumes the list/show handlers serve, newest first. */
export function sampleVolumes(n: number, projectId = PROJECT): VolumeViewSource[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `00000000-0000-4000-8000-${String(n - i).padStart(12, '0')}`,
    projectId,
    userId: 'admin',
    size: 1,
    status: 'available',
    displayName: i === 0 ? 'vol-named' : null,
    displayDescription: null,
    availabilityZone: 'nova',
    volumeTypeId: DEFAULT_TYPE_ID,
    snapshotId: null,
    sourceVolid: null,
    host: 'cinder-peer@fake#fake',
    bootable: false,
    encryptionKeyId: null,
    multiattach: false,
    migrationStatus: null,
    createdAt: new Date(Date.UTC(2026, 10, 22, 3, 7, 14)),
    updatedAt: new Date(Date.UTC(2026, 10, 22, 3, 7, 14)),
  }));
}

const HEX_PROJECT = /^[0-9a-f-]+$/;

function resources(volumes: readonly VolumeViewSource[]): Router {
  const r = express.Router({ mergeParams: true });
  r.use((req: Request, _res: Response, next: NextFunction) => {
    // Cinder routes /v3/{project_id}/… only for project ids matching [0-9a-f-]+.
    const p = (req.params as Record<string, string | undefined>).projectId;
    next(p !== undefined && !HEX_PROJECT.test(p) ? 'router' : undefined);
  });
  r.use(projectScope());

  r.post('/volumes', (req, res) => {
    const ctx = getRequestContext(req, res);
    const request = validateVolumeCreate(req.body, ctx.microversion);
    const vol: VolumeViewSource = {
      id: 'f92daf01-2977-45c0-b9fd-36e0c6fdcdbf',
      projectId: getProjectScope(req, res),
      userId: ctx.userId,
      size: request.size ?? 1,
      status: 'creating',
      displayName: request.name,
      displayDescription: request.description,
      availabilityZone: request.availabilityZone ?? 'nova',
      volumeTypeId: DEFAULT_TYPE_ID,
      snapshotId: request.snapshotId,
      sourceVolid: request.sourceVolid,
      host: null,
      bootable: false,
      encryptionKeyId: null,
      multiattach: false,
      migrationStatus: null,
      createdAt: timestampNow(),
      updatedAt: null,
    };
    const links = linkBaseFromRequest(req, (req.params as Record<string, string | undefined>).projectId);
    res
      .status(202)
      .json(
        volumeCreatedView(
          vol,
          { volumeTypeName: '__DEFAULT__', metadata: request.metadata },
          { ...ctx, links },
        ),
      );
  });

  r.get('/volumes', (req, res) => {
    const ctx = getRequestContext(req, res);
    const page = parsePagination(req.query);
    parseSort(req.query, VOLUME_SORT_KEYS);
    const start = page.marker === null ? 0 : volumes.findIndex((v) => v.id === page.marker) + 1;
    const items = volumes.slice(start, start + page.limit);
    const links = linkBaseFromRequest(req, (req.params as Record<string, string | undefined>).projectId);
    res.json(
      volumeSummaryList(items, links, {
        limit: page.limit,
        query: queryPairs(req),
        contextProjectId: ctx.projectId,
      }),
    );
  });

  r.get('/volumes/:id', (req, res) => {
    const ctx = getRequestContext(req, res);
    const vol = volumes.find((v) => v.id === req.params.id);
    if (vol === undefined) {
      res.status(404).end();
      return;
    }
    const links = linkBaseFromRequest(req, (req.params as Record<string, string | undefined>).projectId);
    res.json(volumeShowView(vol, { volumeTypeName: '__DEFAULT__', metadata: {} }, { ...ctx, links }));
  });

  r.delete('/volumes/:id', (_req, res) => {
    sendAcceptedEmpty(res);
  });

  r.delete('/os-quota-sets/:target', (req, res) => {
    enforce(getRequestContext(req, res), 'volume_extension:quotas:delete', req.params.target);
    sendOkEmpty(res);
  });

  r.put('/volumes/:id', (req, res) => {
    const ctx = getRequestContext(req, res);
    const update = validateVolumeUpdate(req.body, ctx.microversion);
    res.json({ update });
  });

  r.post('/volumes/:id/action', (req, res) => {
    const { action } = parseActionBody(req.body);
    assertKnownAction(action);
    const { newSize } = validateVolumeExtend(req.body);
    res.status(202).json({ newSize });
  });

  r.put('/os-quota-sets/:target', (req, res) => {
    const ctx = getRequestContext(req, res);
    // Cinder validates the body (decorator) before the policy check inside the method.
    const keys = quotaResourceNames(TYPE_NAMES);
    const limits = validateQuotaSetUpdate(req.body, keys);
    enforce(ctx, 'volume_extension:quotas:update', req.params.target);
    res.json(
      quotaSetView(
        null,
        keys.map((name) => ({ name, limit: limits[name] ?? -1 })),
      ),
    );
  });

  r.post('/types', (req, res) => {
    const t = validateVolumeTypeCreate(req.body);
    enforce(getRequestContext(req, res), 'volume_extension:type_create');
    res.json(volumeTypeCreatedView({ id: '493e7e42-b8e7-4cac-8e73-0518716242c0', qosSpecsId: null, ...t }));
  });
  return r;
}

/** The app under test. */
export function contractApp(volumes: readonly VolumeViewSource[] = sampleVolumes(5)): express.Express {
  return createApp({
    config: { maxRequestBodySize: 114688 },
    logger: silentLogger(),
    mountV3: (v3) => {
      v3.use(noAuth());
      v3.use(microversion());
      v3.use(jsonBody());
      v3.use('/:projectId', resources(volumes));
      v3.use('/', resources(volumes));
    },
  });
}
