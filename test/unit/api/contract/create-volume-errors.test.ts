/**
 * POST /volumes invalid requests, from shared/API_SAMPLES.md §5: each case asserts the status and the
 * exact fault body Cinder 21 answered (or, where Cinder has a bug, the specific 4xx we answer instead).
 */
import request from 'supertest';
import { PROJECT, contractApp } from './contract-app';

const app = contractApp();
const URL = `/v3/${PROJECT}/volumes`;
const TOKEN = `admin:${PROJECT}`;

const n256 = 'n'.repeat(256);
const d256 = 'd'.repeat(256);
const k256 = 'k'.repeat(256);
const v256 = 'v'.repeat(256);
const META_RE = "'^[a-zA-Z0-9-_:. /]{1,255}$'";

interface Case {
  readonly name: string;
  readonly body: unknown;
  readonly version?: string;
  readonly status: number;
  readonly fault: string;
  readonly message: string;
}

const cases: readonly Case[] = [
  {
    name: 'size 0',
    body: { volume: { size: 0 } },
    status: 400,
    fault: 'badRequest',
    message: 'Invalid input for field/attribute size. Value: 0. 0 is less than the minimum of 1',
  },
  {
    name: 'size -1',
    body: { volume: { size: -1 } },
    status: 400,
    fault: 'badRequest',
    message: 'Invalid input for field/attribute size. Value: -1. -1 is less than the minimum of 1',
  },
  {
    name: "size 'abc'",
    body: { volume: { size: 'abc' } },
    status: 400,
    fault: 'badRequest',
    message: "Invalid input for field/attribute size. Value: abc. 'abc' does not match '^[0-9]+$'",
  },
  {
    name: 'size 1.5',
    body: { volume: { size: 1.5 } },
    status: 400,
    fault: 'badRequest',
    message:
      "Invalid input for field/attribute size. Value: 1.5. 1.5 is not of type 'integer', 'string', 'null'",
  },
  {
    name: 'size true',
    body: { volume: { size: true } },
    status: 400,
    fault: 'badRequest',
    message:
      "Invalid input for field/attribute size. Value: True. True is not of type 'integer', 'string', 'null'",
  },
  {
    name: 'size 2147483648',
    body: { volume: { size: 2147483648 } },
    status: 400,
    fault: 'badRequest',
    message:
      'Invalid input for field/attribute size. Value: 2147483648. 2147483648 is greater than the maximum of 2147483647',
  },
  {
    name: "size '0' (digit string)",
    body: { volume: { size: '0' } },
    status: 400,
    fault: 'badRequest',
    message: 'Invalid input for field/attribute size. Value: 0. 0 is less than the minimum of 1',
  },
  // Cinder: generic "could not comply" 400 (a TypeError); we say what is missing.
  {
    name: 'size missing ({"volume": {}})',
    body: { volume: {} },
    status: 400,
    fault: 'badRequest',
    message:
      'Invalid input received: A volume size is required unless the volume is created from a snapshot, a source volume, a backup or an image.',
  },
  {
    name: 'size null',
    body: { volume: { size: null } },
    status: 400,
    fault: 'badRequest',
    message:
      'Invalid input received: A volume size is required unless the volume is created from a snapshot, a source volume, a backup or an image.',
  },
  {
    name: "missing 'volume' key",
    body: { size: 1 },
    status: 400,
    fault: 'badRequest',
    message: "'volume' is a required property",
  },
  {
    name: 'empty object',
    body: {},
    status: 400,
    fault: 'badRequest',
    message: "'volume' is a required property",
  },
  {
    name: "'volume' is a string",
    body: { volume: 'x' },
    status: 400,
    fault: 'badRequest',
    message: "Invalid input for field/attribute volume. Value: x. 'x' is not of type 'object'",
  },
  {
    name: 'top-level array',
    body: [{ volume: { size: 1 } }],
    status: 400,
    fault: 'badRequest',
    message: "[{'volume': {'size': 1}}] is not of type 'object'",
  },
  {
    name: "empty availability_zone ''",
    body: { volume: { size: 1, availability_zone: '' } },
    status: 400,
    fault: 'badRequest',
    message: "Invalid input for field/attribute availability_zone. Value: . '' is too short",
  },
  {
    name: 'snapshot_id not a uuid',
    body: { volume: { size: 1, snapshot_id: 'abc' } },
    status: 400,
    fault: 'badRequest',
    message:
      "Invalid input for field/attribute snapshot_id. Value: abc. 'abc' is not valid under any of the given schemas",
  },
  {
    name: 'name 256 chars',
    body: { volume: { size: 1, name: n256 } },
    status: 400,
    fault: 'badRequest',
    message: 'Invalid input received: name has 256 characters, more than 255.',
  },
  {
    name: 'description 256 chars',
    body: { volume: { size: 1, description: d256 } },
    status: 400,
    fault: 'badRequest',
    message: 'Invalid input received: description has 256 characters, more than 255.',
  },
  {
    name: 'metadata key 256 chars',
    body: { volume: { size: 1, metadata: { [k256]: 'v' } } },
    status: 400,
    fault: 'badRequest',
    message: `Invalid input for field/attribute metadata. Value: {'${k256}': 'v'}. '${k256}' does not match any of the regexes: ${META_RE}`,
  },
  {
    name: 'metadata value 256 chars',
    body: { volume: { size: 1, metadata: { k: v256 } } },
    status: 400,
    fault: 'badRequest',
    message: `Invalid input for field/attribute k. Value: ${v256}. '${v256}' is too long`,
  },
  {
    name: 'metadata value not a string',
    body: { volume: { size: 1, metadata: { k: 1 } } },
    status: 400,
    fault: 'badRequest',
    message: "Invalid input for field/attribute k. Value: 1. 1 is not of type 'string'",
  },
  {
    name: 'metadata empty key',
    body: { volume: { size: 1, metadata: { '': 'v' } } },
    status: 400,
    fault: 'badRequest',
    message: `Invalid input for field/attribute metadata. Value: {'': 'v'}. '' does not match any of the regexes: ${META_RE}`,
  },
  {
    name: 'metadata is a list',
    body: { volume: { size: 1, metadata: ['a'] } },
    status: 400,
    fault: 'badRequest',
    message:
      "Invalid input for field/attribute metadata. Value: ['a']. ['a'] is not of type 'object', 'null'",
  },
  {
    name: 'multiattach true',
    body: { volume: { size: 1, multiattach: true } },
    status: 400,
    fault: 'badRequest',
    message:
      'multiattach parameter has been removed. The default behavior is to use multiattach enabled volume types. Contact your administrator to create a multiattach enabled volume type and use it to create multiattach volumes.',
  },
  {
    name: 'unknown property at 3.53',
    body: { volume: { size: 1, foo: 'bar' } },
    version: 'volume 3.53',
    status: 400,
    fault: 'badRequest',
    message:
      "Invalid input for field/attribute volume. Value: {'size': 1, 'foo': 'bar'}. Additional properties are not allowed ('foo' was unexpected)",
  },
  {
    name: 'unknown top-level key',
    body: { volume: { size: 1 }, bogus: 1 },
    status: 400,
    fault: 'badRequest',
    message: "Additional properties are not allowed ('bogus' was unexpected)",
  },
  {
    name: 'whitespace-only availability_zone',
    body: { volume: { size: 1, availability_zone: '  ' } },
    status: 400,
    fault: 'badRequest',
    message: 'Invalid input received: availability_zone has 0 characters, less than 1.',
  },
  {
    name: 'multiattach null',
    body: { volume: { size: 1, multiattach: null } },
    status: 400,
    fault: 'badRequest',
    message: "Value 'None' for 'multiattach' is not a boolean.",
  },
];

