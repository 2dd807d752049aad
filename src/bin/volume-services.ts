/**
 * `npm start -- scheduler` and `npm start -- volume [--host NAME]`: the cinder-scheduler (which also
 * serves the compute scheduler's methods on the same topic) and one cinder-volume service on the
 * default file driver (VOLUME_DIR), its host `<NAME>@file`.
 */
import { createSchedulerService } from '../scheduler/services';
import type { Service, ServiceSettings } from '../service/service';
import { createVolumeService } from '../volume/services';
import type { RunningService, ServiceContext, ServiceDefinition, ServiceName } from './services';

/** The service framework's settings from the process configuration. */
export function serviceSettingsOf(ctx: ServiceContext): Partial<ServiceSettings> {
  const c = ctx.config;
  return {
    reportInterval: c.reportInterval,
    serviceDownTime: c.serviceDownTime,
    periodicIntervalMax: c.periodicIntervalMax,
    periodicFuzzyDelay: c.periodicFuzzyDelay,
  };
}

/** Starts `service` and returns it as the launcher's RunningService. */
export async function runService(name: ServiceName, service: Service): Promise<RunningService> {
  await service.start();
  return { name, stop: () => service.stop() };
}

export const schedulerService: ServiceDefinition = {
  name: 'scheduler',
  usesDatabase: true,
  usesTransport: true,
  async start(ctx) {
    const [dataSource, transport] = await Promise.all([
      ctx.resources.dataSource(),
      ctx.resources.transport(),
    ]);
    return runService(
      'scheduler',
      createSchedulerService({
        transport,
        dataSource,
        host: ctx.host,
        settings: serviceSettingsOf(ctx),
        logger: ctx.logger,
        maxAttempts: ctx.config.schedulerMaxAttempts,
      }),
    );
  },
};

export const volumeService: ServiceDefinition = {
  name: 'volume',
  usesDatabase: true,
  usesTransport: true,
  async start(ctx) {
    const [dataSource, transport] = await Promise.all([
      ctx.resources.dataSource(),
      ctx.resources.transport(),
    ]);
    return runService(
      'volume',
      createVolumeService({
        transport,
        dataSource,
        host: ctx.host,
        volumeDir: ctx.config.volumeDir,
        ...(ctx.config.volumeCapacityGb > 0 ? { capacityGb: ctx.config.volumeCapacityGb } : {}),
        availabilityZone: ctx.config.storageAvailabilityZone,
        settings: serviceSettingsOf(ctx),
        logger: ctx.logger,
      }),
    );
  },
};
