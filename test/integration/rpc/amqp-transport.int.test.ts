/** @jest-environment ./test/integration/rpc/unhandled-rejection-environment.js */
/**
 * What only the AMQP transport has to show, on real RabbitMQ (TEST_AMQP_URL): publisher confirms,
 * reconnects after the broker or the network dropped the connection, prompt failure of calls in
 * flight, bounded waiting of casts during an outage, prefetch, several transports (standing for
 * several processes) sharing a topic, message expiry, and malformed input on the wire.
 */
import * as amqp from 'amqplib';

import { AmqpTransport } from '../../../src/rpc/amqp-transport';
import { backoffDelayMs } from '../../../src/rpc/amqp/backoff';
import {
  InvalidRpcMessageError,
  MessageDeliveryFailure,
  MessagingTimeout,
  RemoteError,
} from '../../../src/rpc/errors';
import type { MessageHandler, RpcMessage } from '../../../src/rpc/transport';
import { message, waitFor } from '../../contracts/transport.contract';
import {
  BrokerProxy,
  closeConnectionFromBroker,
  connectedTransport,
  deleteNamespace,
  listQueues,
  queueDurability,
  requireAmqpUrl,
  transportOptions,
  uniqueNamespace,
  unhandledRejections,
} from './amqp-helpers';

const ns = uniqueNamespace('amqp');
const transientNs = uniqueNamespace('amqp-transient');
let url: string;
const open: AmqpTransport[] = [];
let topicSeq = 0;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A topic of its own for each test. */
function newTopic(): string {
  topicSeq++;
  return `topic${topicSeq}`;
}

async function transport(
  extra: Parameters<typeof connectedTransport>[2] = {},
  via?: BrokerProxy,
): Promise<AmqpTransport> {
  const t = await connectedTransport(via === undefined ? url : via.url(url), ns, extra);
  open.push(t);
  return t;
}

