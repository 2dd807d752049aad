import { SchedulerRpcApi } from '../scheduler/rpc-api';
import { volumeApiV3 } from '../volume/api-wiring';
import { VolumeRpcApi } from '../volume/rpc-api';
import { createApiService } from './api-service';
import { computeService, conductorService } from './compute-services';
import { ServiceRegistry } from './services';
import { schedulerService, volumeService } from './volume-services';

/** The services this build can start: all five (api, scheduler, volume, conductor, compute). */
export function defaultRegistry(): ServiceRegistry {
  const api = createApiService({
    v3: volumeApiV3({
      scheduler: (t) => new SchedulerRpcApi(t),
      backend: (t) => new VolumeRpcApi(t),
      snapshots: (t) => new VolumeRpcApi(t),
    }),
  });
  return new ServiceRegistry()
    .register(api)
    .register(schedulerService)
    .register(volumeService)
    .register(conductorService)
    .register(computeService);
}
