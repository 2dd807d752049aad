/** `os-availability-zone`. */
import { type Router } from 'express';
import { getRequestContext } from '../../context';
import { enforce, getProjectScope } from '../../policy';
import { availabilityZoneList } from '../../views';
import type { VolumeAPI } from '../../../volume/api';

export function availabilityZoneRoutes(r: Router, api: VolumeAPI): void {
  r.get('/os-availability-zone', async (req, res) => {
    const ctx = getRequestContext(req, res);
    enforce(ctx, 'volume_extension:availability_zone_list', getProjectScope(req, res));
    res.json(availabilityZoneList(await api.availabilityZones()));
  });
}
