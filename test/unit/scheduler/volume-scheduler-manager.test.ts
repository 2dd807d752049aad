/**
 * The volume scheduler manager's cast to the chosen backend when the transport cannot deliver it (the
 * broker connection dropped under the publish): it tries once more, and only then sets the volume `error`.
 */
import { RequestContext } from '../../../src/rpc/context';
import { MessageDeliveryFailure } from '../../../src/rpc/errors';
import type { ServiceCapabilities } from '../../../src/scheduler/host-manager';
import { VolumeSchedulerManager } from '../../../src/scheduler/scheduler-manager';
import type { VolumeRpcApi } from '../../../src/volume/rpc-api';
import type { VolumeRows } from '../../../src/volume/volume-rows';

const caps: ServiceCapabilities = {
  volume_backend_name: 'file',
  vendor_name: 'Open Source',
  driver_version: '1.0.0',
  storage_protocol: 'file',
  total_capacity_gb: 100,
  free_capacity_gb: 100,
  allocated_capacity_gb: 0,
  reserved_percentage: 0,
  thin_provisioning_support: true,
  availability_zone: 'nova',
};

/** The rows as the manager uses them: one volume, `creating`. */
class FakeRows {
  status = 'creating';
  host: string | null = null;
  async transition(_id: string, from: readonly string[], to: string, changes: { host?: string | null } = {}): Promise<boolean> {
    if (!from.includes(this.status)) return false;
    this.status = to;
    if (changes.host !== undefined) this.host = changes.host;
    return true;
  }
  async get(): Promise<null> {
    return null;
  }
}

/** Casts that fail with MessageDeliveryFailure (or `failWith`) the first `failures` times. */
class FlakyVolumeRpc {
  casts: string[] = [];
  constructor(
    private failures: number,
    private readonly failWith: () => Error = () => new MessageDeliveryFailure('volume', 'create_volume', 'the connection to the broker was lost before the broker confirmed the message'),
  ) {}
  async createVolume(_ctx: unknown, host: string): Promise<void> {
    this.casts.push(host);
    if (this.failures > 0) {
      this.failures--;
      throw this.failWith();
    }
  }
}

function manager(rows: FakeRows, rpc: FlakyVolumeRpc): VolumeSchedulerManager {
  const m = new VolumeSchedulerManager({
    host: 'sched1',
    rows: rows as unknown as VolumeRows,
    volumeRpc: rpc as unknown as VolumeRpcApi,
  });
  m.update_service_capabilities(RequestContext.admin(), { serviceName: 'volume', host: 'v1@file', capabilities: caps, timestamp: 1 });
  return m;
}

const createArgs = {
  volumeId: 'vol-1',
  requestSpec: { volume_id: 'vol-1', size: 1, availability_zone: 'nova', volume_type: { extra_specs: {} } },
  filterProperties: { scheduler_hints: {}, retry: { num_attempts: 0, hosts: [] } },
};

describe('volume scheduler manager: the create_volume cast to the backend', () => {
  it('is sent once more when the transport could not deliver it, and the volume stays creating on its backend', async () => {
    const rows = new FakeRows();
    const rpc = new FlakyVolumeRpc(1);

    await manager(rows, rpc).create_volume(RequestContext.admin(), createArgs);

    expect(rpc.casts).toEqual(['v1@file#file', 'v1@file#file']);
    expect({ status: rows.status, host: rows.host }).toEqual({ status: 'creating', host: 'v1@file#file' });
  });

  it('sets the volume error when the second try cannot be delivered either', async () => {
    const rows = new FakeRows();
    const rpc = new FlakyVolumeRpc(2);

    await manager(rows, rpc).create_volume(RequestContext.admin(), createArgs);

    expect(rpc.casts).toHaveLength(2);
    expect({ status: rows.status, host: rows.host }).toEqual({ status: 'error', host: null });
  });

  it('does not try again after an error that is not a delivery failure', async () => {
    const rows = new FakeRows();
    const rpc = new FlakyVolumeRpc(1, () => new TypeError('a volume cast needs the volume host'));

    await manager(rows, rpc).create_volume(RequestContext.admin(), createArgs);

    expect(rpc.casts).toHaveLength(1);
    expect(rows.status).toBe('error');
  });
});
