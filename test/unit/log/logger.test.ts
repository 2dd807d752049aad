import * as http from 'node:http';
import { type AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import express from 'express';
import request from 'supertest';
import * as winston from 'winston';
import { createApp } from '../../../src/api/app';
import {
  componentLogger,
  createRootLogger,
  currentRequestId,
  runWithRequestContext,
  toEngineLogger,
  type Logger,
} from '../../../src/log';

/** A JSON logger writing into memory; `lines()` parses what was written so far. */
function memoryLogger(format: 'json' | 'pretty' = 'json'): {
  logger: Logger;
  lines: () => Record<string, unknown>[];
  text: () => string;
} {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  const logger = createRootLogger({ level: 'debug', format, silent: false, stream });
  const text = () => chunks.join('');
  return {
    logger,
    text,
    lines: () =>
      text()
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('createRootLogger', () => {
  it('writes one JSON object per line with level, message, timestamp and metadata', async () => {
    const { logger, lines } = memoryLogger();

    componentLogger(logger, 'scheduler').info('flow finished', { flowId: 'f1', durationMs: 3 });
    await tick();

    expect(lines()).toEqual([
      expect.objectContaining({
        level: 'info',
        message: 'flow finished',
        component: 'scheduler',
        flowId: 'f1',
        durationMs: 3,
        timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      }),
    ]);
  });

  it('turns an { err } field into name, message and stack', async () => {
    const { logger, lines } = memoryLogger();

    logger.error('boom', { err: new TypeError('bad thing', { cause: new Error('root cause') }) });
    await tick();

    expect(lines()[0]!['err']).toMatchObject({
      name: 'TypeError',
      message: 'bad thing',
      stack: expect.stringContaining('TypeError: bad thing'),
      cause: { name: 'Error', message: 'root cause' },
    });
  });

  it('adds the current request id to lines written inside a request context, even after awaits', async () => {
    const { logger, lines } = memoryLogger();
    const log = componentLogger(logger, 'deep');

    await runWithRequestContext({ requestId: 'req-a' }, async () => {
      await tick();
      log.info('inside');
    });
    log.info('outside');
    await tick();

    expect(lines().map((l) => [l['message'], l['requestId']])).toEqual([
      ['inside', 'req-a'],
      ['outside', undefined],
    ]);
  });

  it('writes readable single lines in pretty format', async () => {
    const { logger, text } = memoryLogger('pretty');

    runWithRequestContext({ requestId: 'req-p' }, () =>
      componentLogger(logger, 'api').warn('slow request', { durationMs: 1200 }),
    );
    await tick();

    expect(text()).toMatch(/warn.*\[api\] req-p slow request \{ durationMs: 1200 \}\n$/);
  });

  it('does not format a line of a level that is off (its metadata is not even serialized); setting the level turns it on', async () => {
    const stream = new PassThrough();
    const chunks: string[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
    const logger = createRootLogger({ level: 'info', format: 'json', silent: false, stream });
    const child = componentLogger(logger, 'rpc').child({ host: 'h' });
    const toJSON = jest.fn(() => 'serialized');

    child.debug('dispatching', { meta: { toJSON } });
    child.log('debug', 'dispatching', { meta: { toJSON } });
    await tick();
    expect(chunks).toEqual([]);
    expect(toJSON).not.toHaveBeenCalled();
    expect(child.isDebugEnabled()).toBe(false);

    logger.level = 'debug';
    child.debug('dispatching', { meta: { toJSON } });
    await tick();
    expect(chunks.map((c) => JSON.parse(c) as unknown)).toEqual([
      expect.objectContaining({ level: 'debug', component: 'rpc', host: 'h', meta: 'serialized' }),
    ]);
  });

  it('stamps each line with the ISO time and prints what JSON.stringify refuses as winston does', async () => {
    const { logger, lines } = memoryLogger();
    const circular: Record<string, unknown> = { name: 'loop' };
    circular['self'] = circular;

    const before = Date.now();
    logger.info('plain', { n: 1 });
    logger.info('odd values', { circular, big: 12345678901234567890n });
    await tick();
    const after = Date.now();

    const [plain, odd] = lines();
    expect(plain!['timestamp']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const at = Date.parse(String(plain!['timestamp']));
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(after);
    expect(odd).toMatchObject({
      message: 'odd values',
      circular: { name: 'loop', self: '[Circular]' },
      big: '12345678901234567890',
    });
  });

  it('writes lines in the order they are logged, and through winston again once a transport is added', async () => {
    const { logger, lines } = memoryLogger();
    const child = componentLogger(logger, 'a');

    for (let i = 0; i < 5; i++) (i % 2 === 0 ? logger : child).info(`line ${i}`, { i });
    const added = new PassThrough();
    const addedChunks: string[] = [];
    added.on('data', (c: Buffer) => addedChunks.push(c.toString('utf8')));
    logger.add(new winston.transports.Stream({ stream: added }));
    child.warn('to both');
    await tick();

    expect(lines().map((l) => l['message'])).toEqual([
      'line 0',
      'line 1',
      'line 2',
      'line 3',
      'line 4',
      'to both',
    ]);
    expect(addedChunks.map((c) => (JSON.parse(c) as { message: string }).message)).toEqual(['to both']);
  });

  it('writes nothing when silent', async () => {
    const stream = new PassThrough();
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    const logger = createRootLogger({ level: 'debug', format: 'json', silent: true, stream });

    logger.error('never seen');
    await tick();

    expect(chunks).toEqual([]);
  });
});

describe('request ids in the HTTP app', () => {
  it('keeps each of two concurrent requests on its own id in every log line', async () => {
    const { logger, lines } = memoryLogger();
    const deep = componentLogger(logger, 'volume-api');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let arrived = 0;
    const app = createApp({
      config: { maxRequestBodySize: 114688 },
      logger,
      mountV3: (v3) =>
        v3.use(express.json()).post('/:projectId/things', async (req, res) => {
          deep.info('handling', { name: (req.body as { name: string }).name });
          if (++arrived === 2) release();
          await gate; // both requests are in flight at once here
          deep.info('done', { name: (req.body as { name: string }).name });
          res.status(202).json({ ok: currentRequestId() });
        }),
    });

    const [a, b] = await Promise.all([
      request(app).post('/v3/p/things').send({ name: 'a' }),
      request(app).post('/v3/p/things').send({ name: 'b' }),
    ]);
    await tick();

    const idA = a.headers['x-openstack-request-id'];
    const idB = b.headers['x-openstack-request-id'];
    expect(idA).not.toBe(idB);
    expect(a.body).toEqual({ ok: idA });
    expect(b.body).toEqual({ ok: idB });
    const byName = (name: string) =>
      lines()
        .filter((l) => l['name'] === name)
        .map((l) => [l['message'], l['requestId']]);
    expect(byName('a')).toEqual([
      ['handling', idA],
      ['done', idA],
    ]);
    expect(byName('b')).toEqual([
      ['handling', idB],
      ['done', idB],
    ]);
    const finished = lines().filter((l) => l['message'] === 'request finished');
    expect(finished.map((l) => l['requestId']).sort()).toEqual([idA, idB].sort());
    expect(finished[0]).toMatchObject({ method: 'POST', status: 202, component: 'api' });
  });

  it('keeps the id on lines written after a body that arrives in pieces is parsed', async () => {
    const { logger, lines } = memoryLogger();
    const app = createApp({
      config: { maxRequestBodySize: 114688 },
      logger,
      mountV3: (v3) =>
        v3.use(express.json()).post('/slow', (_req, res) => {
          logger.info('parsed');
          res.status(202).json({});
        }),
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as AddressInfo;

    try {
      const requestIdSent = await new Promise<string>((resolve, reject) => {
        const req = http.request(
          {
            host: '127.0.0.1',
            port,
            method: 'POST',
            path: '/v3/slow',
            headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(String(res.headers['x-openstack-request-id'])));
          },
        );
        req.on('error', reject);
        req.write('{"name": ');
        setTimeout(() => req.end('"slow"}'), 30);
      });
      await tick();

      expect(lines().find((l) => l['message'] === 'parsed')).toMatchObject({ requestId: requestIdSent });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('logs an unexpected error once, with its detail and the request id', async () => {
    const { logger, lines } = memoryLogger();
    const app = createApp({
      config: { maxRequestBodySize: 1024 },
      logger,
      mountV3: (v3) =>
        v3.get('/boom', () => {
          throw new Error('disk on fire');
        }),
    });

    const res = await request(app).get('/v3/boom');
    await tick();

    const errors = lines().filter((l) => l['level'] === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      requestId: res.headers['x-openstack-request-id'],
      err: { message: 'disk on fire' },
    });
    expect(res.text).not.toContain('disk on fire');
  });
});

describe('toEngineLogger', () => {
  it('passes engine log calls to winston with their metadata and the request id', async () => {
    const { logger, lines } = memoryLogger();
    const engineLog = toEngineLogger(componentLogger(logger, 'volume'));

    runWithRequestContext({ requestId: 'req-e' }, () => {
      engineLog.debug('atom state changed', { atom: 'volume.reserve-quota', state: 'RUNNING' });
      engineLog.warn('flow state changed', { state: 'REVERTED' });
    });
    await tick();

    expect(lines()).toEqual([
      expect.objectContaining({
        level: 'debug',
        message: 'atom state changed',
        atom: 'volume.reserve-quota',
        requestId: 'req-e',
        component: 'volume',
      }),
      expect.objectContaining({
        level: 'warn',
        message: 'flow state changed',
        state: 'REVERTED',
        requestId: 'req-e',
      }),
    ]);
  });
});
