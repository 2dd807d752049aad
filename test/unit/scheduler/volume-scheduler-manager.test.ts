/**
 * The volume scheduler manager's cast to the chosen backend when the transport cannot deliver it (the
 * broker connection dropped under the publish): it tries once more, and only then sets the volume `error`.
 */
import { RequestContext } from '../../../src/rpc/context';
import { MessageDeliveryFailure } from '../../../src/rpc/errors';
import type { ServiceCapabilities } from '../../../src/scheduler/host-manager';
import { VolumeSchedulerManager } from '../../../src/scheduler/scheduler-manager';
import type { VolumeRpcApi } from '../../../src/volume/rpc-api';
import type { VolumeRef, VolumeRows } from '../../../src/volume/volume-rows';

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

/** The rows as the manager uses them: `vol-1` (`creating`, no host) and whatever a test adds. */
class FakeRows {
  readonly volumes = new Map<string, VolumeRef>([['vol-1', volumeRef('vol-1')]]);
  readonly snapshots = new Map<string, { id: string; volumeId: string }>();
  get status(): string {
    return this.volumes.get('vol-1')!.status;
  }
  get host(): string | null {
    return this.volumes.get('vol-1')!.host;
  }
  /** Volume reads the manager made (placing needs none: the conditional write decides). */
  gets = 0;
  async transition(
    id: string,
    from: readonly string[],
    to: string,
    changes: { host?: string | null } = {},
    only: { unplaced?: boolean } = {},
  ): Promise<boolean> {
    const v = this.volumes.get(id);
    if (v === undefined || !from.includes(v.status)) return false;
    if (only.unplaced === true && v.host !== null) return false;
    this.volumes.set(id, { ...v, status: to, ...(changes.host !== undefined ? { host: changes.host } : {}) });
    return true;
  }
  async get(id: string): Promise<VolumeRef | null> {
    this.gets += 1;
    return this.volumes.get(id) ?? null;
  }
  async getSnapshot(id: string): Promise<{ id: string; volumeId: string } | null> {
    return this.snapshots.get(id) ?? null;
  }
  async unplaced(status: string): Promise<VolumeRef[]> {
    return [...this.volumes.values()].filter((v) => v.status === status && v.host === null);
  }
  async typeExtraSpecs(): Promise<Record<string, string | null>> {
    return {};
  }
}

function volumeRef(id: string, fields: Partial<VolumeRef> = {}): VolumeRef {
  return {
    id,
    projectId: 'p1',
    userId: 'u1',
    size: 1,
    status: 'creating',
    host: null,
    volumeTypeId: null,
    availabilityZone: 'nova',
    snapshotId: null,
    sourceVolid: null,
    useQuota: true,
    changedAtMs: 0,
    ...fields,
  };
}

/** Casts that fail with MessageDeliveryFailure (or `failWith`) the first `failures` times. */
class FlakyVolumeRpc {
  casts: string[] = [];
  volumes: string[] = [];
  constructor(
    private failures: number,
    private readonly failWith: () => Error = () =>
      new MessageDeliveryFailure(
        'volume',
        'create_volume',
        'the connection to the broker was lost before the broker confirmed the message',
      ),
  ) {}
  async createVolume(_ctx: unknown, host: string, args?: { volumeId: string }): Promise<void> {
    this.casts.push(host);
    if (args !== undefined) this.volumes.push(args.volumeId);
    if (this.failures > 0) {
      this.failures--;
      throw this.failWith();
    }
  }
}

