/**
 * The create-volume tasks one by one: ExtractRequest's validations and inheritance, the over-quota
 * wording, and the quota_committed rule in the reverts (with recording fakes of the ports, since what is
 * tested is each task's decision, not the database; the flow suites run them on real databases).
 */
import { Failure } from '../../../../src/taskflow';
import { OverQuotaError } from '../../../../src/quota';
import {
  EntryCreateTask,
  ExtractRequestTask,
  InvalidAvailabilityZoneError,
  InvalidSnapshotError,
  QuotaCommitTask,
  QuotaReserveTask,
  VolumeInvalidInputError,
  VolumeLimitExceededError,
  VolumeSizeExceedsAvailableQuotaError,
  VolumeSizeExceedsLimitError,
  translateOverQuota,
  type ExtractRequestIn,
  type VolumeEntryStore,
  type VolumeFlowContext,
  type VolumeProperties,
  type VolumeQuotas,
  type VolumeTypeRef,
} from '../../../../src/tasks/volume';

const DEFAULT_TYPE: VolumeTypeRef = {
  id: 'type-default',
  name: '__DEFAULT__',
  qos_specs_id: null,
  extra_specs: {},
};
const GOLD: VolumeTypeRef = { id: 'type-gold', name: 'gold', qos_specs_id: 'qos-1', extra_specs: {} };

function context(committed = false): VolumeFlowContext {
  return {
    project_id: 'p1',
    user_id: 'u1',
    is_admin: false,
    request_id: 'req-1',
    roles: [],
    quota_committed: committed,
  };
}

function extract(zones: string[] = ['nova', 'zone-b']): ExtractRequestTask {
  return new ExtractRequestTask(
    { defaultType: async () => DEFAULT_TYPE },
    { defaultZone: 'nova', zoneNames: async () => new Set(zones) },
  );
}

function input(over: Partial<ExtractRequestIn> = {}): ExtractRequestIn {
  return {
    context: context(),
    availability_zone: null,
    image_id: null,
    metadata: {},
    size: 1,
    snapshot: null,
    source_volume: null,
    volume_type: null,
    key_manager: null,
    backup_source_volume: null,
    ...over,
  };
}

const snapshot = {
  id: 's1',
  volume_id: 'v0',
  volume_size: 4,
  status: 'available',
  volume_type_id: 'type-gold',
  availability_zone: 'zone-b',
};
const source = { id: 'v9', size: 2, status: 'available', volume_type_id: null, availability_zone: 'nova' };

