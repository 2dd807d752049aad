/**
 * Accepted requests, from shared/API_SAMPLES.md §3, §6, §7 and §9: the normalisation Cinder applies
 * (digit-string sizes, stripped names, legacy keys, unknown keys below 3.53) and the response shapes
 * (202 body field order, microversion fields, links, next links with Python's urlencode).
 */
import request from 'supertest';
import { DEFAULT_TYPE_ID, PROJECT, contractApp, sampleVolumes } from './contract-app';

const volumes = sampleVolumes(5);
const app = contractApp(volumes);
const ADMIN = `admin:${PROJECT}`;
const URL = `/v3/${PROJECT}/volumes`;

function post(body: unknown, version?: string): request.Test {
  const req = request(app).post(URL).set('X-Auth-Token', ADMIN).set('Content-Type', 'application/json');
  return (version === undefined ? req : req.set('OpenStack-API-Version', version)).send(JSON.stringify(body));
}

type VolumeBody = { volume: Record<string, unknown> };

const V30_KEYS = [
  'id',
  'status',
  'size',
  'availability_zone',
  'created_at',
  'updated_at',
  'name',
  'description',
  'volume_type',
  'snapshot_id',
  'source_volid',
  'metadata',
  'links',
  'user_id',
  'bootable',
  'encrypted',
  'replication_status',
  'consistencygroup_id',
  'multiattach',
  'attachments',
  'migration_status',
];

describe('POST /volumes: accepted bodies', () => {
  it("answers 202 with the 3.0 body in Cinder's field order", async () => {
    const res = await post({ volume: { size: 1 } });

    expect(res.status).toBe(202);
    expect(res.headers['location']).toBeUndefined();
    const v = (res.body as VolumeBody).volume;
    expect(Object.keys(v)).toEqual(V30_KEYS);
    expect(v).toMatchObject({
      status: 'creating',
      size: 1,
      availability_zone: 'nova',
      updated_at: null,
      name: null,
      description: null,
      volume_type: '__DEFAULT__',
      metadata: {},
      user_id: 'admin',
      bootable: 'false',
      encrypted: false,
      multiattach: false,
      attachments: [],
      migration_status: null,
    });
    expect(v.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/);
    const host = res.request.url.replace(/^(http:\/\/[^/]+).*$/, '$1');
    expect(v.links).toEqual([
      { rel: 'self', href: `${host}/v3/${PROJECT}/volumes/${String(v.id)}` },
      { rel: 'bookmark', href: `${host}/${PROJECT}/volumes/${String(v.id)}` },
    ]);
  });

  it('adds the microversion fields at 3.70 (admin: provider_id and cluster_name too)', async () => {
    const res = await post({ volume: { size: 1 } }, 'volume 3.70');

    expect(res.status).toBe(202);
    expect(res.headers['openstack-api-version']).toBe('volume 3.70');
    const v = (res.body as VolumeBody).volume;
    expect(Object.keys(v)).toEqual([
      ...V30_KEYS,
      'group_id',
      'provider_id',
      'shared_targets',
      'service_uuid',
      'cluster_name',
      'volume_type_id',
      'consumes_quota',
    ]);
    expect(v).toMatchObject({
      shared_targets: true,
      service_uuid: null,
      volume_type_id: DEFAULT_TYPE_ID,
      consumes_quota: true,
    });
  });

  it('leaves the admin-only fields out for a project member', async () => {
    const res = await request(app)
      .post(URL)
      .set('X-Auth-Token', `alice:${PROJECT}`)
      .set('OpenStack-API-Version', 'volume 3.70')
      .set('Content-Type', 'application/json')
      .send({ volume: { size: 1 } });

    const keys = Object.keys((res.body as VolumeBody).volume);
    expect(keys).not.toContain('migration_status');
    expect(keys).not.toContain('provider_id');
    expect(keys).not.toContain('cluster_name');
    expect(keys).toContain('volume_type_id');
  });

  it.each([
    ['size as a digit string', { size: '3' }, { size: 3 }],
    ['name padded with whitespace', { size: 1, name: '  padded  ' }, { name: 'padded' }],
    [
      'legacy display_name/display_description',
      { size: 1, display_name: 'legacy-name', display_description: 'legacy desc' },
      { name: 'legacy-name', description: 'legacy desc' },
    ],
    [
      'name, description and metadata',
      {
        size: 2,
        name: 'vol-named',
        description: 'a described volume',
        metadata: { env: 'test', owner: 'peer' },
      },
      { name: 'vol-named', description: 'a described volume', metadata: { env: 'test', owner: 'peer' } },
    ],
    [
      'null name/description/metadata',
      { size: 1, name: null, description: null, metadata: null },
      { name: null, description: null, metadata: {} },
    ],
    ['an unknown key below 3.53 (ignored)', { size: 1, foo: 'bar' }, { size: 1 }],
    [
      "the client's full body with nulls",
      {
        size: 1,
        consistencygroup_id: null,
        snapshot_id: null,
        name: 'cli',
        description: null,
        volume_type: null,
        availability_zone: null,
        metadata: {},
        imageRef: null,
        source_volid: null,
        backup_id: null,
      },
      { name: 'cli' },
    ],
    ['multiattach false', { size: 1, multiattach: false }, { multiattach: false }],
  ])('accepts %s', async (_name, volume, expected) => {
    const res = await post({ volume });

    expect(res.status).toBe(202);
    expect((res.body as VolumeBody).volume).toMatchObject(expected);
  });

  it('accepts scheduler hints beside the volume', async () => {
    const res = await post({ volume: { size: 1 }, 'OS-SCH-HNT:scheduler_hints': { same_host: [] } });

    expect(res.status).toBe(202);
  });
});