beforeAll(async () => {
  url = await requireAmqpUrl();
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

afterAll(async () => {
  if (url !== undefined) {
    await deleteNamespace(url, ns);
    await deleteNamespace(url, transientNs);
    expect(await listQueues(ns)).toEqual([]);
    expect(await listQueues(transientNs)).toEqual([]);
  }
  expect(unhandledRejections()).toEqual([]);
});

describe('AmqpTransport on RabbitMQ', () => {
  it('runs under the environment that records unhandled rejections', () => {
    expect(Array.isArray(unhandledRejections())).toBe(true);
  });

  it('describes itself by host and vhost, without credentials', async () => {
    const t = new AmqpTransport({ url: 'amqp://guest:s3cret@127.0.0.1:5672/' });

    expect(t.description).toBe('amqp://127.0.0.1:5672/');
    expect(t.connected).toBe(false);
  });

  it('refuses bad constructor options with a clear error', () => {
    expect(() => new AmqpTransport({ url: 'http://x/' })).toThrow(/amqp:\/\//);
    expect(() => new AmqpTransport({ url: 'not a url' })).toThrow(/not a valid URL/);
    expect(() => new AmqpTransport({ url, prefetch: 0 })).toThrow(/prefetch must be a positive integer/);
    expect(() => new AmqpTransport({ url, exchange: 'a b' })).toThrow(/invalid exchange/);
  });

  it('fails connect() with MessageDeliveryFailure naming the broker when nothing listens there', async () => {
    const t = new AmqpTransport({ url: 'amqp://guest:guest@127.0.0.1:1/', connectTimeoutMs: 1000 });

    const err = await t.connect().catch((e: unknown) => e);
    await t.close();

    expect(err).toBeInstanceOf(MessageDeliveryFailure);
    expect((err as Error).message).toContain('amqp://127.0.0.1:1/');
    expect((err as Error).message).not.toContain('guest:guest');
  });

  it('rejects a cast the broker nacks (queue full, reject-publish) with MessageDeliveryFailure', async () => {
    const t = await transport();
    const topic = newTopic();
    const conn = await amqp.connect(url);
    const ch = await conn.createChannel();
    const queue = `${ns.queuePrefix}${topic}`;
    await ch.assertQueue(queue, {
      durable: false,
      arguments: { 'x-max-length': 1, 'x-overflow': 'reject-publish' },
    });
    await ch.bindQueue(queue, ns.exchange, topic);

    const first = await t.cast({ topic }, message('fill')).then(() => 'accepted');
    const second = await t.cast({ topic }, message('overflow')).catch((e: unknown) => e);
    const call = await t
      .call({ topic }, message('overflow-call'), { timeoutMs: 5000 })
      .catch((e: unknown) => e);
    await conn.close();

    expect(first).toBe('accepted');
    expect(second).toBeInstanceOf(MessageDeliveryFailure);
    expect(second).toMatchObject({ topic, method: 'overflow' });
    expect((second as Error).message).toContain('nack');
    expect(call).toBeInstanceOf(MessageDeliveryFailure);
  });

  it('rejects an unroutable call at once with MessageDeliveryFailure, not after its timeout', async () => {
    const t = await transport();
    const started = Date.now();

    const err = await t
      .call({ topic: newTopic(), server: 'nobody' }, message('lost'), { timeoutMs: 20_000 })
      .catch((e: unknown) => e);

    expect(err).toBeInstanceOf(MessageDeliveryFailure);
    expect((err as Error).message).toContain('no queue is bound');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('reconnects after the broker closes its connections and serves later calls and fanouts', async () => {
    const topic = newTopic();
    const server = await transport();
    const client = await transport();
    const fanouts: string[] = [];
    await server.listen({ topic, server: 'h1', fanout: true }, async (m) => {
      if (m.method === 'note') fanouts.push(String(m.args.n));
      return 'pong';
    });
    await expect(client.call({ topic }, message('ping'), { timeoutMs: 5000 })).resolves.toBe('pong');

    const closed =
      (await closeConnectionFromBroker(server.connectionName)) +
      (await closeConnectionFromBroker(client.connectionName));
    await waitFor(() => server.connected && client.connected, 15_000, 'both transports to reconnect');

    expect(closed).toBe(2);
    await expect(client.call({ topic }, message('ping'), { timeoutMs: 5000 })).resolves.toBe('pong');
    await expect(client.call({ topic, server: 'h1' }, message('ping'), { timeoutMs: 5000 })).resolves.toBe(
      'pong',
    );
    await client.cast({ topic, fanout: true }, message('note', { n: 1 }));
    await waitFor(() => fanouts.length === 1, 5000, 'the fanout after the reconnect');
    expect(fanouts).toEqual(['1']);
  });

  it('re-declares queues, bindings and consumers after an outage with several failed reconnect attempts', async () => {
    const proxy = await BrokerProxy.start(url);
    try {
      const topic = newTopic();
      const server = await transport({}, proxy);
      const fanouts: string[] = [];
      await server.listen({ topic, server: 'h1', fanout: true }, async (m) => {
        if (m.method === 'note') fanouts.push('h1');
        return 'h1';
      });
      const client = await transport();

      proxy.setDown();
      await waitFor(() => !server.connected, 5000, 'the server to notice');
      const attemptsBefore = proxy.attempts;
      await waitFor(() => proxy.attempts >= attemptsBefore + 3, 10_000, 'three refused reconnect attempts');
      proxy.setUp();
      await waitFor(() => server.connected, 10_000, 'the server to reconnect');

      await expect(client.call({ topic, server: 'h1' }, message('ping'), { timeoutMs: 5000 })).resolves.toBe(
        'h1',
      );
      await expect(client.call({ topic }, message('ping'), { timeoutMs: 5000 })).resolves.toBe('h1');
      await client.cast({ topic, fanout: true }, message('note'));
      await waitFor(() => fanouts.length === 1, 5000, 'the fanout');
      expect(fanouts).toEqual(['h1']);
    } finally {
      await proxy.stop();
    }
  });

  it('rejects a call in flight promptly when its connection drops, and the next call succeeds', async () => {
    const proxy = await BrokerProxy.start(url);
    try {
      const topic = newTopic();
      const server = await transport();
      let started = 0;
      await server.listen({ topic, server: 'h1' }, async (m) => {
        started++;
        if (m.method === 'slow') await sleep(1500);
        return m.method;
      });
      const client = await transport({}, proxy);
      const pending = client.call({ topic }, message('slow'), { timeoutMs: 30_000 }).catch((e: unknown) => e);
      await waitFor(() => started === 1, 5000, 'the handler to start');

      const cutAt = Date.now();
      proxy.cut();
      const err = await pending;
      const rejectedAfterMs = Date.now() - cutAt;

      expect(err).toBeInstanceOf(MessageDeliveryFailure);
      expect(err).not.toBeInstanceOf(MessagingTimeout);
      expect((err as Error).message).toContain('connection to the broker was lost');
      expect(rejectedAfterMs).toBeLessThan(1000);
      await waitFor(() => client.connected, 10_000, 'the client to reconnect');
      await expect(client.call({ topic }, message('fast'), { timeoutMs: 5000 })).resolves.toBe('fast');
    } finally {
      await proxy.stop();
    }
  });

  it('redelivers a call whose server lost its connection mid-handler, and the caller gets the answer', async () => {
    const proxy = await BrokerProxy.start(url);
    try {
      const topic = newTopic();
      const runs: number[] = [];
      const server = await transport({}, proxy);
      await server.listen({ topic, server: 'h1' }, async () => {
        runs.push(Date.now());
        if (runs.length === 1) await sleep(500); // the connection is cut during this run
        return `run ${runs.length}`;
      });
      const client = await transport();

      const pending = client.call({ topic }, message('work'), { timeoutMs: 20_000 });
      await waitFor(() => runs.length === 1, 5000, 'the first run');
      proxy.cut();

      await expect(pending).resolves.toBe('run 2');
      expect(runs).toHaveLength(2);
    } finally {
      await proxy.stop();
    }
  });

  it('holds a cast during an outage until the connection is back, then delivers it', async () => {
    const proxy = await BrokerProxy.start(url);
    try {
      const topic = newTopic();
      const got: string[] = [];
      const server = await transport();
      await server.listen({ topic, server: 'h1' }, async (m) => void got.push(m.method));
      const client = await transport({ publishWaitMs: 10_000 }, proxy);

      proxy.setDown();
      await waitFor(() => !client.connected, 5000, 'the client to notice');
      let settled = false;
      const cast = client.cast({ topic }, message('during-outage')).finally(() => (settled = true));
      await sleep(500);
      const settledWhileDown = settled;
      proxy.setUp();
      await cast;

      expect(settledWhileDown).toBe(false);
      await waitFor(() => got.length === 1, 5000, 'delivery');
      expect(got).toEqual(['during-outage']);
    } finally {
      await proxy.stop();
    }
  });

  it('fails a cast with MessageDeliveryFailure when the outage outlasts publishWaitMs, and recovers', async () => {
    const proxy = await BrokerProxy.start(url);
    try {
      const topic = newTopic();
      const server = await transport();
      const got: string[] = [];
      await server.listen({ topic, server: 'h1' }, async (m) => void got.push(m.method));
      const client = await transport({ publishWaitMs: 400 }, proxy);

      proxy.setDown();
      await waitFor(() => !client.connected, 5000, 'the client to notice');
      const started = Date.now();
      const err = await client.cast({ topic }, message('lost')).catch((e: unknown) => e);
      const waitedMs = Date.now() - started;
      proxy.setUp();
      await waitFor(() => client.connected, 10_000, 'reconnect');
      await client.cast({ topic }, message('after'));

      expect(err).toBeInstanceOf(MessageDeliveryFailure);
      expect((err as Error).message).toContain('no connection to the broker within 400 ms');
      expect(waitedMs).toBeGreaterThanOrEqual(390);
      expect(waitedMs).toBeLessThan(2000);
      await waitFor(() => got.length === 1, 5000, 'delivery after the reconnect');
      expect(got).toEqual(['after']);
    } finally {
      await proxy.stop();
    }
  });

  it('fails a cast the broker never confirms after confirmTimeoutMs instead of hanging', async () => {
    const proxy = await BrokerProxy.start(url);
    try {
      const topic = newTopic();
      const server = await transport();
      await server.listen({ topic, server: 'h1' }, async () => undefined);
      const client = await transport({ confirmTimeoutMs: 300 }, proxy);

      proxy.freeze();
      const started = Date.now();
      const err = await client.cast({ topic }, message('unconfirmed')).catch((e: unknown) => e);
      const waitedMs = Date.now() - started;
      proxy.thaw();

      expect(err).toBeInstanceOf(MessageDeliveryFailure);
      expect((err as Error).message).toContain('did not confirm the message within 300 ms');
      expect(waitedMs).toBeGreaterThanOrEqual(290);
      expect(waitedMs).toBeLessThan(2000);
      await expect(client.cast({ topic }, message('after-thaw'))).resolves.toBeUndefined();
    } finally {
      await proxy.stop();
    }
  });

  it('stops reconnecting once closed', async () => {
    const proxy = await BrokerProxy.start(url);
    try {
      const client = await transport({}, proxy);
      proxy.setDown();
      await waitFor(() => proxy.attempts >= 3, 10_000, 'reconnect attempts');

      await client.close();
      await client.close();
      const attemptsAtClose = proxy.attempts;
      proxy.setUp();
      await sleep(1200);

      expect(proxy.attempts).toBe(attemptsAtClose);
      expect(client.connected).toBe(false);
      await expect(client.cast({ topic: 'any' }, message('m'))).rejects.toThrow(/closed/);
    } finally {
      await proxy.stop();
    }
  });

  it('closes promptly even when the connection dies during the close handshake', async () => {
    const proxy = await BrokerProxy.start(url);
    try {
      const client = await transport({}, proxy);
      const started = Date.now();

      proxy.cut();
      await client.close();

      expect(Date.now() - started).toBeLessThan(3000);
      expect(client.connected).toBe(false);
    } finally {
      await proxy.stop();
    }
  });

  it('honours the prefetch limit: a busy consumer holds at most `prefetch` messages', async () => {
    const topic = newTopic();
    const slow = await transport({ prefetch: 2 });
    let running = 0;
    let maxRunning = 0;
    let handled = 0;
    const gates: Array<() => void> = [];
    await slow.listen({ topic, server: 'slow' }, async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise<void>((release) => gates.push(release));
      running--;
      handled++;
    });
    const client = await transport();

    for (let i = 0; i < 8; i++) await client.cast({ topic }, message('job', { i }));
    await waitFor(() => running === 2, 5000, 'two handlers running');
    await sleep(300);
    const whileBlocked = { running, maxRunning };
    // A second server on the topic takes what the first one did not hoard.
    let second = 0;
    const other = await transport();
    await other.listen({ topic, server: 'fast' }, async () => void second++);
    await waitFor(() => second === 6, 5000, 'the second server to take the other six');
    while (handled < 2) {
      gates.shift()?.();
      await sleep(10);
    }

    expect(whileBlocked).toEqual({ running: 2, maxRunning: 2 });
    expect(second).toBe(6);
    expect(handled).toBe(2);
  });

  it('lets two transports (two processes) share a topic round-robin, and both receive every fanout', async () => {
    const topic = newTopic();
    const a = await transport();
    const b = await transport();
    const client = await transport();
    const got: string[] = [];
    const handler =
      (who: string): MessageHandler =>
      async (m: RpcMessage) => {
        got.push(`${who}:${m.method}`);
        return who;
      };
    await a.listen({ topic, server: 'hostA', fanout: true }, handler('a'));
    await b.listen({ topic, server: 'hostB', fanout: true }, handler('b'));

    const answers: unknown[] = [];
    for (let i = 0; i < 6; i++)
      answers.push(await client.call({ topic }, message('share'), { timeoutMs: 5000 }));
    await client.cast({ topic, fanout: true }, message('everyone'));
    await waitFor(() => got.filter((g) => g.endsWith(':everyone')).length === 2, 5000, 'fanout to both');

    expect(answers.filter((x) => x === 'a')).toHaveLength(3);
    expect(answers.filter((x) => x === 'b')).toHaveLength(3);
    expect(got.filter((g) => g.endsWith(':everyone')).sort()).toEqual(['a:everyone', 'b:everyone']);
  });

  it('drops a call that timed out before any server took it: it never runs late', async () => {
    const topic = newTopic();
    const server = await transport();
    const first = await server.listen({ topic, server: 'h1' }, async () => 'x');
    await first.close(); // the queue stays, with nobody consuming
    const client = await transport();

    const err = await client.call({ topic }, message('stale'), { timeoutMs: 200 }).catch((e: unknown) => e);
    await sleep(300);
    const seen: string[] = [];
    await server.listen({ topic, server: 'h1' }, async (m) => void seen.push(m.method));
    await client.cast({ topic }, message('fresh'));
    await waitFor(() => seen.includes('fresh'), 5000, 'the fresh cast');

    expect(err).toBeInstanceOf(MessagingTimeout);
    expect(seen).toEqual(['fresh']);
  });

  it('answers malformed or foreign-version messages with InvalidRpcMessageError and keeps serving', async () => {
    const topic = newTopic();
    const server = await transport();
    await server.listen({ topic, server: 'h1' }, async () => 'ok');
    const conn = await amqp.connect(url);
    const ch = await conn.createChannel();
    const replies: Array<{ id: string; body: Record<string, unknown> }> = [];
    await ch.consume(
      'amq.rabbitmq.reply-to',
      (msg) => {
        if (msg !== null)
          replies.push({
            id: String(msg.properties.correlationId),
            body: JSON.parse(msg.content.toString()),
          });
      },
      { noAck: true },
    );
    const send = (id: string, body: string): boolean =>
      ch.publish(ns.exchange, topic, Buffer.from(body), {
        replyTo: 'amq.rabbitmq.reply-to',
        correlationId: id,
      });

    send('garbage', '{not json');
    send('v2', JSON.stringify({ ...message('m'), envelopeVersion: 2 }));
    send('noargs', JSON.stringify({ envelopeVersion: 1, method: 'm', messageId: 'x', context: {} }));
    ch.publish(ns.exchange, topic, Buffer.from('cast garbage'), {});
    await waitFor(() => replies.length === 3, 5000, 'three failure replies');
    await conn.close();

    for (const r of replies) {
      expect(r.body).toMatchObject({
        envelopeVersion: 1,
        ok: false,
        failure: { name: 'InvalidRpcMessageError', code: 'RPC_INVALID_MESSAGE' },
      });
    }
    expect(replies.map((r) => r.id).sort()).toEqual(['garbage', 'noargs', 'v2']);
    await expect(server.call({ topic }, message('ping'), { timeoutMs: 5000 })).resolves.toBe('ok');
  });

  it('turns a handler error on a call into a failure reply, never a crash or a timeout', async () => {
    const topic = newTopic();
    const server = await transport();
    await server.listen({ topic, server: 'h1' }, async (m) => {
      if (m.method === 'throw-string') throw 'plain string';
      throw new RangeError('out of range');
    });

    const e1 = await server
      .call({ topic }, message('throw-string'), { timeoutMs: 5000 })
      .catch((e: unknown) => e);
    const e2 = await server
      .call({ topic }, message('throw-range'), { timeoutMs: 5000 })
      .catch((e: unknown) => e);

    expect(e1).toBeInstanceOf(RemoteError);
    expect(e1).toMatchObject({ remoteMessage: 'plain string' });
    expect(e2).toBeInstanceOf(RemoteError);
    expect(e2).toMatchObject({ remoteName: 'RangeError', remoteMessage: 'out of range' });
  });

  it('answers a call whose result JSON cannot carry with InvalidRpcMessageError instead of no reply', async () => {
    const topic = newTopic();
    const server = await transport();
    await server.listen({ topic, server: 'h1' }, async (m) => {
      if (m.method === 'bigint') return { big: 10n };
      const cyclic: Record<string, unknown> = {};
      cyclic['self'] = cyclic;
      return cyclic;
    });

    const e1 = await server.call({ topic }, message('bigint'), { timeoutMs: 5000 }).catch((e: unknown) => e);
    const e2 = await server.call({ topic }, message('cyclic'), { timeoutMs: 5000 }).catch((e: unknown) => e);

    expect(e1).toBeInstanceOf(InvalidRpcMessageError);
    expect(e2).toBeInstanceOf(InvalidRpcMessageError);
    expect((e2 as Error).message).toContain('not serializable');
  });

  it('refuses a call addressed as a fanout, and a topic with a dot', async () => {
    const t = await transport();

    await expect(t.call({ topic: 'x', fanout: true }, message('m'))).rejects.toBeInstanceOf(
      InvalidRpcMessageError,
    );
    await expect(t.cast({ topic: 'a.b' }, message('m'))).rejects.toBeInstanceOf(InvalidRpcMessageError);
  });

  it('computes capped exponential backoff with bounded jitter', () => {
    const opts = { initialDelayMs: 100, maxDelayMs: 1000, jitter: 0.2 };

    expect([0, 1, 2, 3, 4, 10].map((n) => backoffDelayMs(n, opts, () => 0.5))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
    expect(backoffDelayMs(2, opts, () => 0)).toBe(320);
    expect(backoffDelayMs(2, opts, () => 1)).toBe(480);
    expect(backoffDelayMs(50, opts, () => 1)).toBe(1200);
  });
});

describe('AmqpTransport topology', () => {
  it('declares topic, topic.server and one exclusive fanout queue per listener, under the prefix', async () => {
    const t = await transport();
    const topic = newTopic();
    await t.listen({ topic, server: 'hostX', fanout: true }, async () => undefined);

    const queues = await listQueues(ns);

    expect(queues).toEqual(
      expect.arrayContaining([`${ns.queuePrefix}${topic}`, `${ns.queuePrefix}${topic}.hostX`]),
    );
    expect(queues.filter((q) => q.startsWith(`${ns.queuePrefix}${topic}_fanout_`))).toHaveLength(1);
    expect(transportOptions(url, ns).exchange).toBe(ns.exchange);
  });

  it('keeps topic queues durable and casts persistent by default, so queued casts outlive a broker restart', async () => {
    const durableTopic = newTopic();
    const transientTopic = newTopic();
    const t = await transport();
    // A deployment is durable or not as a whole: its exchange cannot be both.
    const transient = await connectedTransport(url, transientNs, { durable: false });
    open.push(transient);
    await (await t.listen({ topic: durableTopic, server: 'h1' }, async () => undefined)).close();
    await (await transient.listen({ topic: transientTopic, server: 'h1' }, async () => undefined)).close();
    await t.cast({ topic: durableTopic }, message('kept'));
    const conn = await amqp.connect(url);
    const ch = await conn.createChannel();

    const queued = await ch.get(`${ns.queuePrefix}${durableTopic}`, { noAck: true });
    const durability = await queueDurability(ns);
    await conn.close();

    expect(queued).not.toBe(false);
    expect(queued !== false && queued.properties.deliveryMode).toBe(2);
    expect(durability[`${ns.queuePrefix}${durableTopic}`]).toBe(true);
    expect(durability[`${ns.queuePrefix}${durableTopic}.h1`]).toBe(true);
    expect((await queueDurability(transientNs))[`${transientNs.queuePrefix}${transientTopic}`]).toBe(false);
  });
});
