/**
 * `npm run bench:rpc`: RPC round-trips and casts per second, with p50/p99 latency, over
 *   - amqp       the AmqpTransport on RabbitMQ (client and server on separate connections, as two processes);
 *   - floor      a plain amqplib request/reply loop on the same broker in the same run: a queue, a consumer that
 *                replies through direct reply-to, correlation ids, no envelope checks, no publisher confirms on
 *                calls (casts: persistent on a durable queue through a confirm channel, as the transport does by
 *                default); what the broker and amqplib cost alone;
 *   - floor+confirm  the same loop with what the broker does for a transport call: requests through a durable
 *                topic exchange on a confirm channel, `mandatory`, a per-message TTL (its casts would equal
 *                floor's, so it has no cast case);
 *   - in-process the InProcessTransport (every service in one process).
 * Cases: `call` at each concurrency of --concurrency (default 1,16; a worker sends its next call when the
 * previous one was answered), `cast` at concurrency 16 (each cast awaits the broker's confirm); for casts the
 * rate at which the server received them (until the last one arrived) is reported too.
 *
 * Broker: BENCH_AMQP_URL, else TEST_AMQP_URL, else amqp://guest:guest@127.0.0.1:5672/. The bench uses its own
 * exchange and queue names and deletes them at the end. Flags: --json (one JSON object per case on stdout),
 * --seconds N (timed seconds per case and contender, default 3), --rounds N (default 3: each case is timed in
 * N slices that take turns between the contenders, so load from other processes hits all of them alike),
 * --concurrency 1,16, --quick (1 s per case). Progress goes to stderr.
 * The whole run is bounded: it aborts with exit code 2 if it takes more than 4× its planned time plus 60 s.
 */
import { randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';

import * as amqp from 'amqplib';

import { AmqpTransport } from '../src/rpc/amqp-transport';
import { topicQueueName } from '../src/rpc/amqp/naming';
import { InProcessTransport } from '../src/rpc/in-process-transport';
import type { RpcMessage, Transport } from '../src/rpc/transport';
import { nowUs, progress, round } from './lib/timing';

interface Options {
  readonly json: boolean;
  readonly seconds: number;
  readonly concurrency: readonly number[];
  readonly rounds: number;
  readonly url: string;
}

function parseArgs(argv: readonly string[]): Options {
  let json = false;
  let seconds = 3;
  let concurrency: number[] = [1, 16];
  let rounds = 3;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--json') json = true;
    else if (arg === '--quick') seconds = 1;
    else if (arg === '--seconds') seconds = Number(value());
    else if (arg === '--concurrency') concurrency = value().split(',').map(Number);
    else if (arg === '--rounds') rounds = Number(value());
    else
      throw new Error(
        `unknown argument ${arg} (known: --json, --seconds N, --rounds N, --concurrency 1,16, --quick)`,
      );
  }
  if (!(seconds > 0 && seconds <= 120)) throw new Error('--seconds must be in (0, 120]');
  if (concurrency.some((c) => !Number.isInteger(c) || c < 1 || c > 1024)) {
    throw new Error('--concurrency takes integers in [1, 1024]');
  }
  const url = process.env.BENCH_AMQP_URL ?? process.env.TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672/';
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20)
    throw new Error('--rounds takes an integer in [1, 20]');
  return { json, seconds, concurrency, rounds, url };
}

/** What each contender offers the measuring loop. */
interface Contender {
  readonly name: 'amqp' | 'floor' | 'floor+confirm' | 'in-process';
  call(): Promise<unknown>;
  /** Absent when the contender has no cast case of its own. */
  readonly cast: (() => Promise<void>) | undefined;
  /** Casts the server side has received so far. */
  received(): number;
  close(): Promise<void>;
}

function benchMessage(method: string): RpcMessage {
  return {
    envelopeVersion: 1,
    method,
    args: { volumeId: randomUUID(), sizeGb: 1, name: 'bench-volume', metadata: { tier: 'gold' } },
    context: { requestId: `req-${randomUUID()}`, projectId: 'p-bench', roles: ['member'] },
    messageId: randomUUID(),
  };
}

const TOPIC = 'bench';