describe('GET /volumes: lists and links', () => {
  it('answers the summary view with a next link when the page is full', async () => {
    const res = await request(app).get(`${URL}?limit=2`).set('X-Auth-Token', ADMIN);

    expect(res.status).toBe(200);
    const body = res.body as { volumes: { id: string; name: string | null }[]; volumes_links: unknown };
    expect(body.volumes.map((v) => Object.keys(v))).toEqual([
      ['id', 'name', 'links'],
      ['id', 'name', 'links'],
    ]);
    const host = res.request.url.replace(/^(http:\/\/[^/]+).*$/, '$1');
    expect(body.volumes_links).toEqual([
      { rel: 'next', href: `${host}/v3/${PROJECT}/volumes?limit=2&marker=${volumes[1]!.id}` },
    ]);
  });

  it('replaces the marker and keeps the other parameters, urlencoded as Python does', async () => {
    const res = await request(app)
      .get(`${URL}?limit=2&sort=size:desc,created_at:asc&marker=${volumes[0]!.id}`)
      .set('X-Auth-Token', ADMIN);

    expect(res.status).toBe(200);
    const href = (res.body as { volumes_links: { href: string }[] }).volumes_links[0]!.href;
    expect(
      href.endsWith(`/volumes?limit=2&sort=size%3Adesc%2Ccreated_at%3Aasc&marker=${volumes[2]!.id}`),
    ).toBe(true);
  });

  it('answers limit=0 with an empty list and no links', async () => {
    const res = await request(app).get(`${URL}?limit=0`).set('X-Auth-Token', ADMIN);

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ volumes: [] });
  });

  it.each([
    ['limit=-1', 'limit param must be positive'],
    ['limit=abc', 'limit param must be an integer'],
    ['sort=bogus:asc', 'Invalid input received: Invalid sort key'],
    ['sort=size:sideways', "Invalid input received: Unknown sort direction, must be 'desc' or 'asc'."],
    [
      'sort=size&sort_key=name',
      "The 'sort_key' and 'sort_dir' parameters are deprecated and cannot be used with the 'sort' parameter.",
    ],
    ['offset=-1', 'offset must be >= 0'],
  ])('answers 400 for ?%s', async (query, message) => {
    const res = await request(app).get(`${URL}?${query}`).set('X-Auth-Token', ADMIN);

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ badRequest: { code: 400, message } });
  });

  it('shows the admin extension attributes on GET /volumes/{id}', async () => {
    const res = await request(app).get(`${URL}/${volumes[0]!.id}`).set('X-Auth-Token', ADMIN);

    const v = (res.body as VolumeBody).volume;
    expect(Object.keys(v).slice(-4)).toEqual([
      'os-vol-tenant-attr:tenant_id',
      'os-vol-mig-status-attr:migstat',
      'os-vol-mig-status-attr:name_id',
      'os-vol-host-attr:host',
    ]);
    expect(v['created_at']).toBe('2026-11-22T03:07:14.000000');
    expect(v['os-vol-host-attr:host']).toBe('cinder-peer@fake#fake');
  });
});