describe('ExtractRequestTask', () => {
  it('defaults the type and the zone and provides every extracted value', async () => {
    const out = await extract().execute(input({ size: 3 }));

    expect(out).toEqual({
      availability_zone: 'nova',
      size: 3,
      snapshot_id: null,
      source_volid: null,
      volume_type: DEFAULT_TYPE,
      volume_type_id: 'type-default',
      encryption_key_id: null,
      qos_specs: null,
    });
  });

  it('inherits size and zone from a snapshot', async () => {
    const out = await extract().execute(input({ size: null, snapshot, volume_type: GOLD }));

    expect(out).toMatchObject({
      size: 4,
      availability_zone: 'zone-b',
      snapshot_id: 's1',
      qos_specs: { id: 'qos-1' },
    });
  });

  it.each([
    [
      'snapshot and source volume',
      { snapshot, source_volume: source },
      'Invalid input received: May specify only one of backup, imageRef, snapshot, source volume',
    ],
    [
      'image and snapshot',
      { snapshot, image_id: 'img' },
      'Invalid input received: May specify only one of backup, imageRef, snapshot, source volume',
    ],
    [
      'smaller than the snapshot',
      { snapshot, size: 3 },
      "Invalid input received: Volume size '3'GB cannot be smaller than the snapshot size 4GB. They must be >= original snapshot size.",
    ],
    [
      'smaller than the source',
      { source_volume: source, size: 1 },
      "Invalid input received: Volume size '1'GB cannot be smaller than original volume size  2GB. They must be >= original volume size.",
    ],
    ['size 0', { size: 0 }, "Invalid input received: Volume size '0' must be an integer and greater than 0"],
    [
      'size 1.5',
      { size: 1.5 },
      "Invalid input received: Volume size '1.5' must be an integer and greater than 0",
    ],
    [
      'no size and no origin',
      { size: null },
      'Invalid input received: A volume size is required unless the volume is created from a snapshot, a source volume, a backup or an image.',
    ],
    [
      "a zone other than the source's",
      { source_volume: source, size: 2, availability_zone: 'zone-b' },
      'Invalid input received: Volume must be in the same availability zone as the snapshot or source volume',
    ],
    [
      'a metadata key over 255',
      { metadata: { ['k'.repeat(256)]: 'v' } },
      `Invalid input received: Metadata property key ${'k'.repeat(256)} greater than 255 characters.`,
    ],
    [
      'a metadata value over 255',
      { metadata: { k: 'v'.repeat(256) } },
      'Invalid input received: Metadata property key k value greater than 255 characters.',
    ],
  ])('refuses %s with a specific message', async (_name, over, message) => {
    const err: unknown = await extract()
      .execute(input(over as Partial<ExtractRequestIn>))
      .catch((e: unknown) => e);

    expect(err).toBeInstanceOf(VolumeInvalidInputError);
    expect((err as Error).message).toBe(message);
  });

  it('refuses an unknown zone and a snapshot that is not available', async () => {
    await expect(extract().execute(input({ availability_zone: 'nowhere' }))).rejects.toThrow(
      new InvalidAvailabilityZoneError('nowhere'),
    );
    await expect(extract(['nova']).execute(input({ size: null, snapshot }))).rejects.toBeInstanceOf(
      InvalidAvailabilityZoneError,
    );
    await expect(
      extract().execute(input({ snapshot: { ...snapshot, status: 'creating' } })),
    ).rejects.toBeInstanceOf(InvalidSnapshotError);
  });
});

describe('over-quota wording', () => {
  const usage = { volumes: { inUse: 2, reserved: 0 }, gigabytes: { inUse: 1, reserved: 1 } };

  it('words volumes as VolumeLimitExceeded and gigabytes as VolumeSizeExceedsAvailableQuota (in use + reserved consumed)', () => {
    const vols = translateOverQuota(
      new OverQuotaError('p1', ['volumes'], { volumes: 2, gigabytes: 10 }, usage),
      1,
    );
    const gigs = translateOverQuota(
      new OverQuotaError('p1', ['gigabytes', 'volumes'], { volumes: 2, gigabytes: 3 }, usage),
      5,
    );
    const perVol = translateOverQuota(
      new OverQuotaError('p1', ['per_volume_gigabytes'], { per_volume_gigabytes: 4 }, {}),
      5,
    );

    expect(vols).toBeInstanceOf(VolumeLimitExceededError);
    expect((vols as Error).message).toBe(
      "Maximum number of volumes allowed (2) exceeded for quota 'volumes'.",
    );
    expect(gigs).toBeInstanceOf(VolumeSizeExceedsAvailableQuotaError);
    expect((gigs as Error).message).toBe(
      'Requested volume or snapshot exceeds allowed gigabytes quota. Requested 5G, quota is 3G and 2G has been consumed.',
    );
    expect(perVol).toBeInstanceOf(VolumeSizeExceedsLimitError);
    expect(translateOverQuota(new Error('other'), 1)).toEqual(new Error('other'));
  });
});

class RecordingQuotas implements VolumeQuotas {
  calls: string[] = [];
  async reserve(_ctx: { projectId: string }, deltas: Readonly<Record<string, number>>): Promise<string[]> {
    this.calls.push(`reserve ${JSON.stringify(deltas)}`);
    return ['r-neg'];
  }
  async commit(_ctx: unknown, ids: readonly string[]): Promise<number> {
    this.calls.push(`commit ${ids.join(',')}`);
    return ids.length;
  }
  async rollback(_ctx: unknown, ids: readonly string[]): Promise<number> {
    this.calls.push(`rollback ${ids.join(',')}`);
    return ids.length;
  }
  async checkPerVolumeSize(): Promise<void> {}
}

