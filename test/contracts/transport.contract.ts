/**
 * The behaviour every Transport must show, run against each implementation:
 * `transportContract('in-process', async () => new InProcessTransport())` in the unit suite and the
 * same with the AMQP transport against RabbitMQ in the integration suite.
 *
 * Each test uses its own random topics, so runs on a shared broker never interfere. One transport
 * per test plays both the client and the server side.
 */
import { v4 as uuidv4 } from 'uuid';
import {
  InvalidRpcMessageError,
  MessageDeliveryFailure,
  MessagingTimeout,
  RemoteError,
  registerRemoteErrorClass,
} from '../../src/rpc/errors';
import type { MessageHandler, RpcMessage, Subscription, Transport } from '../../src/rpc/transport';

/** A domain-like error the contract registers, to check it is re-raised as the same class. */
export class ContractWidgetError extends Error {
  readonly code = 'CONTRACT_WIDGET';
  constructor(
    readonly widgetId: string,
    readonly sizeGb: number,
  ) {
    super(`widget ${widgetId} is broken`);
    this.name = 'ContractWidgetError';
  }
}
registerRemoteErrorClass(ContractWidgetError);

/** Never registered: must come back as RemoteError. */
class ContractUnknownError extends Error {
  constructor(readonly detail: string) {
    super('something unknown happened');
    this.name = 'ContractUnknownError';
  }
}

export function newTopic(): string {
  return `contract_${uuidv4().replace(/-/g, '').slice(0, 12)}`;
}

export function message(method: string, args: Record<string, unknown> = {}, version?: string): RpcMessage {
  return {
    envelopeVersion: 1,
    method,
    args,
    context: { requestId: 'req-contract', roles: ['member'], isAdmin: false },
    ...(version !== undefined ? { version } : {}),
    messageId: uuidv4(),
  };
}

const realSetTimeout = setTimeout;
const sleep = (ms: number): Promise<void> => new Promise((r) => realSetTimeout(r, ms));

