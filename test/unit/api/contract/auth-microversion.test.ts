/**
 * Version discovery and auth plumbing, from shared/API_SAMPLES.md §1: noauth's fake-token answer,
 * project checks, microversion negotiation and its errors, routing 404s.
 */
import request from 'supertest';
import { OTHER_PROJECT, PROJECT, contractApp } from './contract-app';

const app = contractApp();
const ADMIN = `admin:${PROJECT}`;

describe('noauth', () => {
  it.each([
    ['/v3/', 'http://HOST/v3'],
    [`/v3/${PROJECT}/volumes`, `http://HOST/v3/${PROJECT}/volumes`],
  ])('answers %s without X-Auth-Token with 204 and a fake token', async (path, url) => {
    const res = await request(app).get(path);

    const host = res.request.url.replace(/^http:\/\/([^/]+).*$/, '$1');
    expect(res.status).toBe(204);
    expect(res.headers['x-auth-token']).toBe('admin:admin');
    expect(res.headers['x-server-management-url']).toBe(url.replace('HOST', host));
    expect(res.headers['content-type']).toBe('text/plain; charset=UTF-8');
    expect(res.headers['x-openstack-request-id']).toMatch(/^req-[0-9a-f-]{36}$/);
    expect(res.headers['openstack-api-version']).toBeUndefined();
    expect(res.headers['x-compute-request-id']).toBeUndefined();
  });

  it('uses X-Auth-User and X-Auth-Project-Id for the fake token', async () => {
    const res = await request(app).get('/v3/').set('X-Auth-User', 'alice').set('X-Auth-Project-Id', PROJECT);

    expect(res.status).toBe(204);
    expect(res.headers['x-auth-token']).toBe(`alice:${PROJECT}`);
  });

  it('answers 400 "Malformed request url" to a non-admin naming another project', async () => {
    const res = await request(app).get(`/v3/${PROJECT}/volumes`).set('X-Auth-Token', `u:${OTHER_PROJECT}`);

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ badRequest: { code: 400, message: 'Malformed request url' } });
    expect(res.headers['openstack-api-version']).toBe('volume 3.0');
  });

  it('lets an admin name another project in the URL', async () => {
    const res = await request(app)
      .get(`/v3/${PROJECT}/volumes?limit=1`)
      .set('X-Auth-Token', `admin:${OTHER_PROJECT}`);

    expect(res.status).toBe(200);
  });

  it('takes a token without a colon as user and project alike', async () => {
    const res = await request(app).get(`/v3/${PROJECT}/volumes?limit=1`).set('X-Auth-Token', PROJECT);

    expect(res.status).toBe(200);
  });

  it('answers 401 to an empty token', async () => {
    const res = await request(app).get(`/v3/${PROJECT}/volumes`).set('X-Auth-Token', '');

    expect(res.status).toBe(401);
    expect(res.body).toEqual({
      unauthorized: {
        code: 401,
        message: "The X-Auth-Token header is empty; noauth mode expects '<user-id>:<project-id>'.",
      },
    });
  });

  it("answers 403 with Cinder's policy message to a non-admin on an admin-only action", async () => {
    const res = await request(app)
      .post(`/v3/${PROJECT}/types`)
      .set('X-Auth-Token', `alice:${PROJECT}`)
      .set('Content-Type', 'application/json')
      .send({ volume_type: { name: 'gold' } });

    expect(res.status).toBe(403);
    expect(res.body).toEqual({
      forbidden: {
        code: 403,
        message: "Policy doesn't allow volume_extension:type_create to be performed.",
      },
    });
  });
});

describe('routing', () => {
  it("answers webob's JSON 404 for a project id that is not hex", async () => {
    const res = await request(app)
      .post('/v3/demo/volumes')
      .set('X-Auth-Token', 'admin:demo')
      .set('Content-Type', 'application/json')
      .set('Accept', 'application/json')
      .send({ volume: { size: 1 } });

    expect(res.status).toBe(404);
    expect(res.body).toEqual({
      message: 'The resource could not be found.<br /><br />\n\n\n',
      code: '404 Not Found',
      title: 'Not Found',
    });
    expect(res.headers['openstack-api-version']).toBeUndefined();
    expect(res.headers['vary']).toBeUndefined();
  });

  it('serves the project-less form, with links that carry no project', async () => {
    const res = await request(app).get('/v3/volumes?limit=1').set('X-Auth-Token', ADMIN);

    expect(res.status).toBe(200);
    const links = (res.body as { volumes: { links: { href: string }[] }[] }).volumes[0]!.links;
    expect(links[0]!.href).toMatch(/^http:\/\/[^/]+\/v3\/volumes\/[0-9a-f-]{36}$/);
    expect(links[1]!.href).toMatch(/^http:\/\/[^/]+\/volumes\/[0-9a-f-]{36}$/);
  });
});