describe("POST /v3/{project}/volumes: invalid bodies answer Cinder's status and fault", () => {
  it.each(cases)('$name → $status', async (c) => {
    let req = request(app).post(URL).set('X-Auth-Token', TOKEN).set('Content-Type', 'application/json');
    if (c.version !== undefined) req = req.set('OpenStack-API-Version', c.version);

    const res = await req.send(JSON.stringify(c.body));

    expect(res.status).toBe(c.status);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.body).toEqual({ [c.fault]: { code: c.status, message: c.message } });
    expect(res.headers['openstack-api-version']).toBe(c.version ?? 'volume 3.0');
    expect(res.headers['vary']).toBe('OpenStack-API-Version');
    expect(res.headers['x-compute-request-id']).toBe(res.headers['x-openstack-request-id']);
  });
});

describe('POST /v3/{project}/volumes: body transport errors', () => {
  it('answers "Malformed request body" for broken JSON', async () => {
    const res = await request(app)
      .post(URL)
      .set('X-Auth-Token', TOKEN)
      .set('Content-Type', 'application/json')
      .send('{"volume": {"size": 1,');

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ badRequest: { code: 400, message: 'Malformed request body' } });
  });

  it('answers a specific 400 for an empty body (Cinder: 500 computeFault)', async () => {
    const res = await request(app)
      .post(URL)
      .set('X-Auth-Token', TOKEN)
      .set('Content-Type', 'application/json')
      .send('');

    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      badRequest: {
        code: 400,
        message: 'The request body is empty; POST on this resource requires a JSON body.',
      },
    });
  });

  it.each([
    ['text/plain', '{"volume": {"size": 1}}'],
    ['application/xml', '<volume size="1"/>'],
  ])('answers 415 badMediaType for Content-Type %s', async (type, body) => {
    const res = await request(app).post(URL).set('X-Auth-Token', TOKEN).set('Content-Type', type).send(body);

    expect(res.status).toBe(415);
    expect(res.body).toEqual({ badMediaType: { code: 415, message: 'Unsupported Content-Type' } });
    expect(res.headers['openstack-api-version']).toBe('volume 3.0');
  });

  it('answers 415 badMediaType when a JSON body comes without Content-Type', async () => {
    const res = await request(app)
      .post(URL)
      .set('X-Auth-Token', TOKEN)
      .serialize((b: unknown) => b as string)
      .send('{"volume": {"size": 1}}')
      .unset('Content-Type');

    expect(res.status).toBe(415);
    expect(res.body).toEqual({ badMediaType: { code: 415, message: 'Unsupported Content-Type' } });
  });

  it("accepts Cinder's vendor media type application/vnd.openstack.volume+json", async () => {
    const res = await request(app)
      .post(URL)
      .set('X-Auth-Token', TOKEN)
      .set('Content-Type', 'application/vnd.openstack.volume+json')
      .send('{"volume": {"size": 1}}');

    expect(res.status).toBe(202);
  });

  it("answers webob's 413 for a body over max_request_body_size (600 keys x 200 chars, ~130 KB)", async () => {
    const metadata = Object.fromEntries(
      Array.from({ length: 600 }, (_, i) => [`key${String(i).padStart(5, '0')}`, 'v'.repeat(200)]),
    );

    const res = await request(app)
      .post(URL)
      .set('X-Auth-Token', TOKEN)
      .set('Content-Type', 'application/json')
      .set('Accept', 'application/json')
      .send(JSON.stringify({ volume: { size: 1, metadata } }));

    expect(res.status).toBe(413);
    expect(res.body).toEqual({
      message: 'Request is too large. Larger than max_request_body_size (114688).<br /><br />\n\n\n',
      code: '413 Request Entity Too Large',
      title: 'Request Entity Too Large',
    });
    expect(res.headers['openstack-api-version']).toBeUndefined();
    expect(res.headers['x-compute-request-id']).toBeUndefined();
  });

  it('accepts a large body under the limit (300 keys x 100 chars, ~35 KB)', async () => {
    const metadata = Object.fromEntries(
      Array.from({ length: 300 }, (_, i) => [`key${String(i).padStart(4, '0')}`, 'v'.repeat(100)]),
    );

    const res = await request(app)
      .post(URL)
      .set('X-Auth-Token', TOKEN)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ volume: { size: 1, metadata } }));

    expect(res.status).toBe(202);
    expect(Object.keys((res.body as { volume: { metadata: object } }).volume.metadata)).toHaveLength(300);
  });
});