/** Poll until `cond()` holds (real timers), failing after `timeoutMs`. */
export async function waitFor(cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

export function transportContract(name: string, makeTransport: () => Promise<Transport>): void {
  describe(`Transport contract: ${name}`, () => {
    let transport: Transport;
    const extra: Transport[] = [];
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };

    beforeAll(() => {
      process.on('unhandledRejection', onUnhandled);
    });
    afterAll(() => {
      process.off('unhandledRejection', onUnhandled);
      expect(unhandled).toEqual([]);
    });
    beforeEach(async () => {
      transport = await makeTransport();
      await transport.connect();
    });
    afterEach(async () => {
      await transport.close();
      for (const t of extra.splice(0)) await t.close();
    });

    const listen = (
      topic: string,
      server: string,
      handler: MessageHandler,
      fanout = true,
    ): Promise<Subscription> => transport.listen({ topic, server, fanout }, handler);

    it('describes itself without a password', () => {
      expect(typeof transport.description).toBe('string');
      expect(transport.description).not.toMatch(/:[^:@/]+@/);
    });

    it('answers a call with the handler result and hands the handler the whole envelope', async () => {
      const topic = newTopic();
      const seen: RpcMessage[] = [];
      await listen(topic, 'host1', async (m) => {
        seen.push(m);
        return { echoed: m.args, n: 42, list: [1, 'two', null] };
      });
      const sent = message('echo', { volumeId: 'v-1', sizeGb: 2, nested: { a: [1, 2] } }, '3.1');

      const result = await transport.call({ topic }, sent, { timeoutMs: 5000 });

      expect(result).toEqual({
        echoed: { volumeId: 'v-1', sizeGb: 2, nested: { a: [1, 2] } },
        n: 42,
        list: [1, 'two', null],
      });
      expect(seen).toHaveLength(1);
      expect(seen[0]).toEqual(sent);
    });

    it('sends messages and replies as JSON: no shared references, Dates become strings', async () => {
      const topic = newTopic();
      const when = new Date('2024-01-02T03:04:05.000Z');
      let received: RpcMessage | undefined;
      const replyObject = { at: when, list: [1] };
      await listen(topic, 'host1', async (m) => {
        received = m;
        return replyObject;
      });
      const args = { at: when, list: [1, 2] };

      const result = (await transport.call({ topic }, message('m', args), { timeoutMs: 5000 })) as Record<
        string,
        unknown
      >;

      expect(received!.args).toEqual({ at: '2024-01-02T03:04:05.000Z', list: [1, 2] });
      expect(received!.args).not.toBe(args);
      expect(result).toEqual({ at: '2024-01-02T03:04:05.000Z', list: [1] });
      expect(result['list']).not.toBe(replyObject.list);
    });

    it('returns null for a handler that returns nothing', async () => {
      const topic = newTopic();
      await listen(topic, 'host1', async () => undefined);

      await expect(transport.call({ topic }, message('noop'), { timeoutMs: 5000 })).resolves.toBeNull();
    });

    it('delivers asynchronously: the handler never runs inside cast() or call()', async () => {
      const topic = newTopic();
      const order: string[] = [];
      await listen(topic, 'host1', async (m) => {
        order.push(`handler ${m.method}`);
        return null;
      });

      // On a broker the publisher confirm may come after the delivery, so only the synchronous
      // return is ordered; what must never happen is the handler running re-entrantly inside.
      const casting = transport.cast({ topic }, message('cast'));
      order.push('cast returned');
      await casting;
      await waitFor(() => order.length === 2, 5000, 'cast delivery');
      const calling = transport.call({ topic }, message('call'), { timeoutMs: 5000 });
      order.push('call returned');
      await calling;

      expect(order).toEqual(['cast returned', 'handler cast', 'call returned', 'handler call']);
    });

    it('delivers a cast to exactly one listener of the topic', async () => {
      const topic = newTopic();
      const got: string[] = [];
      await listen(topic, 'a', async () => void got.push('a'));
      await listen(topic, 'b', async () => void got.push('b'));

      await transport.cast({ topic }, message('m'));
      await waitFor(() => got.length >= 1, 5000, 'cast delivery');
      await sleep(100);

      expect(got).toHaveLength(1);
    });

    it('shares a topic round-robin between its listeners', async () => {
      const topic = newTopic();
      const got: string[] = [];
      await listen(topic, 'a', async () => void got.push('a'));
      await listen(topic, 'b', async () => void got.push('b'));

      for (let i = 0; i < 6; i += 1) await transport.call({ topic }, message('m'), { timeoutMs: 5000 });

      expect(got.filter((x) => x === 'a')).toHaveLength(3);
      expect(got.filter((x) => x === 'b')).toHaveLength(3);
    });

    it('routes topic.server to that server only', async () => {
      const topic = newTopic();
      const got: string[] = [];
      await listen(topic, 'a', async () => void got.push('a'));
      await listen(topic, 'b', async () => {
        got.push('b');
        return 'from b';
      });

      const results: unknown[] = [];
      for (let i = 0; i < 4; i += 1)
        results.push(await transport.call({ topic, server: 'b' }, message('m'), { timeoutMs: 5000 }));
      await transport.cast({ topic, server: 'b' }, message('m'));
      await waitFor(() => got.length === 5, 5000, 'cast to b');

      expect(results).toEqual(['from b', 'from b', 'from b', 'from b']);
      expect(got).toEqual(['b', 'b', 'b', 'b', 'b']);
    });

    it('keeps topics apart', async () => {
      const t1 = newTopic();
      const t2 = newTopic();
      await listen(t1, 'h', async () => 't1');
      await listen(t2, 'h', async () => 't2');

      await expect(
        transport.call({ topic: t2, server: 'h' }, message('m'), { timeoutMs: 5000 }),
      ).resolves.toBe('t2');
      await expect(transport.call({ topic: t1 }, message('m'), { timeoutMs: 5000 })).resolves.toBe('t1');
    });

    it('fans a cast out to every server listening on the fanout, and only to them', async () => {
      const topic = newTopic();
      const got: string[] = [];
      for (const s of ['a', 'b', 'c'])
        await listen(topic, s, async (m) => void got.push(`${s}:${String(m.args['n'])}`));
      await listen(topic, 'nofanout', async () => void got.push('nofanout'), false);

      await transport.cast({ topic, fanout: true }, message('update', { n: 1 }));
      await waitFor(() => got.length >= 3, 5000, 'fanout delivery');
      await sleep(100);

      expect([...got].sort()).toEqual(['a:1', 'b:1', 'c:1']);
    });

    it('rejects a call not answered in time with MessagingTimeout naming topic and method', async () => {
      const topic = newTopic();
      let release!: () => void;
      const hung = new Promise<void>((r) => (release = r));
      await listen(topic, 'slow', () => hung.then(() => 'too late'));

      const started = Date.now();
      const err = await transport
        .call({ topic }, message('get_capabilities'), { timeoutMs: 150 })
        .catch((e: unknown) => e);
      release();

      expect(err).toBeInstanceOf(MessagingTimeout);
      expect(err).toMatchObject({ topic, method: 'get_capabilities', timeoutMs: 150 });
      expect((err as Error).message).toContain(topic);
      expect((err as Error).message).toContain('get_capabilities');
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    });

    it('re-raises a registered remote error as the same class with message and fields', async () => {
      const topic = newTopic();
      await listen(topic, 'h', async () => {
        throw new ContractWidgetError('w-7', 3);
      });

      const err = await transport
        .call({ topic }, message('break'), { timeoutMs: 5000 })
        .catch((e: unknown) => e);

      expect(err).toBeInstanceOf(ContractWidgetError);
      expect(err).toMatchObject({
        name: 'ContractWidgetError',
        message: 'widget w-7 is broken',
        widgetId: 'w-7',
        sizeGb: 3,
        code: 'CONTRACT_WIDGET',
      });
    });

    it('re-raises an unknown remote error as RemoteError naming the class', async () => {
      const topic = newTopic();
      await listen(topic, 'h', async () => {
        throw new ContractUnknownError('d1');
      });

      const err = await transport
        .call({ topic }, message('break'), { timeoutMs: 5000 })
        .catch((e: unknown) => e);

      expect(err).toBeInstanceOf(RemoteError);
      expect(err).toMatchObject({
        remoteName: 'ContractUnknownError',
        remoteMessage: 'something unknown happened',
        remoteFields: { detail: 'd1' },
      });
    });

    it('survives a handler that throws on a cast and keeps serving', async () => {
      const topic = newTopic();
      let calls = 0;
      await listen(topic, 'h', async (m) => {
        calls += 1;
        if (m.method === 'explode') throw new Error('cast handler failure');
        if (m.method === 'explode-sync') throw new TypeError('sync-ish failure');
        return 'still alive';
      });

      await transport.cast({ topic }, message('explode'));
      await transport.cast({ topic }, message('explode-sync'));
      await waitFor(() => calls === 2, 5000, 'both casts');

      await expect(transport.call({ topic }, message('ping'), { timeoutMs: 5000 })).resolves.toBe(
        'still alive',
      );
    });

    it('stops delivering to a closed subscription and lets others take over', async () => {
      const topic = newTopic();
      const got: string[] = [];
      const a = await listen(topic, 'a', async () => void got.push('a'));
      await listen(topic, 'b', async () => void got.push('b'));

      await a.close();
      await a.close();
      for (let i = 0; i < 4; i += 1) await transport.call({ topic }, message('m'), { timeoutMs: 5000 });

      expect(got).toEqual(['b', 'b', 'b', 'b']);
    });

    it('lets in-flight handlers finish when their subscription closes', async () => {
      const topic = newTopic();
      let finished = false;
      let started = false;
      const sub = await listen(topic, 'a', async () => {
        started = true;
        await sleep(100);
        finished = true;
        return 'done';
      });

      const call = transport.call({ topic }, message('m'), { timeoutMs: 5000 });
      await waitFor(() => started, 5000, 'handler start');
      await sub.close();

      expect(finished).toBe(true);
      await call.then(
        (v) => expect(v).toBe('done'),
        () => undefined, // a transport may drop the reply of a closed consumer; the handler still finished
      );
    });

    it('refuses a cast nobody can receive with MessageDeliveryFailure', async () => {
      const topic = newTopic();

      await expect(transport.cast({ topic }, message('lost'))).rejects.toBeInstanceOf(MessageDeliveryFailure);
    });

    it('fails a call nobody can receive instead of hanging', async () => {
      const topic = newTopic();

      const err = await transport
        .call({ topic }, message('lost'), { timeoutMs: 300 })
        .catch((e: unknown) => e);

      expect(err instanceof MessageDeliveryFailure || err instanceof MessagingTimeout).toBe(true);
    });

    it('rejects a message that cannot survive JSON with InvalidRpcMessageError', async () => {
      const topic = newTopic();
      await listen(topic, 'h', async () => 'ok');

      await expect(transport.cast({ topic }, message('m', { big: 10n }))).rejects.toBeInstanceOf(
        InvalidRpcMessageError,
      );
      await expect(
        transport.call({ topic }, message('m', { big: 10n }), { timeoutMs: 1000 }),
      ).rejects.toBeInstanceOf(InvalidRpcMessageError);
    });

    it('closes idempotently and refuses work afterwards', async () => {
      const topic = newTopic();
      await listen(topic, 'h', async () => 'ok');

      await transport.close();
      await transport.close();

      await expect(transport.call({ topic }, message('m'), { timeoutMs: 500 })).rejects.toBeInstanceOf(Error);
      await expect(transport.cast({ topic }, message('m'))).rejects.toBeInstanceOf(Error);
    });

    it('fails pending calls when the transport closes', async () => {
      const topic = newTopic();
      let started = false;
      await listen(topic, 'h', () => {
        started = true;
        return new Promise(() => undefined);
      });

      const call = transport.call({ topic }, message('m'), { timeoutMs: 10_000 }).catch((e: unknown) => e);
      await waitFor(() => started, 5000, 'handler start');
      const closing = transport.close();
      const err = await call;

      expect(err).toBeInstanceOf(Error);
      expect(err).not.toBeInstanceOf(MessagingTimeout);
      void closing;
    });
  });
}