describe('PUT /volumes/{id}', () => {
  const put = (body: unknown, version?: string): request.Test => {
    const req = request(app)
      .put(`${URL}/${volumes[0]!.id}`)
      .set('X-Auth-Token', ADMIN)
      .set('Content-Type', 'application/json');
    return (version === undefined ? req : req.set('OpenStack-API-Version', version)).send(
      JSON.stringify(body),
    );
  };

  it.each([
    [
      'size (not updatable)',
      { volume: { size: 5 } },
      "Invalid input for field/attribute volume. Value: {'size': 5}. Additional properties are not allowed ('size' was unexpected)",
    ],
    ["missing 'volume' key", { name: 'x' }, "'volume' is a required property"],
    [
      'name 256 chars',
      { volume: { name: 'n'.repeat(256) } },
      'Invalid input received: name has 256 characters, more than 255.',
    ],
    [
      'metadata null',
      { volume: { metadata: null } },
      "Invalid input for field/attribute metadata. Value: None. None is not of type 'object'",
    ],
    [
      'several unknown keys (listed sorted, as jsonschema 4.10 does)',
      { volume: { size: 5, bootable: true } },
      "Invalid input for field/attribute volume. Value: {'size': 5, 'bootable': True}. Additional properties are not allowed ('bootable', 'size' were unexpected)",
    ],
  ])('answers 400 for %s', async (_name, body, message) => {
    const res = await put(body);

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ badRequest: { code: 400, message } });
  });

  it('accepts {"volume": {}} below 3.53', async () => {
    const res = await put({ volume: {} });

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ update: {} });
  });

  it('refuses {"volume": {}} from 3.53', async () => {
    const res = await put({ volume: {} }, 'volume 3.53');

    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      badRequest: {
        code: 400,
        message:
          'Invalid input for field/attribute volume. Value: {}. {} is not valid under any of the given schemas',
      },
    });
  });

  it('strips names and maps the legacy keys, name winning over display_name', async () => {
    const res = await put({
      volume: {
        name: ' renamed ',
        display_name: 'old',
        display_description: 'desc',
        metadata: { owner: 'x' },
      },
    });

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ update: { name: 'renamed', description: 'desc', metadata: { owner: 'x' } } });
  });
});

describe('POST /volumes/{id}/action', () => {
  const act = (body: string): request.Test =>
    request(app)
      .post(`${URL}/${volumes[0]!.id}/action`)
      .set('X-Auth-Token', ADMIN)
      .set('Content-Type', 'application/json')
      .send(body);

  it('accepts os-extend with a digit-string size', async () => {
    const res = await act('{"os-extend": {"new_size": "3"}}');

    expect(res.status).toBe(202);
    expect(res.body).toEqual({ newSize: 3 });
  });

  it.each([
    [
      '{"os-extend": {}}',
      "Invalid input for field/attribute os-extend. Value: {}. 'new_size' is a required property",
    ],
    [
      '{"os-extend": {"new_size": 0}}',
      'Invalid input for field/attribute new_size. Value: 0. 0 is less than the minimum of 1',
    ],
    [
      '{"os-extend": {"new_size": null}}',
      "Invalid input for field/attribute new_size. Value: None. None is not of type 'integer', 'string'",
    ],
    ['{"os-frobnicate": {}}', 'There is no such action: os-frobnicate'],
    ['{"os-extend": {"new_size": 2}, "os-other": {}}', 'Malformed request body'],
  ])('answers 400 for %s', async (body, message) => {
    const res = await act(body);

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ badRequest: { code: 400, message } });
  });
});