function manager(
  rows: FakeRows,
  rpc: FlakyVolumeRpc,
  backends: Record<string, number> = { 'v1@file': 100 },
): VolumeSchedulerManager {
  const m = new VolumeSchedulerManager({
    host: 'sched1',
    rows: rows as unknown as VolumeRows,
    volumeRpc: rpc as unknown as VolumeRpcApi,
    unplacedSeconds: 0,
  });
  for (const [host, free] of Object.entries(backends)) {
    m.update_service_capabilities(RequestContext.admin(), {
      serviceName: 'volume',
      host,
      capabilities: { ...caps, free_capacity_gb: free },
      timestamp: 1,
    });
  }
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

describe('volume scheduler manager: a create_volume cast delivered more than once (at-least-once casts)', () => {
  it('places a volume once: a copy arriving after it got a host casts nothing', async () => {
    const rows = new FakeRows();
    const rpc = new FlakyVolumeRpc(0);
    const m = manager(rows, rpc, { 'v1@file': 100, 'v2@file': 90 });

    await m.create_volume(RequestContext.admin(), createArgs);
    await m.create_volume(RequestContext.admin(), createArgs);

    expect(rpc.casts).toEqual(['v1@file#file']);
    expect({ status: rows.status, host: rows.host }).toEqual({ status: 'creating', host: 'v1@file#file' });
  });

  it('places a volume once when two copies arrive together', async () => {
    const rows = new FakeRows();
    const rpc = new FlakyVolumeRpc(0);
    const m = manager(rows, rpc, { 'v1@file': 100, 'v2@file': 90 });

    await Promise.all([
      m.create_volume(RequestContext.admin(), createArgs),
      m.create_volume(RequestContext.admin(), createArgs),
    ]);

    expect(rpc.casts).toEqual(['v1@file#file']);
  });

  it('places a volume once when two scheduler processes handle a copy each at the same moment, reading no row first', async () => {
    const rows = new FakeRows();
    const rpc = new FlakyVolumeRpc(0);
    const backends = { 'v1@file': 100, 'v2@file': 90 };
    const [a, b] = [manager(rows, rpc, backends), manager(rows, rpc, backends)];

    await Promise.all([
      a.create_volume(RequestContext.admin(), createArgs),
      b.create_volume(RequestContext.admin(), createArgs),
    ]);

    expect(rpc.casts).toEqual(['v1@file#file']);
    expect({ status: rows.status, host: rows.host }).toEqual({ status: 'creating', host: 'v1@file#file' });
    expect(rows.gets).toBe(0);
    // The loser gave back what its selection consumed: its view of v1 is as reported again.
    const free = (m: VolumeSchedulerManager): number => m.hostManager.get('v1@file')!.freeCapacityGb;
    expect([free(a), free(b)].sort((x, y) => x - y)).toEqual([99, 100]);
  });

  it('does not set error a placed volume when a late copy finds no backend for it', async () => {
    const rows = new FakeRows();
    const rpc = new FlakyVolumeRpc(0);
    await manager(rows, rpc).create_volume(RequestContext.admin(), createArgs);

    // This copy has the only backend in its tried list: the selection fails (NoValidBackend).
    await manager(rows, rpc).create_volume(RequestContext.admin(), {
      ...createArgs,
      filterProperties: { scheduler_hints: {}, retry: { num_attempts: 1, hosts: ['v1@file#file'] } },
    });

    expect(rpc.casts).toEqual(['v1@file#file']);
    expect({ status: rows.status, host: rows.host }).toEqual({ status: 'creating', host: 'v1@file#file' });
  });

  it('leaves alone a volume that is no longer creating (a copy after it failed or was deleted)', async () => {
    const rows = new FakeRows();
    rows.volumes.set('vol-1', volumeRef('vol-1', { status: 'error' }));
    const rpc = new FlakyVolumeRpc(0);

    await manager(rows, rpc).create_volume(RequestContext.admin(), createArgs);
    rows.volumes.delete('vol-1');
    await manager(rows, rpc).create_volume(RequestContext.admin(), createArgs);

    expect(rpc.casts).toEqual([]);
  });

  it('places again a volume its backend rescheduled before the cast to that backend returned (a slow confirm)', async () => {
    const rows = new FakeRows();
    const rpc = new FlakyVolumeRpc(0);
    const m = manager(rows, rpc, { 'v1@file': 100, 'v2@file': 90 });
    const createVolume = rpc.createVolume.bind(rpc);
    // v1 fails the create and reschedules it (host cleared, create_volume cast back) before its cast returns.
    rpc.createVolume = async (c: unknown, host: string, args?: { volumeId: string }) => {
      await createVolume(c, host, args);
      if (host !== 'v1@file#file') return;
      await rows.transition('vol-1', ['creating'], 'creating', { host: null });
      await m.create_volume(RequestContext.admin(), {
        ...createArgs,
        filterProperties: {
          scheduler_hints: {},
          retry: { num_attempts: 1, hosts: ['v1@file#file'], exc: 'DriverError: boom' },
        },
      });
    };

    await m.create_volume(RequestContext.admin(), createArgs);

    expect(rpc.casts).toEqual(['v1@file#file', 'v2@file#file']);
    expect({ status: rows.status, host: rows.host }).toEqual({ status: 'creating', host: 'v2@file#file' });
  });

  it('places again a volume a volume service rescheduled (it cleared the host), away from the backend tried', async () => {
    const rows = new FakeRows();
    const rpc = new FlakyVolumeRpc(0);
    const m = manager(rows, rpc, { 'v1@file': 100, 'v2@file': 90 });

    await m.create_volume(RequestContext.admin(), {
      ...createArgs,
      filterProperties: {
        scheduler_hints: {},
        retry: { num_attempts: 1, hosts: ['v1@file#file'], exc: 'DriverError: boom' },
      },
    });

    expect(rpc.casts).toEqual(['v2@file#file']);
  });
});

describe('volume scheduler manager: placing again a volume whose create cast was lost', () => {
  // v2 has the most free space, so an unpinned volume would go there.
  const backends = { 'v1@file': 50, 'v2@file': 100 };

  it("keeps a volume from a snapshot on the backend of the snapshot's volume (resource_backend)", async () => {
    const rows = new FakeRows();
    rows.volumes.clear();
    rows.volumes.set('origin', volumeRef('origin', { status: 'available', host: 'v1@file#file' }));
    rows.snapshots.set('snap-1', { id: 'snap-1', volumeId: 'origin' });
    rows.volumes.set('from-snap', volumeRef('from-snap', { snapshotId: 'snap-1' }));
    const rpc = new FlakyVolumeRpc(0);

    const placed = await manager(rows, rpc, backends).placeUnplaced(RequestContext.admin());

    expect(placed).toEqual(['from-snap']);
    expect(rpc.casts).toEqual(['v1@file#file']);
    expect(rows.volumes.get('from-snap')).toMatchObject({ status: 'creating', host: 'v1@file#file' });
  });

  it('keeps a clone on the backend of its source volume, and an ordinary volume goes where there is most room', async () => {
    const rows = new FakeRows();
    rows.volumes.clear();
    rows.volumes.set('source', volumeRef('source', { status: 'available', host: 'v1@file#file' }));
    rows.volumes.set('clone', volumeRef('clone', { sourceVolid: 'source' }));
    rows.volumes.set('plain', volumeRef('plain'));
    const rpc = new FlakyVolumeRpc(0);

    await manager(rows, rpc, backends).placeUnplaced(RequestContext.admin());

    expect(rows.volumes.get('clone')).toMatchObject({ status: 'creating', host: 'v1@file#file' });
    expect(rows.volumes.get('plain')).toMatchObject({ status: 'creating', host: 'v2@file#file' });
  });

  it('sets error a pinned volume whose backend cannot take it, instead of placing it elsewhere', async () => {
    const rows = new FakeRows();
    rows.volumes.clear();
    rows.volumes.set('source', volumeRef('source', { status: 'available', host: 'v1@file#file' }));
    rows.volumes.set('clone', volumeRef('clone', { sourceVolid: 'source', size: 80 }));
    const rpc = new FlakyVolumeRpc(0);

    await manager(rows, rpc, backends).placeUnplaced(RequestContext.admin());

    expect(rpc.casts).toEqual([]);
    expect(rows.volumes.get('clone')).toMatchObject({ status: 'error', host: null });
  });

  it('sets error a volume whose snapshot is gone (no backend can copy it)', async () => {
    const rows = new FakeRows();
    rows.volumes.clear();
    rows.volumes.set('from-snap', volumeRef('from-snap', { snapshotId: 'gone' }));
    const rpc = new FlakyVolumeRpc(0);

    await manager(rows, rpc, backends).placeUnplaced(RequestContext.admin());

    expect(rpc.casts).toEqual([]);
    expect(rows.volumes.get('from-snap')).toMatchObject({ status: 'error', host: null });
  });

  it('leaves alone a volume that a late create cast placed after the sweep read it (no error over a placement)', async () => {
    const rows = new FakeRows();
    rows.volumes.clear();
    rows.volumes.set('from-snap', volumeRef('from-snap', { snapshotId: 'gone' }));
    // The sweep reads the row unplaced; the original cast lands on a backend before its error write.
    const read = rows.unplaced.bind(rows);
    rows.unplaced = async (status: string) => {
      const seen = await read(status);
      rows.volumes.set('from-snap', { ...rows.volumes.get('from-snap')!, host: 'v1@file#file' });
      return seen;
    };
    const rpc = new FlakyVolumeRpc(0);

    await manager(rows, rpc, backends).placeUnplaced(RequestContext.admin());

    expect(rpc.casts).toEqual([]);
    expect(rows.volumes.get('from-snap')).toMatchObject({ status: 'creating', host: 'v1@file#file' });
  });
});
