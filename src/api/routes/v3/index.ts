/**
 * The /v3 resources on the real backend (VolumeAPI), served under `/v3/{project_id}/…` (project ids
 * matching `[0-9a-f-]+`, as Cinder's router) and in the project-less form `/v3/…`. One module per
 * resource: volumes (with actions and metadata), snapshots, types (with extra specs), quotas and limits,
 * availability zones, services, attachments.
 *
 * @example createApp({ config, logger, mountV3: volumeV3Routes(volumeApi) })
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { jsonBody } from '../../middleware/body';
import { microversion } from '../../middleware/microversion';
import { noAuth } from '../../middleware/noauth';
import { projectScope } from '../../policy';
import type { VolumeAPI } from '../../../volume/api';
import { attachmentRoutes } from './attachments';
import { urlProject, HEX_PROJECT, type VolumeV3RouteOptions } from './route-helpers';
import { volumeRoutes } from './volumes';
import { quotaRoutes } from './quotas';
import { typeRoutes } from './types';
import { availabilityZoneRoutes } from './availability-zones';
import { snapshotRoutes } from './snapshots';
import { serviceRoutes } from './services';

export type { VolumeV3RouteOptions } from './route-helpers';

function resources(api: VolumeAPI, options: VolumeV3RouteOptions): Router {
  const r = express.Router({ mergeParams: true });
  r.use((req: Request, _res: Response, next: NextFunction) => {
    const p = urlProject(req);
    next(p !== undefined && !HEX_PROJECT.test(p) ? 'router' : undefined);
  });
  r.use(projectScope());

  volumeRoutes(r, api, options);
  quotaRoutes(r, api);
  typeRoutes(r, api);
  availabilityZoneRoutes(r, api);
  snapshotRoutes(r, api, options);
  serviceRoutes(r, api, options);
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