class RecordingStore implements VolumeEntryStore {
  calls: string[] = [];
  /** Volumes whose use_quota is set. */
  counted = new Set<string>(['v1']);
  async releaseVolumeQuota(id: string): Promise<boolean> {
    this.calls.push(`release ${id}`);
    return this.counted.delete(id);
  }
  async restoreVolumeQuota(id: string): Promise<void> {
    this.calls.push(`restore ${id}`);
    this.counted.add(id);
  }
  async insertVolume(p: VolumeProperties): Promise<void> {
    this.calls.push(`insert ${p.size}`);
  }
  async destroyVolume(id: string): Promise<void> {
    this.calls.push(`destroy ${id}`);
  }
  async setVolumeStatus(id: string, status: string): Promise<void> {
    this.calls.push(`status ${id} ${status}`);
  }
}

const props = { id: 'v1', size: 2, volume_type_id: 't' } as VolumeProperties;
const revertArgs = <In, Out>(args: In, value: Out) => ({
  args,
  result: value,
  outcome: { status: 'success' as const, value },
  flowFailures: {},
});

describe('the quota_committed rule', () => {
  it('QuotaReserve rolls back only while the quota is not committed', async () => {
    const q = new RecordingQuotas();
    const t = new QuotaReserveTask(q);

    await t.revert(
      revertArgs({ context: context(false), size: 1, volume_type_id: 't' }, { reservations: ['r1'] }),
    );
    await t.revert(
      revertArgs({ context: context(true), size: 1, volume_type_id: 't' }, { reservations: ['r2'] }),
    );

    expect(q.calls).toEqual(['rollback r1']);
  });

  it('EntryCreate destroys the row only while the quota is not committed', async () => {
    const s = new RecordingStore();
    const t = new EntryCreateTask(s);
    const base = {
      availability_zone: 'nova',
      description: null,
      metadata: null,
      name: null,
      reservations: [],
      size: 1,
      snapshot_id: null,
      source_volid: null,
      volume_type_id: 't',
      encryption_key_id: null,
    };
    const out = { volume_id: 'v1', volume_properties: props, volume: {} as never };

    await t.revert(revertArgs({ ...base, context: context(false) }, out));
    await t.revert(revertArgs({ ...base, context: context(true) }, out));

    expect(s.calls).toEqual(['destroy v1']);
  });

  it('QuotaCommit marks the context committed; its revert gives volumes and gigabytes back once (use_quota), not after a failed commit', async () => {
    const q = new RecordingQuotas();
    const s = new RecordingStore();
    const t = new QuotaCommitTask(q, s);
    const ctx = context(false);

    await t.execute({ context: ctx, reservations: ['r1'], volume_properties: props });
    await t.revert(
      revertArgs(
        { context: ctx, reservations: ['r1'], volume_properties: props },
        { volume_properties: props },
      ),
    );
    // A second revert (or a delete that got there first) finds use_quota cleared: nothing more goes back.
    await t.revert(
      revertArgs(
        { context: ctx, reservations: ['r1'], volume_properties: props },
        { volume_properties: props },
      ),
    );
    const failure = Failure.fromError(new Error('x'));
    await t.revert({
      args: { context: ctx, reservations: ['r1'], volume_properties: props },
      result: failure,
      outcome: { status: 'failure', failure },
      flowFailures: {},
    });

    expect(ctx.quota_committed).toBe(true);
    expect(q.calls).toEqual(['commit r1', 'reserve {"volumes":-1,"gigabytes":-2}', 'commit r-neg']);
    expect(s.calls).toEqual(['release v1', 'release v1']);
  });

  it('QuotaCommit sets use_quota again when giving the quota back fails, so the delete gives it back', async () => {
    const q = new RecordingQuotas();
    q.commit = async (_c, ids) => {
      q.calls.push(`commit ${ids.join(',')}`);
      if (ids.includes('r-neg')) throw new Error('db down');
      return ids.length;
    };
    const s = new RecordingStore();
    const t = new QuotaCommitTask(q, s);

    await expect(
      t.revert(
        revertArgs(
          { context: context(true), reservations: ['r1'], volume_properties: props },
          { volume_properties: props },
        ),
      ),
    ).rejects.toThrow('db down');

    expect(s.calls).toEqual(['release v1', 'restore v1']);
    expect(s.counted.has('v1')).toBe(true);
  });
});
