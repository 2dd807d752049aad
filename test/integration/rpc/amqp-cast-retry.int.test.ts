/** @jest-environment ./test/integration/rpc/unhandled-rejection-environment.js */
/**
 * The AMQP transport's retry rule on real RabbitMQ (TEST_AMQP_URL): a cast or fanout whose connection
 * is cut between its publish and the broker's confirm is published again on the next connection (so
 * it is delivered at least once, and an idempotent handler makes the duplicate harmless); a nack, an
 * unroutable return or a call is never published again. Only our own connection is cut: the client
 * goes through a TCP proxy that holds one direction back and then drops what it carries.
 */
import * as amqp from 'amqplib';

import type { AmqpTransport } from '../../../src/rpc/amqp-transport';
import { MessageDeliveryFailure } from '../../../src/rpc/errors';
import type { Logger } from '../../../src/rpc/logger';
import type { RpcMessage } from '../../../src/rpc/transport';
import { message, waitFor } from '../../contracts/transport.contract';
import {
  BrokerProxy,
  connectedTransport,
  deleteNamespace,
  listQueues,
  requireAmqpUrl,
  uniqueNamespace,
  unhandledRejections,
} from './amqp-helpers';

const ns = uniqueNamespace('cast-retry');
let url: string;
let proxy: BrokerProxy;
const open: AmqpTransport[] = [];
let topicSeq = 0;
const newTopic = (): string => `retry${++topicSeq}`;

/** Collects the transport's log messages, to see what it decided. */
function recordingLogger(lines: string[]): Logger {
  const logger: Logger = {
    debug: () => undefined,
    info: (m) => void lines.push(m),
    warn: (m) => void lines.push(m),
    error: (m) => void lines.push(m),
    child: () => logger,
  };
  return logger;
}

async function transport(
  extra: Parameters<typeof connectedTransport>[2] = {},
  viaProxy = false,
): Promise<AmqpTransport> {
  const t = await connectedTransport(viaProxy ? proxy.url(url) : url, ns, extra);
  open.push(t);
  return t;
}

/**
 * A cast handler as the services write them: it records every delivery, and acts only on a
 * resource still in the state the cast expects (here: a volume `creating` → `available`), so a
 * second delivery of the same cast changes nothing.
 */
function idempotentCreate(): {
  handler: (m: RpcMessage) => Promise<void>;
  deliveries: string[];
  effects: string[];
  status: Map<string, string>;
} {
  const deliveries: string[] = [];
  const effects: string[] = [];
  const status = new Map<string, string>();
  return {
    deliveries,
    effects,
    status,
    handler: async (m) => {
      const id = String(m.args['volumeId']);
      deliveries.push(m.messageId);
      if ((status.get(id) ?? 'creating') !== 'creating') return;
      status.set(id, 'available');
      effects.push(`created ${id}`);
    },
  };
}