describe('PUT /os-quota-sets/{project}', () => {
  const putQuota = (body: unknown, token = ADMIN): request.Test =>
    request(app)
      .put(`/v3/${PROJECT}/os-quota-sets/${PROJECT}`)
      .set('X-Auth-Token', token)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify(body));

  it.each([
    [{ quota_set: { volumes: 'abc' } }, 'volumes must be an integer'],
    [{ quota_set: { volumes: -2 } }, 'volumes must be >= -1'],
    [{ quota_set: { volumes: 2147483648 } }, 'volumes must be <= 2147483647'],
    [{ quota_set: { bogus: 1 } }, 'Invalid input received: Bad key(s) in quota set: bogus'],
    [{ volumes: 2 }, "'quota_set' is a required property"],
    [
      { quota_set: {} },
      'Invalid input for field/attribute quota_set. Value: {}. {} does not have enough properties',
    ],
  ])('answers 400 for %j', async (body, message) => {
    const res = await putQuota(body);

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ badRequest: { code: 400, message } });
  });

  it("returns the new set without an id, per-type keys in Cinder's order", async () => {
    const res = await putQuota({ quota_set: { volumes: 2, gigabytes___DEFAULT__: '7', id: PROJECT } });

    expect(res.status).toBe(200);
    const set = (res.body as { quota_set: Record<string, number> }).quota_set;
    expect(Object.keys(set)).toEqual([
      'volumes',
      'per_volume_gigabytes',
      'snapshots',
      'gigabytes',
      'backups',
      'backup_gigabytes',
      'volumes_fake-type-82a792',
      'gigabytes_fake-type-82a792',
      'snapshots_fake-type-82a792',
      'volumes___DEFAULT__',
      'gigabytes___DEFAULT__',
      'snapshots___DEFAULT__',
      'groups',
    ]);
    expect(set.volumes).toBe(2);
    expect(set['gigabytes___DEFAULT__']).toBe(7);
  });

  it('refuses a member with 403', async () => {
    const res = await putQuota({ quota_set: { volumes: 2 } }, `alice:${PROJECT}`);

    expect(res.status).toBe(403);
    expect(res.body).toEqual({
      forbidden: {
        code: 403,
        message: "Policy doesn't allow volume_extension:quotas:update to be performed.",
      },
    });
  });
});

describe('POST /types (admin)', () => {
  const postType = (body: unknown): request.Test =>
    request(app)
      .post(`/v3/${PROJECT}/types`)
      .set('X-Auth-Token', ADMIN)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify(body));

  it("answers Cinder's create view", async () => {
    const res = await postType({
      volume_type: {
        name: 'fake-type-82a792',
        description: 'bound to fake backend',
        extra_specs: { volume_backend_name: 'fake' },
      },
    });

    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      volume_type: {
        id: '493e7e42-b8e7-4cac-8e73-0518716242c0',
        name: 'fake-type-82a792',
        is_public: true,
        extra_specs: { volume_backend_name: 'fake' },
        description: 'bound to fake backend',
        'os-volume-type-access:is_public': true,
      },
    });
    expect(Object.keys((res.body as { volume_type: object }).volume_type)).toEqual([
      'id',
      'name',
      'is_public',
      'extra_specs',
      'description',
      'os-volume-type-access:is_public',
    ]);
  });

  it.each([
    [
      { volume_type: {} },
      "Invalid input for field/attribute volume_type. Value: {}. 'name' is a required property",
    ],
    [{ volume_type: { name: '' } }, "Invalid input for field/attribute name. Value: . '' is too short"],
    [{ volume_type: { name: '   ' } }, "An invalid 'name' value was provided. The 'name' can not be empty."],
    [
      { volume_type: { name: 'x', 'os-volume-type-access:is_public': 'maybe' } },
      "Invalid input for field/attribute os-volume-type-access:is_public. Value: maybe. 'maybe' is not one of [True, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes', 'y', 't', False, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no', 'n', 'f']",
    ],
    [
      { volume_type: { name: 'x', extra_specs: { 'a/b': 'c' } } },
      "Invalid input for field/attribute extra_specs. Value: {'a/b': 'c'}. 'a/b' does not match any of the regexes: '^[a-zA-Z0-9-_:. ]{1,255}$'",
    ],
  ])('answers 400 for %j', async (body, message) => {
    const res = await postType(body);

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ badRequest: { code: 400, message } });
  });
});

describe('empty answers', () => {
  it('answers DELETE /volumes/{id} with an empty text/html 202 and no X-Compute-Request-Id', async () => {
    const res = await request(app).delete(`${URL}/${volumes[0]!.id}`).set('X-Auth-Token', ADMIN);

    expect(res.status).toBe(202);
    expect(res.text).toBe('');
    expect(res.headers['content-type']).toBe('text/html; charset=UTF-8');
    expect(res.headers['content-length']).toBe('0');
    expect(res.headers['openstack-api-version']).toBe('volume 3.0');
    expect(res.headers['x-compute-request-id']).toBeUndefined();
  });

  it('answers DELETE /os-quota-sets/{project} with an empty application/json 200', async () => {
    const res = await request(app)
      .delete(`/v3/${PROJECT}/os-quota-sets/${PROJECT}`)
      .set('X-Auth-Token', ADMIN);

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.headers['content-length']).toBe('0');
    expect(res.headers['x-compute-request-id']).toBe(res.headers['x-openstack-request-id']);
  });
});
