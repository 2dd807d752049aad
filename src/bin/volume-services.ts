/**
 * `npm start -- scheduler` and `npm start -- volume [--host NAME]`: the cinder-scheduler (which also
 * serves the compute scheduler's methods on the same topic) and one cinder-volume service on the
 * default file driver (VOLUME_DIR), its host `<NAME>@file`.
 */
import { createSchedulerService } from '../scheduler/services';
import type { Service, ServiceSettings } from '../service/service';
import { createVolumeService } from '../volume/services';
import type { RunningService, ServiceContext, ServiceDefinition, ServiceName } from './services';

function settingsOf(ctx: ServiceContext): Partial<ServiceSettings> {
  const c = ctx.config;
  return {
    reportInterval: c.reportInterval,
    serviceDownTime: c.serviceDownTime,
    periodicIntervalMax: c.periodicIntervalMax,
    periodicFuzzyDelay: c.periodicFuzzyDelay,
  };
}

async function run(name: ServiceName, service: Service): Promise<RunningService> {
  await service.start();
  return { name, stop: () => service.stop() };
}

export const schedulerService: ServiceDefinition = {
  name: 'scheduler',
  usesDatabase: true,
  usesTransport: true,
  async start(ctx) {
    const [dataSource, transport] = await Promise.all([ctx.resources.dataSource(), ctx.resources.transport()]);
    return run(
      'scheduler',
      createSchedulerService({
        transport,
        dataSource,
        host: ctx.host,
        settings: settingsOf(ctx),
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
    const [dataSource, transport] = await Promise.all([ctx.resources.dataSource(), ctx.resources.transport()]);
    return run(
      'volume',
      createVolumeService({
        transport,
        dataSource,
        host: ctx.host,
        volumeDir: ctx.config.volumeDir,
        availabilityZone: ctx.config.storageAvailabilityZone,
        settings: settingsOf(ctx),
        logger: ctx.logger,
      }),
    );
  },
};