beforeAll(async () => {
  url = await requireAmqpUrl();
  proxy = await BrokerProxy.start(url);
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

afterAll(async () => {
  await proxy?.stop();
  if (url !== undefined) {
    await deleteNamespace(url, ns);
    expect(await listQueues(ns)).toEqual([]);
  }
  expect(unhandledRejections()).toEqual([]);
});

describe('AmqpTransport: a cast cut off before its confirm', () => {
  it('is published again when the confirm was lost after delivery: the duplicate reaches an idempotent handler and changes nothing', async () => {
    const topic = newTopic();
    const server = await transport();
    const create = idempotentCreate();
    await server.listen({ topic, server: 'h1' }, create.handler);
    const logs: string[] = [];
    const client = await transport({ logger: recordingLogger(logs) }, true);
    const sent = message('create_volume', { volumeId: 'vol-1' });

    // The publish reaches the broker (and the server), its confirm does not reach the client.
    proxy.hold('toClient');
    const cast = client.cast({ topic }, sent);
    await waitFor(() => create.deliveries.length === 1, 5000, 'the first delivery');
    proxy.cut();

    await expect(cast).resolves.toBeUndefined();
    await waitFor(() => create.deliveries.length === 2, 5000, 'the republished copy');
    expect(create.deliveries).toEqual([sent.messageId, sent.messageId]);
    expect(create.effects).toEqual(['created vol-1']);
    expect(logs).toContain('cast published again after a reconnect');
  });

  it('is published again when the connection dropped before the broker got it, and delivered exactly once', async () => {
    const topic = newTopic();
    const server = await transport();
    const create = idempotentCreate();
    await server.listen({ topic, server: 'h1' }, create.handler);
    const client = await transport({}, true);
    const sent = message('create_volume', { volumeId: 'vol-2' });

    proxy.hold('toBroker');
    const cast = client.cast({ topic, server: 'h1' }, sent);
    await new Promise((r) => setTimeout(r, 200));
    expect(create.deliveries).toEqual([]);
    proxy.cut();

    await expect(cast).resolves.toBeUndefined();
    await waitFor(() => create.deliveries.length === 1, 5000, 'the delivery');
    await new Promise((r) => setTimeout(r, 300));
    expect(create.deliveries).toEqual([sent.messageId]);
    expect(create.effects).toEqual(['created vol-2']);
  });

  it('publishes a fanout again too, and every listener gets it', async () => {
    const topic = newTopic();
    const got: string[] = [];
    for (const host of ['h1', 'h2']) {
      const server = await transport();
      await server.listen({ topic, server: host, fanout: true }, async () => void got.push(host));
    }
    const client = await transport({}, true);

    proxy.hold('toBroker');
    const cast = client.cast({ topic, fanout: true }, message('update_service_capabilities'));
    await new Promise((r) => setTimeout(r, 200));
    proxy.cut();

    await expect(cast).resolves.toBeUndefined();
    await waitFor(() => got.length === 2, 5000, 'both listeners');
    expect(got.sort()).toEqual(['h1', 'h2']);
  });

  it('fails with MessageDeliveryFailure when retries are off (castRetries: 0)', async () => {
    const topic = newTopic();
    const server = await transport();
    await server.listen({ topic, server: 'h1' }, async () => undefined);
    const client = await transport({ castRetries: 0 }, true);

    proxy.hold('toClient');
    const cast = client.cast({ topic }, message('create_volume')).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 200));
    proxy.cut();

    const err = await cast;
    expect(err).toBeInstanceOf(MessageDeliveryFailure);
    expect((err as Error).message).toContain('lost before the broker confirmed');
  });

  it('fails once the connection is not back within publishWaitMs, naming both', async () => {
    const topic = newTopic();
    const server = await transport();
    await server.listen({ topic, server: 'h1' }, async () => undefined);
    const client = await transport({ publishWaitMs: 300 }, true);

    proxy.hold('toBroker');
    const cast = client.cast({ topic }, message('create_volume')).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 100));
    proxy.setDown();
    const started = Date.now();
    const err = await cast;
    const waitedMs = Date.now() - started;
    proxy.setUp();

    expect(err).toBeInstanceOf(MessageDeliveryFailure);
    expect((err as Error).message).toMatch(/lost before the broker confirmed .*not back within \d+ ms/);
    expect(waitedMs).toBeLessThan(2000);
    await waitFor(() => client.connected, 10_000, 'the reconnect');
  });

  it('never publishes again after a nack', async () => {
    const topic = newTopic();
    const logs: string[] = [];
    const t = await transport({ logger: recordingLogger(logs) });
    const conn = await amqp.connect(url);
    try {
      const ch = await conn.createChannel();
      const queue = `${ns.queuePrefix}${topic}`;
      await ch.assertQueue(queue, {
        durable: false,
        arguments: { 'x-max-length': 1, 'x-overflow': 'reject-publish' },
      });
      await ch.bindQueue(queue, ns.exchange, topic);

      await t.cast({ topic }, message('fill'));
      const err = await t.cast({ topic }, message('overflow')).catch((e: unknown) => e);

      expect(err).toBeInstanceOf(MessageDeliveryFailure);
      expect((err as Error).message).toContain('nack');
      expect((await ch.checkQueue(queue)).messageCount).toBe(1);
      expect(logs.filter((l) => l.includes('publishing it again'))).toEqual([]);
    } finally {
      await conn.close();
    }
  });

  it('never publishes again an unroutable cast (returned): it fails at once', async () => {
    const logs: string[] = [];
    const t = await transport({ logger: recordingLogger(logs) });
    const started = Date.now();

    const err = await t
      .cast({ topic: newTopic(), server: 'nobody' }, message('lost'))
      .catch((e: unknown) => e);

    expect(err).toBeInstanceOf(MessageDeliveryFailure);
    expect((err as Error).message).toContain('no queue is bound');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(logs.filter((l) => l.includes('publishing it again'))).toEqual([]);
  });

  it('never publishes a call again: it fails with MessageDeliveryFailure and the handler ran once', async () => {
    const topic = newTopic();
    const server = await transport();
    const runs: string[] = [];
    await server.listen({ topic, server: 'h1' }, async (m) => {
      runs.push(m.messageId);
      await new Promise((r) => setTimeout(r, 300));
      return 'done';
    });
    const client = await transport({}, true);

    proxy.hold('toClient');
    const call = client.call({ topic }, message('work'), { timeoutMs: 10_000 }).catch((e: unknown) => e);
    await waitFor(() => runs.length === 1, 5000, 'the call to run');
    proxy.cut();

    expect(await call).toBeInstanceOf(MessageDeliveryFailure);
    await waitFor(() => client.connected, 10_000, 'the reconnect');
    await new Promise((r) => setTimeout(r, 500));
    expect(runs).toHaveLength(1);
  });
});