describe('microversions', () => {
  it('serves 3.0 when no version is asked', async () => {
    const res = await request(app).get(`/v3/${PROJECT}/volumes?limit=1`).set('X-Auth-Token', ADMIN);

    expect(res.headers['openstack-api-version']).toBe('volume 3.0');
    expect(res.headers['vary']).toBe('OpenStack-API-Version');
    expect(res.headers['x-compute-request-id']).toBe(res.headers['x-openstack-request-id']);
    expect(res.headers['x-openstack-request-id']).toMatch(/^req-[0-9a-f-]{36}$/);
  });

  it("maps 'latest' to 3.70", async () => {
    const res = await request(app)
      .get(`/v3/${PROJECT}/volumes?limit=1`)
      .set('X-Auth-Token', ADMIN)
      .set('OpenStack-API-Version', 'volume latest');

    expect(res.status).toBe(200);
    expect(res.headers['openstack-api-version']).toBe('volume 3.70');
  });

  it('answers 406 computeFault above the maximum, echoing the requested version', async () => {
    const res = await request(app)
      .get(`/v3/${PROJECT}/volumes`)
      .set('X-Auth-Token', ADMIN)
      .set('OpenStack-API-Version', 'volume 3.71');

    expect(res.status).toBe(406);
    expect(res.body).toEqual({
      computeFault: {
        code: 406,
        message: 'Version 3.71 is not supported by the API. Minimum is 3.0 and maximum is 3.70.',
      },
    });
    expect(res.headers['openstack-api-version']).toBe('volume 3.71');
    expect(res.headers['vary']).toBe('OpenStack-API-Version');
  });

  it('answers 406 below the minimum', async () => {
    const res = await request(app)
      .get(`/v3/${PROJECT}/volumes`)
      .set('X-Auth-Token', ADMIN)
      .set('OpenStack-API-Version', 'volume 2.0');

    expect(res.status).toBe(406);
    expect(res.body).toEqual({
      computeFault: {
        code: 406,
        message: 'Version 2.0 is not supported by the API. Minimum is 3.0 and maximum is 3.70.',
      },
    });
  });

  it.each(['3', '3.05', 'x.y', '3.1.2'])(
    "answers 400 InvalidAPIVersionString for 'volume %s', without version headers",
    async (v) => {
      const res = await request(app)
        .get(`/v3/${PROJECT}/volumes`)
        .set('X-Auth-Token', ADMIN)
        .set('OpenStack-API-Version', `volume ${v}`);

      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        badRequest: {
          code: 400,
          message: `API Version String ${v} is of invalid format. Must be of format MajorNum.MinorNum.`,
        },
      });
      expect(res.headers['openstack-api-version']).toBeUndefined();
      expect(res.headers['vary']).toBeUndefined();
      expect(res.headers['x-compute-request-id']).toBe(res.headers['x-openstack-request-id']);
    },
  );

  it('answers a specific 400 to a header naming only another service (Cinder: generic 400)', async () => {
    const res = await request(app)
      .get(`/v3/${PROJECT}/volumes?limit=1`)
      .set('X-Auth-Token', ADMIN)
      .set('OpenStack-API-Version', 'compute 2.1');

    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      badRequest: {
        code: 400,
        message:
          "The OpenStack-API-Version header 'compute 2.1' names no version for the volume service; send e.g. 'OpenStack-API-Version: volume 3.0'.",
      },
    });
    expect(res.headers['openstack-api-version']).toBeUndefined();
  });

  it('picks the volume entry out of a header naming several services', async () => {
    const res = await request(app)
      .get(`/v3/${PROJECT}/volumes?limit=1`)
      .set('X-Auth-Token', ADMIN)
      .set('OpenStack-API-Version', 'compute 2.1, volume 3.45');

    expect(res.status).toBe(200);
    expect(res.headers['openstack-api-version']).toBe('volume 3.45');
  });

  it('negotiates the version before looking at the body (a bad version wins over bad JSON)', async () => {
    const res = await request(app)
      .post(`/v3/${PROJECT}/volumes`)
      .set('X-Auth-Token', ADMIN)
      .set('OpenStack-API-Version', 'volume 3.71')
      .set('Content-Type', 'text/plain')
      .send('{');

    expect(res.status).toBe(406);
  });
});
