/**
 * Bad-input fuzzing of the contract layer: random and hostile bodies, headers and query strings must
 * never produce a 500 (or a stack trace); every error body is an OpenStack fault with a message.
 */
import request from 'supertest';
import { PROJECT, contractApp } from './contract-app';

const app = contractApp();
const ADMIN = `admin:${PROJECT}`;

/** A small deterministic PRNG (mulberry32), so a failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYS = [
  'volume',
  'size',
  'name',
  'description',
  'metadata',
  'snapshot_id',
  'source_volid',
  'volume_type',
  'availability_zone',
  'multiattach',
  'display_name',
  'imageRef',
  'backup_id',
  'group_id',
  'os-extend',
  'new_size',
  'quota_set',
  'volumes',
  'gigabytes',
  'meta',
  '__proto__',
  'constructor',
  '',
  ' ',
  'é',
  'a/b',
];

function randomValue(rnd: () => number, depth: number): unknown {
  const r = rnd();
  if (depth > 3 || r < 0.15) return null;
  if (r < 0.3) return Math.floor(rnd() * 5e9) - 1e9;
  if (r < 0.4) return rnd() * 10;
  if (r < 0.5) return rnd() < 0.5;
  if (r < 0.65)
    return [
      '',
      ' ',
      'abc',
      '1',
      '0',
      '-1',
      'true',
      'nova',
      'x'.repeat(300),
      '\u0000\n',
      '😀',
      'c9ea7a6a-2455-4acb-b562-895fb2ea5df2',
    ][Math.floor(rnd() * 12)];
  if (r < 0.75) return Array.from({ length: Math.floor(rnd() * 3) }, () => randomValue(rnd, depth + 1));
  const o: Record<string, unknown> = {};
  for (let i = Math.floor(rnd() * 4); i > 0; i--)
    Object.defineProperty(o, KEYS[Math.floor(rnd() * KEYS.length)]!, {
      value: randomValue(rnd, depth + 1),
      enumerable: true,
      configurable: true,
      writable: true,
    });
  return o;
}

const ROUTES: readonly [string, string][] = [
  ['post', `/v3/${PROJECT}/volumes`],
  ['put', `/v3/${PROJECT}/volumes/00000000-0000-4000-8000-000000000001`],
  ['post', `/v3/${PROJECT}/volumes/00000000-0000-4000-8000-000000000001/action`],
  ['put', `/v3/${PROJECT}/os-quota-sets/${PROJECT}`],
  ['post', `/v3/${PROJECT}/types`],
];

function assertNoServerError(res: request.Response, what: string): void {
  if (res.status >= 500) throw new Error(`${what} answered ${res.status}: ${res.text}`);
  expect(res.text).not.toMatch(/\n\s+at /); // no stack trace
}

describe('fuzzing the contract layer', () => {
  it('answers 600 random bodies on 5 routes without a 500', async () => {
    const rnd = prng(20261122);
    for (let i = 0; i < 600; i++) {
      const [method, path] = ROUTES[i % ROUTES.length]!;
      const wrap = rnd() < 0.7;
      const inner = randomValue(rnd, 0);
      const body = wrap
        ? { [['volume', 'os-extend', 'quota_set', 'volume_type'][Math.floor(rnd() * 4)]!]: inner }
        : inner;
      const text = JSON.stringify(body) ?? 'null';

      const res = await request(app)
        [method as 'post' | 'put'](path)
        .set('X-Auth-Token', ADMIN)
        .set('Content-Type', 'application/json')
        .send(text);

      assertNoServerError(res, `${method} ${path} ${text.slice(0, 200)}`);
      if (res.status >= 400 && res.status !== 404) {
        const fault = Object.values(res.body as Record<string, { code: number; message: string }>)[0];
        expect(fault?.code).toBe(res.status);
        expect(typeof fault?.message).toBe('string');
      }
    }
  });

  it.each([
    ['deeply nested arrays', '{"volume": ' + '['.repeat(5000) + ']'.repeat(5000) + '}'],
    ['very deeply nested arrays', '['.repeat(200000) + ']'.repeat(200000)],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])],
    ['NaN literal', '{"volume": {"size": NaN}}'],
    ['a lone string', '"volume"'],
    ['null', 'null'],
    ['huge number', '{"volume": {"size": 1e400}}'],
    [
      'proto keys',
      '{"__proto__": {"size": 1}, "volume": {"size": 1, "metadata": {"__proto__": "x", "constructor": "y"}}}',
    ],
  ])('survives %s', async (_name, body) => {
    const res = await request(app)
      .post(`/v3/${PROJECT}/volumes`)
      .set('X-Auth-Token', ADMIN)
      .set('Content-Type', 'application/json')
      .send(body);

    assertNoServerError(res, String(_name));
    expect(res.status).toBeGreaterThanOrEqual(200);
  });

  it.each([
    ['OpenStack-API-Version', 'volume'],
    ['OpenStack-API-Version', ''],
    ['OpenStack-API-Version', 'volume 99999999999999999999.1'],
    ['OpenStack-API-Version', ',,,'],
    ['X-Auth-Token', ':::'],
    ['X-Auth-Token', ':p'],
    ['Content-Type', 'application/json; charset=latin1'],
    ['Content-Type', ';;'],
  ])('survives the header %s: %j', async (name, value) => {
    const res = await request(app)
      .post(`/v3/${PROJECT}/volumes`)
      .set('X-Auth-Token', ADMIN)
      .set('Content-Type', 'application/json')
      .set(name, value)
      .send('{"volume": {"size": 1}}');

    assertNoServerError(res, `${name}: ${value}`);
  });

  it.each([
    'limit=1e3',
    'limit=99999999999999999999',
    'limit[]=1',
    'limit[a]=1',
    'sort=:',
    'sort=,,,',
    'sort_key[]=a',
    'marker[]=x',
    'offset=abc',
    'limit=%zz',
  ])('survives ?%s', async (query) => {
    const res = await request(app).get(`/v3/${PROJECT}/volumes?${query}`).set('X-Auth-Token', ADMIN);

    assertNoServerError(res, query);
  });
});
