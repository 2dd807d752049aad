/**
 * `npm start -- conductor` and `npm start -- compute [--host NAME]`: nova-conductor (object
 * indirection and build_instances, with the database) and one nova-compute on the fake virt driver,
 * sized by `[compute]` fake_vcpus / fake_memory_mb / fake_disk_gb (and fake_fail_spawns for demos).
 * The compute has no database: its objects, service record and heartbeats all go through the
 * conductor, and the launcher hands it a context whose `dataSource()` fails with DBNotAllowed.
 * Both ask the scheduler on topic `scheduler`, which the cinder-scheduler serves for instances too.
 */
import type { FakeDriverOptions } from '../compute/fake-driver';
import { createComputeService, createConductorService } from '../compute/services';
import type { Config } from '../config';
import type { ServiceDefinition } from './services';
import { runService, serviceSettingsOf } from './volume-services';

/** The fake virt driver's size and behaviour from `[compute]` (FAKE_VCPUS, FAKE_MEMORY_MB, …). */
export function fakeDriverOptionsOf(
  config: Pick<Config, 'fakeVcpus' | 'fakeMemoryMb' | 'fakeDiskGb' | 'fakeFailSpawns'>,
): Omit<FakeDriverOptions, 'host'> {
  return {
    vcpus: config.fakeVcpus,
    memoryMb: config.fakeMemoryMb,
    diskGb: config.fakeDiskGb,
    failSpawns: config.fakeFailSpawns,
  };
}

export const conductorService: ServiceDefinition = {
  name: 'conductor',
  usesDatabase: true,
  usesTransport: true,
  async start(ctx) {
    const [dataSource, transport] = await Promise.all([
      ctx.resources.dataSource(),
      ctx.resources.transport(),
    ]);
    return runService(
      'conductor',
      createConductorService({
        transport,
        dataSource,
        host: ctx.host,
        settings: serviceSettingsOf(ctx),
        logger: ctx.logger,
        // Nova's scheduler.max_attempts plays the part of Cinder's scheduler_max_attempts here.
        maxAttempts: ctx.config.schedulerMaxAttempts,
      }),
    );
  },
};

export const computeService: ServiceDefinition = {
  name: 'compute',
  usesDatabase: false,
  usesTransport: true,
  async start(ctx) {
    const transport = await ctx.resources.transport();
    return runService(
      'compute',
      createComputeService({
        transport,
        host: ctx.host,
        settings: serviceSettingsOf(ctx),
        logger: ctx.logger,
        updateResourcesInterval: ctx.config.updateResourcesInterval,
        driverOptions: fakeDriverOptionsOf(ctx.config),
        ...(ctx.stopping !== undefined ? { startAbort: ctx.stopping } : {}),
      }),
    );
  },
};
