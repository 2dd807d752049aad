import { computeApiV3 } from '../compute/http';
import { SchedulerRpcApi } from '../scheduler/rpc-api';
import { volumeApiV3 } from '../volume/api-wiring';
import { VolumeRpcApi } from '../volume/rpc-api';
import { createApiService } from './api-service';
import { computeService, conductorService } from './compute-services';
import { ServiceRegistry } from './services';
import { schedulerService, volumeService } from './volume-services';

/** The services this build can start: all five (api, scheduler, volume, conductor, compute). */
export function defaultRegistry(): ServiceRegistry {
  const volumes = volumeApiV3({
    scheduler: (t) => new SchedulerRpcApi(t),
    backend: (t) => new VolumeRpcApi(t),
    snapshots: (t) => new VolumeRpcApi(t),
    attach: (t) => new VolumeRpcApi(t),
  });
  const api = createApiService({
    // The compute resources (servers, os-hypervisors) mount after the volume ones: they rely on the
    // noauth, microversion and body middlewares those install.
    v3: async (ctx) => {
      const [mountVolumes, mountCompute] = await Promise.all([
        volumes(ctx),
        computeApiV3(ctx.resources, {
          reportInterval: ctx.config.reportInterval,
          serviceDownTime: ctx.config.serviceDownTime,
        }),
      ]);
      return (v3) => {
        mountVolumes(v3);
        mountCompute(v3);
      };
    },
  });
  return new ServiceRegistry()
    .register(api)
    .register(schedulerService)
    .register(volumeService)
    .register(conductorService)
    .register(computeService);
}
