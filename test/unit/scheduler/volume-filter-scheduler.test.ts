import { InvalidRpcMessageError } from '../../../src/rpc/errors';
import { NoValidBackendError } from '../../../src/scheduler/errors';
import { VolumeFilterScheduler, placementOf } from '../../../src/scheduler/filter-scheduler';
import { VolumeHostManager, type ServiceCapabilities } from '../../../src/scheduler/host-manager';

function caps(over: Partial<ServiceCapabilities> = {}): ServiceCapabilities {
  return {
    volume_backend_name: 'lvm',
    vendor_name: 'Open Source',
    driver_version: '1.0.0',
    storage_protocol: 'file',
    total_capacity_gb: 100,
    free_capacity_gb: 100,
    allocated_capacity_gb: 0,
    reserved_percentage: 0,
    thin_provisioning_support: false,
    availability_zone: 'nova',
    ...over,
  };
}

const req = (over: Partial<Parameters<typeof placementOf>[1]> = {}) =>
  placementOf('vol-1', { size: 1, availability_zone: 'nova', volume_type: { extra_specs: {} }, ...over });

describe('volume filter scheduler', () => {
  let hm: VolumeHostManager;
  let sched: VolumeFilterScheduler;

  beforeEach(() => {
    hm = new VolumeHostManager();
    sched = new VolumeFilterScheduler(hm, { maxAttempts: 3 });
  });

  it('weighs by free capacity: the backend with the most free space wins', async () => {
    hm.updateServiceCapabilities('volume', 'a@lvm', caps({ free_capacity_gb: 40 }), 1);
    hm.updateServiceCapabilities('volume', 'b@lvm', caps({ free_capacity_gb: 90 }), 1);

    const s = await sched.selectBackend(req(), {});

    expect(s.backend.backend).toBe('b@lvm');
    expect(s.backend.hostWithPool).toBe('b@lvm#lvm');
  });

  it('consumes the chosen backend so a burst spreads', async () => {
    hm.updateServiceCapabilities('volume', 'a@lvm', caps({ free_capacity_gb: 50 }), 1);
    hm.updateServiceCapabilities('volume', 'b@lvm', caps({ free_capacity_gb: 45 }), 1);

    const picks: string[] = [];
    for (let i = 0; i < 4; i++)
      picks.push((await sched.selectBackend(req({ size: 10 }), {})).backend.backend);

    expect(picks).toEqual(['a@lvm', 'b@lvm', 'a@lvm', 'b@lvm']);
    expect(hm.get('a@lvm')).toMatchObject({
      freeCapacityGb: 30,
      allocatedCapacityGb: 20,
      placedSinceReport: 2,
    });
  });

  it('a newer report replaces what was consumed; an older one is ignored', async () => {
    hm.updateServiceCapabilities('volume', 'a@lvm', caps({ free_capacity_gb: 50 }), 100);
    await sched.selectBackend(req({ size: 10 }), {});

    expect(hm.updateServiceCapabilities('volume', 'a@lvm', caps({ free_capacity_gb: 70 }), 50)).toBe(false);
    expect(hm.get('a@lvm')!.freeCapacityGb).toBe(40);
    expect(hm.updateServiceCapabilities('volume', 'a@lvm', caps({ free_capacity_gb: 70 }), 200)).toBe(true);
    expect(hm.get('a@lvm')!.freeCapacityGb).toBe(70);
  });

  it('drops malformed reports and reports of other services', () => {
    expect(hm.updateServiceCapabilities('volume', 'a@lvm', { free_capacity_gb: -1 }, 1)).toBe(false);
    expect(hm.updateServiceCapabilities('volume', 'a@lvm', caps({ free_capacity_gb: Number.NaN }), 1)).toBe(
      false,
    );
    expect(hm.updateServiceCapabilities('compute', 'a@lvm', caps(), 1)).toBe(false);
    expect(hm.size).toBe(0);
  });

  it('CapacityFilter keeps backends with room after the reserved percentage', async () => {
    hm.updateServiceCapabilities(
      'volume',
      'a@lvm',
      caps({ free_capacity_gb: 20, total_capacity_gb: 100, reserved_percentage: 15 }),
      1,
    );

    await expect(sched.selectBackend(req({ size: 6 }), {})).rejects.toBeInstanceOf(NoValidBackendError);
    await expect(sched.selectBackend(req({ size: 5 }), {})).resolves.toMatchObject({
      backend: { backend: 'a@lvm' },
    });
  });

  it('AvailabilityZoneFilter keeps the backends of the requested zone', async () => {
    hm.updateServiceCapabilities('volume', 'a@lvm', caps({ free_capacity_gb: 90 }), 1);
    hm.updateServiceCapabilities(
      'volume',
      'b@lvm',
      caps({ free_capacity_gb: 10, availability_zone: 'east' }),
      1,
    );

    expect((await sched.selectBackend(req({ availability_zone: 'east' }), {})).backend.backend).toBe('b@lvm');
    await expect(sched.selectBackend(req({ availability_zone: 'west' }), {})).rejects.toThrow(
      /AvailabilityZoneFilter removed 2/,
    );
  });

  it('CapabilitiesFilter matches volume_backend_name and capabilities: specs, and refuses unreported capabilities', async () => {
    hm.updateServiceCapabilities(
      'volume',
      'a@gold',
      caps({ volume_backend_name: 'gold', free_capacity_gb: 10 }),
      1,
    );
    hm.updateServiceCapabilities('volume', 'b@lvm', caps({ free_capacity_gb: 90 }), 1);

    const gold = await sched.selectBackend(
      req({ volume_type: { extra_specs: { volume_backend_name: 'gold' } } }),
      {},
    );
    const proto = await sched.selectBackend(
      req({ volume_type: { extra_specs: { 'capabilities:storage_protocol': '<in> fil' } } }),
      {},
    );
    const qos = await sched.selectBackend(req({ volume_type: { extra_specs: { 'qos:iops': '100' } } }), {});

    expect(gold.backend.backend).toBe('a@gold');
    expect(proto.backend.backend).toBe('b@lvm');
    expect(qos.backend.backend).toBe('b@lvm');
    await expect(
      sched.selectBackend(req({ volume_type: { extra_specs: { multiattach: '<is> True' } } }), {}),
    ).rejects.toThrow(/CapabilitiesFilter removed 2/);
  });

  it('RetryFilter skips the backends already tried and counts the attempt', async () => {
    hm.updateServiceCapabilities('volume', 'a@lvm', caps({ free_capacity_gb: 90 }), 1);
    hm.updateServiceCapabilities('volume', 'b@lvm', caps({ free_capacity_gb: 10 }), 1);

    const s = await sched.selectBackend(req(), {
      retry: { num_attempts: 1, hosts: ['a@lvm#lvm'], exc: 'boom' },
    });

    expect(s.backend.backend).toBe('b@lvm');
    expect(s.filterProperties['retry']).toEqual({
      num_attempts: 2,
      hosts: ['a@lvm#lvm', 'b@lvm#lvm'],
      exc: 'boom',
    });
  });

  it('refuses past scheduler_max_attempts with the last error in the reason', async () => {
    hm.updateServiceCapabilities('volume', 'a@lvm', caps(), 1);

    const err = await sched
      .selectBackend(req(), {
        retry: { num_attempts: 3, hosts: ['x', 'y', 'z'], exc: 'VolumeBackendError: disk on fire' },
      })
      .catch((e: unknown) => e);

    expect(err).toBeInstanceOf(NoValidBackendError);
    expect((err as Error).message).toBe(
      'No valid backend was found. Exceeded max scheduling attempts 3 for resource vol-1; last error: VolumeBackendError: disk on fire',
    );
  });

  it('says so when no backend has reported', async () => {
    await expect(sched.selectBackend(req(), {})).rejects.toThrow(
      'No valid backend was found. No weighed backends available',
    );
  });

  it('leaves out backends whose service is down', async () => {
    const down = new VolumeHostManager({ isBackendUp: (b) => b !== 'a@lvm' });
    down.updateServiceCapabilities('volume', 'a@lvm', caps({ free_capacity_gb: 90 }), 1);
    down.updateServiceCapabilities('volume', 'b@lvm', caps({ free_capacity_gb: 10 }), 1);

    expect((await new VolumeFilterScheduler(down).selectBackend(req(), {})).backend.backend).toBe('b@lvm');
  });

  it('rejects malformed request specs and retry info clearly', async () => {
    expect(() => placementOf('v', { size: 0 })).toThrow(InvalidRpcMessageError);
    expect(() => placementOf('v', { size: 1.5 })).toThrow('request spec size must be a positive integer');
    expect(() => placementOf('', { size: 1 })).toThrow('create_volume needs a volumeId');
    hm.updateServiceCapabilities('volume', 'a@lvm', caps(), 1);
    await expect(
      sched.selectBackend(req(), { retry: { num_attempts: 'x', hosts: [] } }),
    ).rejects.toBeInstanceOf(InvalidRpcMessageError);
  });
});
