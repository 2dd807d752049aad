/**
 * View builders against recorded Cinder bodies (shared/API_SAMPLES.md), compared whole and in key order
 * (JSON.stringify keeps insertion order, so equal strings mean equal order).
 */
import { ApiVersion } from '../../../../src/api/middleware/microversion';
import {
  availabilityZoneList,
  formatTimestamp,
  limitsView,
  quotaSetView,
  quotaClassSetView,
  serviceList,
  snapshotDetail,
  timestampNow,
  volumeShowView,
  volumeSummaryTotals,
  volumeTypeList,
  type VolumeViewSource,
} from '../../../../src/api/views';
import { quotaResourceNames } from '../../../../src/api/validation';

const P = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const HOST = 'http://127.0.0.1:8776';
const v = (s: string): ApiVersion => ApiVersion.parse(s);

const available: VolumeViewSource = {
  id: 'fd82cfea-c952-4871-907c-7a2dce05c2eb',
  projectId: P,
  userId: 'admin',
  size: 1,
  status: 'available',
  displayName: null,
  displayDescription: null,
  availabilityZone: 'nova',
  volumeTypeId: '9493bf9c-8aa8-45b9-a6c2-4b9ecb785968',
  snapshotId: null,
  sourceVolid: null,
  host: 'cinder-peer@fake#fake',
  bootable: false,
  encryptionKeyId: null,
  multiattach: false,
  migrationStatus: null,
  createdAt: new Date('2026-11-22T03:07:14Z'),
  updatedAt: new Date('2026-11-22T03:07:14Z'),
  serviceUuid: 'fea8556e-52df-4be6-b934-f476d27db9f1',
};

describe('volume views', () => {
  it('renders GET /volumes/{id} at 3.70 for an admin exactly as Cinder', () => {
    const body = volumeShowView(
      available,
      { volumeTypeName: '__DEFAULT__', metadata: {} },
      {
        isAdmin: true,
        projectId: P,
        microversion: v('3.70'),
        links: { hostUrl: HOST, projectId: P },
      },
    );

    expect(JSON.stringify(body)).toBe(
      JSON.stringify({
        volume: {
          id: 'fd82cfea-c952-4871-907c-7a2dce05c2eb',
          status: 'available',
          size: 1,
          availability_zone: 'nova',
          created_at: '2026-11-22T03:07:14.000000',
          updated_at: '2026-11-22T03:07:14.000000',
          name: null,
          description: null,
          volume_type: '__DEFAULT__',
          snapshot_id: null,
          source_volid: null,
          metadata: {},
          links: [
            { rel: 'self', href: `${HOST}/v3/${P}/volumes/fd82cfea-c952-4871-907c-7a2dce05c2eb` },
            { rel: 'bookmark', href: `${HOST}/${P}/volumes/fd82cfea-c952-4871-907c-7a2dce05c2eb` },
          ],
          user_id: 'admin',
          bootable: 'false',
          encrypted: false,
          replication_status: null,
          consistencygroup_id: null,
          multiattach: false,
          attachments: [],
          migration_status: null,
          group_id: null,
          provider_id: null,
          shared_targets: false,
          service_uuid: 'fea8556e-52df-4be6-b934-f476d27db9f1',
          cluster_name: null,
          volume_type_id: '9493bf9c-8aa8-45b9-a6c2-4b9ecb785968',
          consumes_quota: true,
          'os-vol-tenant-attr:tenant_id': P,
          'os-vol-mig-status-attr:migstat': null,
          'os-vol-mig-status-attr:name_id': null,
          'os-vol-host-attr:host': 'cinder-peer@fake#fake',
        },
      }),
    );
  });

  it('shows a project member no admin fields and no extension attributes', () => {
    const body = volumeShowView(
      available,
      { volumeTypeName: '__DEFAULT__', metadata: {} },
      {
        isAdmin: false,
        projectId: P,
        microversion: v('3.70'),
        links: { hostUrl: HOST, projectId: P },
      },
    );

    const keys = Object.keys(body.volume);
    for (const k of [
      'migration_status',
      'provider_id',
      'cluster_name',
      'os-vol-host-attr:host',
      'os-vol-tenant-attr:tenant_id',
    ]) {
      expect(keys).not.toContain(k);
    }
    expect(keys).toContain('shared_targets');
  });

  it('shows encryption_key_id from 3.64 only for an encrypted volume with a real key', () => {
    const ctx = {
      isAdmin: false,
      projectId: P,
      microversion: v('3.64'),
      links: { hostUrl: HOST, projectId: P },
    };
    const extras = { volumeTypeName: null, metadata: {} };

    const encrypted = volumeShowView(
      { ...available, encryptionKeyId: '11111111-2222-3333-4444-555555555555' },
      extras,
      ctx,
    ).volume;
    const fixed = volumeShowView(
      { ...available, encryptionKeyId: '00000000-0000-0000-0000-000000000000' },
      extras,
      ctx,
    ).volume;

    expect(encrypted).toMatchObject({
      encrypted: true,
      encryption_key_id: '11111111-2222-3333-4444-555555555555',
    });
    expect(fixed).toMatchObject({ encrypted: true });
    expect(fixed).not.toHaveProperty('encryption_key_id');
  });

  it('renders the 3.12 summary and adds metadata from 3.36', () => {
    expect(volumeSummaryTotals(61, 70, v('3.12'))).toEqual({
      'volume-summary': { total_count: 61, total_size: 70 },
    });
    expect(volumeSummaryTotals(1, 2, v('3.36'), { env: ['test'] })).toEqual({
      'volume-summary': { total_count: 1, total_size: 2, metadata: { env: ['test'] } },
    });
  });
});

