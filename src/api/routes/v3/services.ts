/** `os-services` (admin): every service with its up/down state from the heartbeats. */
import { type Router } from 'express';
import { getRequestContext } from '../../context';
import { enforce } from '../../policy';
import { queryParam } from '../../validation';
import { serviceList } from '../../views';
import type { VolumeAPI } from '../../../volume/api';
import { type VolumeV3RouteOptions } from './route-helpers';

export function serviceRoutes(r: Router, api: VolumeAPI, options: VolumeV3RouteOptions): void {
  r.get('/os-services', async (req, res) => {
    const ctx = getRequestContext(req, res);
    enforce(ctx, 'volume_extension:services:index');
    const services = await api.listServices({
      ...(queryParam(req.query, 'host') !== undefined ? { host: queryParam(req.query, 'host') } : {}),
      ...(queryParam(req.query, 'binary') !== undefined ? { binary: queryParam(req.query, 'binary') } : {}),
    });
    res.json(serviceList(services, ctx.microversion, new Date(), options.serviceDownTimeSec ?? 60));
  });
}