/** Server and client of one Transport implementation. */
async function transportContender(
  name: 'amqp' | 'in-process',
  server: Transport,
  client: Transport,
): Promise<Contender> {
  let received = 0;
  await server.connect();
  if (client !== server) await client.connect();
  await server.listen({ topic: TOPIC, server: 'bench-host' }, async (m) => {
    if (m.method === 'cast') {
      received++;
      return null;
    }
    return { volumeId: m.args['volumeId'], status: 'available' };
  });
  return {
    name,
    call: () => client.call({ topic: TOPIC }, benchMessage('call'), { timeoutMs: 30_000 }),
    cast: () => client.cast({ topic: TOPIC }, benchMessage('cast')),
    received: () => received,
    close: async () => {
      if (client !== server) await client.close();
      await server.close();
    },
  };
}

/** The floor: plain amqplib, one queue, direct reply-to, no envelope validation. */
async function floorContender(url: string, queue: string, confirmedCalls = false): Promise<Contender> {
  const serverConn = await amqp.connect(url, { noDelay: true });
  const clientConn = await amqp.connect(url, { noDelay: true });
  const sch = await serverConn.createChannel();
  // Durable queue and persistent casts, like the transport's defaults, so the casts compare like for like.
  await sch.assertQueue(queue, { durable: true, autoDelete: false });
  // floor+confirm routes its calls through a durable topic exchange, as the transport does.
  const exchange = `${queue}.x`;
  if (confirmedCalls) {
    await sch.assertExchange(exchange, 'topic', { durable: true, autoDelete: false });
    await sch.bindQueue(queue, exchange, queue);
  }
  await sch.prefetch(64);
  let received = 0;
  await sch.consume(queue, (msg) => {
    if (msg === null) return;
    const m = JSON.parse(msg.content.toString('utf8')) as RpcMessage;
    if (msg.properties.replyTo !== undefined) {
      const reply = { ok: true, result: { volumeId: m.args['volumeId'], status: 'available' } };
      sch.sendToQueue(String(msg.properties.replyTo), Buffer.from(JSON.stringify(reply)), {
        correlationId: msg.properties.correlationId as string,
      });
    } else {
      received++;
    }
    sch.ack(msg);
  });
  const confirm = await clientConn.createConfirmChannel();
  // Direct reply-to answers on the channel that published the request.
  const cch = confirmedCalls ? confirm : await clientConn.createChannel();
  const waiting = new Map<string, (v: unknown) => void>();
  await cch.consume(
    'amq.rabbitmq.reply-to',
    (msg) => {
      if (msg === null) return;
      const id = msg.properties.correlationId as string;
      const resolve = waiting.get(id);
      waiting.delete(id);
      resolve?.((JSON.parse(msg.content.toString('utf8')) as { result: unknown }).result);
    },
    { noAck: true },
  );
  return {
    name: confirmedCalls ? 'floor+confirm' : 'floor',
    call: () =>
      new Promise((resolve, reject) => {
        const correlationId = randomUUID();
        waiting.set(correlationId, resolve);
        const body = Buffer.from(JSON.stringify(benchMessage('call')));
        if (!confirmedCalls) {
          cch.sendToQueue(queue, body, { replyTo: 'amq.rabbitmq.reply-to', correlationId });
          return;
        }
        // What the broker does for an AmqpTransport call: confirm, mandatory routing, per-message TTL.
        confirm.publish(
          exchange,
          queue,
          body,
          { replyTo: 'amq.rabbitmq.reply-to', correlationId, mandatory: true, expiration: '30000' },
          (err: unknown) => {
            if (err) reject(err instanceof Error ? err : new Error(String(err)));
          },
        );
      }),
    // The casts of both floors are the same (confirmed, persistent): measured once, on 'floor'.
    cast: confirmedCalls
      ? undefined
      : () =>
          new Promise<void>((resolve, reject) => {
            confirm.sendToQueue(
              queue,
              Buffer.from(JSON.stringify(benchMessage('cast'))),
              { persistent: true },
              (err: unknown) =>
                err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(),
            );
          }),
    received: () => received,
    close: async () => {
      await clientConn.close();
      await sch.deleteQueue(queue).catch(() => undefined);
      if (confirmedCalls) await sch.deleteExchange(exchange).catch(() => undefined);
      await serverConn.close();
    },
  };
}