describe('timestamps', () => {
  it('prints six fractional digits, without a zone', () => {
    expect(formatTimestamp(new Date('2026-11-22T03:07:14.563Z'))).toBe('2026-11-22T03:07:14.563000');
    expect(formatTimestamp('2026-11-22T03:07:14.563989')).toBe('2026-11-22T03:07:14.563989');
    expect(formatTimestamp('2026-11-22 03:07:14')).toBe('2026-11-22T03:07:14.000000');
    expect(formatTimestamp(null)).toBeNull();
    expect(timestampNow()).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/);
  });
});

describe('other views', () => {
  it('renders the type list as Cinder for an admin, and only the user-visible extra specs to members', () => {
    const t = {
      id: '9493bf9c-8aa8-45b9-a6c2-4b9ecb785968',
      name: '__DEFAULT__',
      description: 'Default Volume Type',
      isPublic: true,
      qosSpecsId: null,
      extraSpecs: {},
    };

    expect(JSON.stringify(volumeTypeList([t], { isAdmin: true, projectId: P }))).toBe(
      '{"volume_types":[{"id":"9493bf9c-8aa8-45b9-a6c2-4b9ecb785968","name":"__DEFAULT__","is_public":true,"description":"Default Volume Type","extra_specs":{},"qos_specs_id":null,"os-volume-type-access:is_public":true}]}',
    );
    // Cinder 21: members see extra_specs too, but only the user-visible keys, and no qos_specs_id.
    const specs = {
      volume_backend_name: 'fast',
      multiattach: '<is> True',
      replication_enabled: '<is> False',
    };
    expect(
      volumeTypeList([{ ...t, extraSpecs: specs }], { isAdmin: false, projectId: P }).volume_types[0],
    ).toEqual({
      id: t.id,
      name: '__DEFAULT__',
      is_public: true,
      description: 'Default Volume Type',
      extra_specs: { multiattach: '<is> True', replication_enabled: '<is> False' },
      'os-volume-type-access:is_public': true,
    });
  });

  it('renders availability zones', () => {
    expect(availabilityZoneList([{ name: 'nova', available: true }])).toEqual({
      availabilityZoneInfo: [{ zoneName: 'nova', zoneState: { available: true } }],
    });
  });

  it('renders quota sets with and without usage, and the class set', () => {
    const names = quotaResourceNames(['__DEFAULT__']);
    const resources = names.map((name) => ({
      name,
      limit: name === 'volumes' ? 2 : -1,
      inUse: name === 'volumes' ? 2 : 0,
      reserved: 0,
    }));

    const plain = quotaSetView('q', resources).quota_set;
    const usage = quotaSetView('q', resources, { usage: true }).quota_set;

    expect(Object.keys(plain)).toEqual([...names, 'id']);
    expect(plain.volumes).toBe(2);
    expect(usage.volumes).toEqual({ limit: 2, in_use: 2, reserved: 0 });
    expect(usage.id).toBe('q');
    expect(quotaClassSetView('default', resources).quota_class_set.id).toBe('default');
  });

  it("renders limits in Cinder's key order", () => {
    const body = limitsView({
      volumes: { limit: 10, inUse: 2 },
      snapshots: { limit: 10, inUse: 0 },
      gigabytes: { limit: 3, inUse: 2 },
      backups: { limit: 10, inUse: 0 },
      backupGigabytes: { limit: 1000, inUse: 0 },
    });

    expect(JSON.stringify(body)).toBe(
      '{"limits":{"rate":[],"absolute":{"maxTotalVolumes":10,"maxTotalSnapshots":10,"maxTotalVolumeGigabytes":3,"maxTotalBackups":10,"maxTotalBackupGigabytes":1000,"totalVolumesUsed":2,"totalGigabytesUsed":2,"totalSnapshotsUsed":0,"totalBackupsUsed":0,"totalBackupGigabytesUsed":0}}}',
    );
  });

  it('renders the snapshot of the 202 as Cinder, and the extended attributes on show', () => {
    const snap = {
      id: 'c9ea7a6a-2455-4acb-b562-895fb2ea5df2',
      volumeId: 'f92daf01-2977-45c0-b9fd-36e0c6fdcdbf',
      projectId: P,
      userId: 'admin',
      status: 'creating',
      progress: '0%',
      volumeSize: 1,
      displayName: 'snap1',
      displayDescription: null,
      createdAt: '2026-11-22T03:07:16.916411',
      updatedAt: null,
    };

    expect(JSON.stringify(snapshotDetail(snap, {}, v('3.0')))).toBe(
      '{"id":"c9ea7a6a-2455-4acb-b562-895fb2ea5df2","created_at":"2026-11-22T03:07:16.916411","updated_at":null,"name":"snap1","description":null,"volume_id":"f92daf01-2977-45c0-b9fd-36e0c6fdcdbf","status":"creating","size":1,"metadata":{}}',
    );
    expect(snapshotDetail(snap, {}, v('3.65'), { extendedAttributes: true })).toMatchObject({
      group_snapshot_id: null,
      user_id: 'admin',
      consumes_quota: true,
      'os-extended-snapshot-attributes:progress': '0%',
      'os-extended-snapshot-attributes:project_id': P,
    });
  });

  it('marks a service down once its heartbeat is older than service_down_time', () => {
    const now = new Date('2026-11-22T03:10:00Z');
    const svc = (updated: string) => ({
      host: 'h@fake',
      binary: 'cinder-volume',
      availabilityZone: 'nova',
      disabled: false,
      disabledReason: null,
      createdAt: new Date('2026-11-22T00:00:00Z'),
      updatedAt: new Date(updated),
    });

    const [up, down] = serviceList(
      [svc('2026-11-22T03:09:30Z'), svc('2026-11-22T03:08:00Z')],
      v('3.0'),
      now,
      60,
    ).services;

    expect(up).toMatchObject({
      binary: 'cinder-volume',
      host: 'h@fake',
      zone: 'nova',
      status: 'enabled',
      state: 'up',
      updated_at: '2026-11-22T03:09:30.000000',
    });
    expect(down).toMatchObject({ state: 'down' });
  });

  it("os-services entries carry Cinder 21's keys in its order per microversion (backend_state 3.49 for volumes, cluster 3.7)", () => {
    const now = new Date('2026-11-22T03:10:00Z');
    const base = {
      availabilityZone: 'nova',
      disabled: false,
      disabledReason: null,
      createdAt: new Date('2026-11-22T00:00:00Z'),
    };
    const vol = {
      ...base,
      host: 'h@fake',
      binary: 'cinder-volume',
      updatedAt: new Date('2026-11-22T03:09:30Z'),
    };
    const deadVol = {
      ...base,
      host: 'h2@fake',
      binary: 'cinder-volume',
      updatedAt: new Date('2026-11-22T03:00:00Z'),
    };
    const sched = {
      ...base,
      host: 'h',
      binary: 'cinder-scheduler',
      disabled: true,
      disabledReason: 'maintenance',
      updatedAt: null,
    };

    const at = (version: string) => serviceList([vol, deadVol, sched], v(version), now, 60).services;

    expect(at('3.0').map((x) => Object.keys(x))).toEqual([
      [
        'binary',
        'host',
        'zone',
        'status',
        'state',
        'updated_at',
        'disabled_reason',
        'replication_status',
        'active_backend_id',
        'frozen',
      ],
      [
        'binary',
        'host',
        'zone',
        'status',
        'state',
        'updated_at',
        'disabled_reason',
        'replication_status',
        'active_backend_id',
        'frozen',
      ],
      ['binary', 'host', 'zone', 'status', 'state', 'updated_at', 'disabled_reason'],
    ]);
    expect(Object.keys(at('3.7')[2]!)).toEqual([
      'binary',
      'host',
      'zone',
      'status',
      'state',
      'updated_at',
      'cluster',
      'disabled_reason',
    ]);
    const latest = at('3.70');
    expect(Object.keys(latest[0]!)).toEqual([
      'binary',
      'host',
      'zone',
      'status',
      'state',
      'updated_at',
      'backend_state',
      'cluster',
      'disabled_reason',
      'replication_status',
      'active_backend_id',
      'frozen',
    ]);
    expect(latest[0]).toMatchObject({
      state: 'up',
      backend_state: 'up',
      cluster: null,
      replication_status: 'disabled',
      active_backend_id: null,
      frozen: false,
    });
    expect(latest[1]).toMatchObject({ state: 'down', backend_state: null });
    expect(latest[2]).toEqual({
      binary: 'cinder-scheduler',
      host: 'h',
      zone: 'nova',
      status: 'disabled',
      state: 'down',
      updated_at: null,
      cluster: null,
      disabled_reason: 'maintenance',
    });
    expect(Object.keys(at('3.48')[0]!)).not.toContain('backend_state');
  });
});
