import express from 'express';
import request from 'supertest';
import { createApp, toPythonJson } from '../../../src/api/app';
import {
  BadRequestError,
  FAULT_TABLE,
  GENERIC_SERVER_ERROR,
  ItemNotFoundError,
  faultFor,
} from '../../../src/api/faults';
import { InvalidGlobalAPIVersion } from '../../../src/api/errors';
import { silentLogger } from '../../../src/log';

const REQ_ID = /^req-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The versions document recorded from Cinder 21, byte for byte (API_SAMPLES.md, "GET /"). */
const RECORDED_VERSIONS =
  '{"versions": [{"id": "v3.0", "status": "CURRENT", "version": "3.70", "min_version": "3.0", "updated": "2022-08-31T00:00:00Z", "links": [{"rel": "describedby", "type": "text/html", "href": "https://docs.openstack.org/"}, {"rel": "self", "href": "http://127.0.0.1:8776/v3/"}], "media-types": [{"base": "application/json", "type": "application/vnd.openstack.volume+json;version=3"}]}]}';

class ExplodingThing extends Error {}
class TooManyThings extends Error {
  readonly retryAfter = 5;
}

function appWith(mountV3?: (v3: express.Router) => void) {
  return createApp({ config: { maxRequestBodySize: 1024 }, logger: silentLogger(), mountV3 });
}

describe('GET /', () => {
  it('answers 300 with the exact versions document Cinder sends, links from the Host header', async () => {
    const res = await request(appWith()).get('/').set('Host', '127.0.0.1:8776');

    expect(res.status).toBe(300);
    expect(res.text).toBe(RECORDED_VERSIONS);
    expect(res.headers['content-length']).toBe('382');
    expect(res.headers['content-type']).toBe('application/json');
  });

  it('carries the API headers of the recording', async () => {
    const res = await request(appWith()).get('/');

    expect(res.headers['x-openstack-request-id']).toMatch(REQ_ID);
    expect(res.headers['x-compute-request-id']).toBe(res.headers['x-openstack-request-id']);
    expect(res.headers['openstack-api-version']).toBe('volume 3.0');
    expect(res.headers['vary']).toBe('OpenStack-API-Version');
    expect(res.headers['etag']).toBeUndefined();
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('builds the self link from the host the client used', async () => {
    const res = await request(appWith()).get('/').set('Host', 'cinder.example:9999');

    expect(res.body.versions[0].links[1]).toEqual({ rel: 'self', href: 'http://cinder.example:9999/v3/' });
  });

  it('gives each request a fresh id and does not echo an inbound one', async () => {
    const app = appWith();
    const inbound = 'req-11111111-2222-3333-4444-555555555555';

    const a = await request(app).get('/').set('X-OpenStack-Request-ID', inbound);
    const b = await request(app).get('/');

    expect(a.headers['x-openstack-request-id']).not.toBe(inbound);
    expect(a.headers['x-openstack-request-id']).not.toBe(b.headers['x-openstack-request-id']);
  });
});

describe('GET /v3/', () => {
  it('answers 200 with the version document', async () => {
    const res = await request(appWith()).get('/v3/').set('Host', '127.0.0.1:8776');

    expect(res.status).toBe(200);
    expect(res.text).toBe(RECORDED_VERSIONS);
    expect(res.headers['openstack-api-version']).toBe('volume 3.0');
  });

  it('runs what mountV3 mounts before the version document', async () => {
    const app = appWith((v3) => {
      v3.use((req, res, next) => (req.headers['x-auth-token'] ? next() : res.status(204).end()));
      v3.get('/:projectId/things', (req, res) => {
        res.json({ project: req.params['projectId'] });
      });
    });

    const noToken = await request(app).get('/v3/');
    const things = await request(app).get('/v3/abc/things').set('X-Auth-Token', 'admin:abc');

    expect(noToken.status).toBe(204);
    expect(things.status).toBe(200);
    expect(things.text).toBe('{"project": "abc"}');
  });
});

describe('GET /healthcheck', () => {
  it('answers 200 text/plain OK with only the request id header', async () => {
    const res = await request(appWith()).get('/healthcheck');

    expect(res.status).toBe(200);
    expect(res.text).toBe('OK');
    expect(res.headers['content-type']).toBe('text/plain; charset=UTF-8');
    expect(res.headers['x-openstack-request-id']).toMatch(REQ_ID);
    expect(res.headers['openstack-api-version']).toBeUndefined();
  });
});

describe('webob-shaped errors', () => {
  it('answers an unmatched route with the webob JSON 404 when JSON is accepted', async () => {
    const res = await request(appWith()).post('/v3/demo/volumes').set('Accept', 'application/json').send({});

    expect(res.status).toBe(404);
    expect(res.text).toBe(
      '{"message": "The resource could not be found.<br /><br />\\n\\n\\n", "code": "404 Not Found", "title": "Not Found"}',
    );
    expect(res.headers['content-length']).toBe('112');
    expect(res.headers['x-openstack-request-id']).toMatch(REQ_ID);
    expect(res.headers['x-compute-request-id']).toBeUndefined();
    expect(res.headers['openstack-api-version']).toBeUndefined();
    expect(res.headers['vary']).toBeUndefined();
  });

  it('answers in plain text when the client sends no Accept header, as for /v2', async () => {
    const res = await request(appWith()).get('/v2/abc/volumes').unset('Accept');

    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toBe('text/plain; charset=UTF-8');
    expect(res.text).toBe('404 Not Found\n\nThe resource could not be found.\n\n   ');
    expect(res.headers['content-length']).toBe('52');
  });

  it('answers in HTML when the client accepts HTML', async () => {
    const res = await request(appWith()).get('/nowhere').set('Accept', 'text/html');

    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toBe('text/html; charset=UTF-8');
    expect(res.text).toContain('<title>404 Not Found</title>');
  });

  it('answers a body over MAX_REQUEST_BODY_SIZE with the webob 413', async () => {
    const res = await request(appWith())
      .post('/v3/abc/volumes')
      .set('Accept', 'application/json')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ volume: { metadata: { k: 'v'.repeat(2000) } } }));

    expect(res.status).toBe(413);
    expect(res.body).toEqual({
      message: 'Request is too large. Larger than max_request_body_size (1024).<br /><br />\n\n\n',
      code: '413 Request Entity Too Large',
      title: 'Request Entity Too Large',
    });
    expect(res.headers['x-compute-request-id']).toBeUndefined();
  });
});