interface Result {
  readonly case: string;
  readonly transport: Contender['name'];
  readonly concurrency: number;
  readonly ops: number;
  readonly opsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Casts only: received by the server per second, from the first send until the last one arrived. */
  readonly deliveredPerSec?: number;
  readonly seconds: number;
  /** 1-minute load average when the case ended: the machine is shared, so read the figures with it. */
  readonly load1: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Run `op` from `concurrency` workers for `seconds`; latencies in µs. */
async function measure(
  op: () => Promise<unknown>,
  concurrency: number,
  seconds: number,
): Promise<{ ops: number; elapsedUs: number; latencies: number[] }> {
  const latencies: number[] = [];
  const start = nowUs();
  const deadline = start + seconds * 1e6;
  const worker = async (): Promise<void> => {
    while (nowUs() < deadline) {
      const t0 = nowUs();
      await op();
      latencies.push(nowUs() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsedUs = nowUs() - start;
  return { ops: latencies.length, elapsedUs, latencies };
}

interface Sample {
  ops: number;
  elapsedUs: number;
  latencies: number[];
  /** Casts: how many the server received, and the time from the first send until the last arrival. */
  delivered: number;
  deliveredUs: number;
}

/** Wait until the server side stops receiving (the backlog of earlier casts drained), at most 10 s. */
async function settle(contender: Contender): Promise<void> {
  const until = Date.now() + 10_000;
  let last = -1;
  while (contender.received() !== last && Date.now() < until) {
    last = contender.received();
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** One timed window of `op` on `contender`; for casts, also waits until they were all received. */
async function sample(
  contender: Contender,
  kind: 'call' | 'cast',
  concurrency: number,
  seconds: number,
): Promise<Sample> {
  const cast = contender.cast;
  const op = kind === 'call' || cast === undefined ? () => contender.call() : cast;
  if (kind === 'cast') await settle(contender);
  const receivedBefore = contender.received();
  const startUs = nowUs();
  const { ops, elapsedUs, latencies } = await measure(op, concurrency, seconds);
  if (kind === 'call') return { ops, elapsedUs, latencies, delivered: ops, deliveredUs: elapsedUs };
  const until = Date.now() + 30_000;
  while (contender.received() - receivedBefore < ops && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 2));
  }
  const delivered = contender.received() - receivedBefore;
  if (delivered < ops)
    progress(`  warning: ${contender.name} delivered ${delivered} of ${ops} casts within 30 s`);
  return { ops, elapsedUs, latencies, delivered, deliveredUs: nowUs() - startUs };
}

/**
 * One case on every contender: a warm-up each, then `rounds` rounds that take turns between the
 * contenders (so a burst of load from other processes on a shared machine hits all of them alike),
 * pooled into one result per contender.
 */
async function runCase(
  contenders: readonly Contender[],
  kind: 'call' | 'cast',
  concurrency: number,
  seconds: number,
  rounds: number,
): Promise<Result[]> {
  contenders = contenders.filter((c) => kind === 'call' || c.cast !== undefined);
  for (const c of contenders) await sample(c, kind, concurrency, Math.min(0.5, seconds / 4));
  const pooled = contenders.map(() => ({
    ops: 0,
    elapsedUs: 0,
    latencies: [] as number[],
    delivered: 0,
    deliveredUs: 0,
  }));
  for (let r = 0; r < rounds; r++) {
    for (const [i, c] of contenders.entries()) {
      const s = await sample(c, kind, concurrency, seconds / rounds);
      const p = pooled[i]!;
      p.ops += s.ops;
      p.elapsedUs += s.elapsedUs;
      for (const l of s.latencies) p.latencies.push(l);
      p.delivered += s.delivered;
      p.deliveredUs += s.deliveredUs;
    }
  }
  return contenders.map((c, i) => {
    const p = pooled[i]!;
    const latencies = Float64Array.from(p.latencies).sort();
    return {
      case: `${kind} c${concurrency}`,
      transport: c.name,
      concurrency,
      ops: p.ops,
      opsPerSec: round(p.ops / (p.elapsedUs / 1e6), 0),
      p50Ms: round(percentile(latencies, 50) / 1000, 3),
      p99Ms: round(percentile(latencies, 99) / 1000, 3),
      ...(kind === 'cast' ? { deliveredPerSec: round(p.delivered / (p.deliveredUs / 1e6), 0) } : {}),
      seconds: round(p.elapsedUs / 1e6, 2),
      load1: round(loadavg()[0] ?? 0, 1),
    };
  });
}

function printTable(results: readonly Result[]): void {
  const cases = [...new Set(results.map((r) => r.case))];
  const names: Array<Contender['name']> = ['amqp', 'floor', 'floor+confirm', 'in-process'];
  const pad = (s: string, n: number): string => s.padStart(n);
  console.log('RPC benchmark (ops/s, p50 / p99 latency in ms; casts: accepted/s and delivered/s)');
  console.log(`${'case'.padEnd(10)}${names.map((n) => pad(n, 32)).join('')}`);
  for (const c of cases) {
    const cells = names.map((n) => {
      const r = results.find((x) => x.case === c && x.transport === n);
      if (r === undefined) return pad('-', 32);
      const rate = r.deliveredPerSec !== undefined ? `${r.opsPerSec}/${r.deliveredPerSec}` : `${r.opsPerSec}`;
      return pad(`${rate}/s  ${r.p50Ms} / ${r.p99Ms}`, 32);
    });
    console.log(`${c.padEnd(10)}${cells.join('')}`);
  }
  for (const c of cases.filter((x) => x.startsWith('call'))) {
    const a = results.find((x) => x.case === c && x.transport === 'amqp');
    const f = results.find((x) => x.case === c && x.transport === 'floor');
    const fc = results.find((x) => x.case === c && x.transport === 'floor+confirm');
    if (a && f && fc) {
      const pct = (x: Result): number => round((100 * a.opsPerSec) / x.opsPerSec, 0);
      console.log(
        `${c}: AmqpTransport reaches ${pct(f)}% of the plain floor, ${pct(fc)}% of the floor with confirms`,
      );
    }
  }
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const cases: Array<['call' | 'cast', number]> = [
    ...options.concurrency.map((c): ['call', number] => ['call', c]),
    ['cast', 16],
  ];
  const plannedSeconds = 4 * cases.length * (options.seconds + 0.5 + options.rounds * 0.3);
  const guard = setTimeout(
    () => {
      progress(`aborting: the run exceeded its bound of ${Math.round(plannedSeconds * 4 + 60)} s`);
      process.exit(2);
    },
    (plannedSeconds * 4 + 60) * 1000,
  );
  guard.unref();

  const id = `bench-rpc-${randomUUID().slice(0, 8)}`;
  const naming = { exchange: id, queuePrefix: `${id}.` };
  progress(`broker ${new URL(options.url).host}, ${options.seconds} s per case, namespace ${id}`);
  const amqpServer = new AmqpTransport({ url: options.url, ...naming, queueExpiresMs: 10 * 60_000 });
  const amqpClient = new AmqpTransport({ url: options.url, ...naming, queueExpiresMs: 10 * 60_000 });
  const inProcess = new InProcessTransport();
  const contenders: Contender[] = [];
  const results: Result[] = [];
  try {
    contenders.push(await transportContender('amqp', amqpServer, amqpClient));
    contenders.push(await floorContender(options.url, `${id}.floor`));
    contenders.push(await floorContender(options.url, `${id}.floor-confirm`, true));
    contenders.push(await transportContender('in-process', inProcess, inProcess));
    for (const [kind, concurrency] of cases) {
      progress(
        `${kind} c${concurrency}: ${options.rounds} rounds on ${contenders.map((c) => c.name).join(', ')} …`,
      );
      for (const r of await runCase(contenders, kind, concurrency, options.seconds, options.rounds)) {
        results.push(r);
        progress(
          `  ${r.transport}: ${r.opsPerSec}/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms (${r.ops} ops, load ${r.load1})`,
        );
        if (options.json) console.log(JSON.stringify(r));
      }
    }
  } finally {
    for (const c of contenders) await c.close().catch(() => undefined);
    await cleanup(options.url, naming).catch((err: unknown) => progress(`cleanup failed: ${String(err)}`));
    clearTimeout(guard);
  }
  if (!options.json) {
    printTable(results);
    console.log(
      `load average during the run: ${results.map((r) => r.load1).join(', ')} (${cpus().length} cores)`,
    );
  }
}

/** Delete what the AMQP contender declared (the floor deletes its own queue). */
async function cleanup(url: string, naming: { exchange: string; queuePrefix: string }): Promise<void> {
  const conn = await amqp.connect(url);
  try {
    const ch = await conn.createChannel();
    for (const q of [topicQueueName(naming, TOPIC), topicQueueName(naming, TOPIC, 'bench-host')])
      await ch.deleteQueue(q);
    await ch.deleteExchange(naming.exchange);
    await ch.close();
  } finally {
    await conn.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    progress(`failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
