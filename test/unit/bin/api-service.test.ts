import * as http from 'node:http';
import { createApiService, type RunningApi } from '../../../src/bin/api-service';
import type { ServiceContext } from '../../../src/bin/services';
import { loadConfig } from '../../../src/config';
import { silentLogger } from '../../../src/log';

function context(): ServiceContext {
  const { config } = loadConfig({
    argv: [],
    env: { PORT: '0', HOST: '127.0.0.1' },
    searchPath: [],
    isTTY: false,
  });
  return {
    config,
    logger: silentLogger(),
    host: 'test-host',
    resources: {
      dataSource: () => Promise.reject(new Error('no database in this test')),
      transport: () => Promise.reject(new Error('no transport in this test')),
    },
  };
}

function get(port: number, path: string, agent?: http.Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      })
      .on('error', reject);
  });
}

describe('the api service', () => {
  it('lets an in-flight request finish before stop() resolves, and refuses new ones meanwhile', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let arrived!: () => void;
    const inHandler = new Promise<void>((resolve) => (arrived = resolve));
    const service = createApiService({
      v3: async () => (v3) =>
        v3.get('/slow', async (_req, res) => {
          arrived();
          await gate;
          res.json({ finished: true });
        }),
    });
    const api = (await service.start(context())) as RunningApi;
    const events: string[] = [];

    const slow = get(api.address.port, '/v3/slow').then((r) => {
      events.push('response');
      return r;
    });
    await inHandler;
    const stopped = api.stop().then(() => events.push('stopped'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const refused = await get(api.address.port, '/healthcheck').then(
      () => false,
      () => true,
    );
    events.push('released');
    release();
    const answer = await slow;
    await stopped;

    expect(refused).toBe(true);
    expect(answer).toEqual({ status: 200, body: '{"finished": true}' });
    expect(events).toEqual(['released', 'response', 'stopped']);
  });

  it('closes idle keep-alive connections at once when stopping', async () => {
    const api = (await createApiService().start(context())) as RunningApi;
    const agent = new http.Agent({ keepAlive: true });
    await get(api.address.port, '/healthcheck', agent);
    const started = Date.now();

    await api.stop();

    expect(Date.now() - started).toBeLessThan(1000);
    agent.destroy();
  });

  it('force-closes a request that outlives the drain timeout', async () => {
    const service = createApiService({
      drainTimeoutMs: 100,
      v3: async () => (v3) => v3.get('/forever', () => undefined),
    });
    const api = (await service.start(context())) as RunningApi;
    const hung = get(api.address.port, '/v3/forever');
    await new Promise((resolve) => setTimeout(resolve, 50));

    await api.stop();

    await expect(hung).rejects.toThrow(/socket hang up|ECONNRESET/);
  });

  it('hands the service context to the v3 builder', async () => {
    let seenHost: string | undefined;
    const api = (await createApiService({
      v3: async (ctx) => {
        seenHost = ctx.host;
        return () => undefined;
      },
    }).start(context())) as RunningApi;
    await api.stop();

    expect(seenHost).toBe('test-host');
  });
});