describe('API faults', () => {
  function appThrowing(err: unknown) {
    return appWith((v3) => {
      v3.post('/:projectId/volumes', () => {
        throw err;
      });
      v3.get('/:projectId/async', async () => {
        await Promise.resolve();
        throw err;
      });
    });
  }

  it('maps a body parser\'s JSON error to 400 "Malformed request body" with the request id header', async () => {
    const app = appWith((v3) => {
      v3.use(express.json());
      v3.post('/:projectId/volumes', (_req, res) => {
        res.status(202).json({});
      });
    });

    const res = await request(app)
      .post('/v3/abc/volumes')
      .set('Content-Type', 'application/json')
      .send('{"volume": {"size": 1,');

    expect(res.status).toBe(400);
    expect(res.text).toBe('{"badRequest": {"code": 400, "message": "Malformed request body"}}');
    expect(res.headers['x-compute-request-id']).toBe(res.headers['x-openstack-request-id']);
  });

  it('renders the rows of the API request errors (src/api/errors.ts) from the same table', async () => {
    const res = await request(appThrowing(new InvalidGlobalAPIVersion('3.71', '3.0', '3.70'))).get(
      '/v3/abc/async',
    );

    expect(res.status).toBe(406);
    expect(res.body).toEqual({
      computeFault: {
        code: 406,
        message: 'Version 3.71 is not supported by the API. Minimum is 3.0 and maximum is 3.70.',
      },
    });
  });

  it('renders a mapped error with its fault name and message', async () => {
    const res = await request(appThrowing(new ItemNotFoundError('Volume x could not be found.'))).get(
      '/v3/abc/async',
    );

    expect(res.status).toBe(404);
    expect(res.body).toEqual({ itemNotFound: { code: 404, message: 'Volume x could not be found.' } });
  });

  it('answers an unknown error with a generic 500 computeFault and no detail', async () => {
    const res = await request(appThrowing(new Error('secret table t_x is corrupt'))).get('/v3/abc/async');

    expect(res.status).toBe(500);
    expect(res.body).toEqual({ computeFault: { code: 500, message: GENERIC_SERVER_ERROR } });
    expect(res.text).not.toContain('secret');
    expect(res.text).not.toContain('at ');
  });

  it('answers a thrown non-Error the same way', async () => {
    const res = await request(appThrowing('a string')).get('/v3/abc/async');

    expect(res.status).toBe(500);
    expect(res.body.computeFault.code).toBe(500);
  });
});

describe('faultFor', () => {
  it('maps overLimit errors with retryAfter', () => {
    const table = FAULT_TABLE as unknown as { error: unknown; status: number }[];
    table.push({ error: TooManyThings, status: 413 });
    try {
      expect(faultFor(new TooManyThings('VolumeLimitExceeded: too many'), 1)).toEqual({
        status: 413,
        shape: 'api',
        message: 'VolumeLimitExceeded: too many',
        retryAfter: '5',
        unexpected: false,
      });
    } finally {
      table.pop();
    }
  });

  it('keeps the first matching row, so subclasses are listed before parents', () => {
    expect(faultFor(new BadRequestError(), 1)).toMatchObject({
      status: 400,
      message: expect.stringMatching(/^The server could not comply/),
    });
    expect(faultFor(new ExplodingThing('x'), 1)).toMatchObject({ status: 500, unexpected: true });
  });
});

describe('an overLimit fault on the wire', () => {
  it('adds retryAfter to the body and a Retry-After header', async () => {
    const table = FAULT_TABLE as unknown as { error: unknown; status: number }[];
    table.push({ error: TooManyThings, status: 413 });
    try {
      const app = appWith((v3) =>
        v3.get('/x', () => {
          throw new TooManyThings('VolumeLimitExceeded: Maximum number of volumes allowed (2) exceeded');
        }),
      );

      const res = await request(app).get('/v3/x');

      expect(res.status).toBe(413);
      expect(res.headers['retry-after']).toBe('5');
      expect(res.text).toBe(
        '{"overLimit": {"code": 413, "message": "VolumeLimitExceeded: Maximum number of volumes allowed (2) exceeded", "retryAfter": "5"}}',
      );
    } finally {
      table.pop();
    }
  });
});

describe('toPythonJson', () => {
  it('uses Python separators and escapes non-ASCII like ensure_ascii', () => {
    expect(toPythonJson({ a: [1, 'é', null, true], b: { c: 'x"y' }, d: undefined })).toBe(
      '{"a": [1, "\\u00e9", null, true], "b": {"c": "x\\"y"}}',
    );
  });

  it('uses toJSON, as dates need', () => {
    expect(toPythonJson({ at: new Date('2026-01-02T03:04:05.000Z') })).toBe(
      '{"at": "2026-01-02T03:04:05.000Z"}',
    );
  });
});
