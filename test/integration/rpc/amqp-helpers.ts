/**
 * Shared set-up of the RabbitMQ suites: the broker URL (required), a unique namespace per run,
 * cleanup of everything a run declared, a server-side connection cut through rabbitmqctl, and a TCP
 * proxy that can cut connections and play "broker down".
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as net from 'node:net';
import { promisify } from 'node:util';

import * as amqp from 'amqplib';

import { AmqpTransport } from '../../../src/rpc/amqp-transport';
import type { AmqpTransportOptions } from '../../../src/rpc/amqp-transport';
import type { Logger } from '../../../src/rpc/logger';

const run = promisify(execFile);

/** TEST_AMQP_URL, checked by connecting once; throws a clear error when unset or unreachable. */
export async function requireAmqpUrl(): Promise<string> {
  const url = process.env.TEST_AMQP_URL;
  if (url === undefined || url === '') {
    throw new Error(
      'TEST_AMQP_URL is not set: the RabbitMQ suites need it, e.g. TEST_AMQP_URL=amqp://guest:guest@127.0.0.1:5672/',
    );
  }
  try {
    const conn = await amqp.connect(url, { timeout: 5000 });
    await conn.close();
  } catch (err) {
    throw new Error(`RabbitMQ at TEST_AMQP_URL is unreachable: ${(err as Error).message}`);
  }
  return url;
}

export interface Namespace {
  readonly exchange: string;
  readonly queuePrefix: string;
}

/** A fresh exchange and queue prefix, so concurrent runs never see each other's messages. */
export function uniqueNamespace(label: string): Namespace {
  const id = `t-rpc-${label}-${randomUUID().slice(0, 8)}`;
  return { exchange: id, queuePrefix: `${id}.` };
}

/** Transport logs on stderr when RPC_TEST_LOG=1 (for debugging a failing run); silent otherwise. */
const stderrLogger: Logger = {
  debug: (m, meta) => process.stderr.write(`debug ${m} ${JSON.stringify(meta ?? {})}\n`),
  info: (m, meta) => process.stderr.write(`info ${m} ${JSON.stringify(meta ?? {})}\n`),
  warn: (m, meta) => process.stderr.write(`warn ${m} ${JSON.stringify(meta ?? {})}\n`),
  error: (m, meta) => process.stderr.write(`error ${m} ${JSON.stringify(meta ?? {})}\n`),
  child: () => stderrLogger,
};

/** Options every test transport shares; queues of a crashed run expire on their own. */
export function transportOptions(
  url: string,
  ns: Namespace,
  extra: Partial<AmqpTransportOptions> = {},
): AmqpTransportOptions {
  return {
    url,
    exchange: ns.exchange,
    queuePrefix: ns.queuePrefix,
    queueExpiresMs: 10 * 60_000,
    reconnect: { initialDelayMs: 50, maxDelayMs: 500, jitter: 0.2 },
    ...(process.env.RPC_TEST_LOG === '1' ? { logger: stderrLogger } : {}),
    ...extra,
  };
}

export async function connectedTransport(
  url: string,
  ns: Namespace,
  extra: Partial<AmqpTransportOptions> = {},
): Promise<AmqpTransport> {
  const transport = new AmqpTransport(transportOptions(url, ns, extra));
  await transport.connect();
  return transport;
}

async function rabbitmqctl(...args: string[]): Promise<string> {
  const { stdout } = await run('rabbitmqctl', ['-q', ...args], { timeout: 30_000 });
  return stdout;
}

/** Delete every queue and exchange of the namespace (whatever the transports declared). */
export async function deleteNamespace(
  url: string,
  ns: Namespace,
): Promise<{ queues: number; exchanges: number }> {
  const queues = (await rabbitmqctl('list_queues', 'name'))
    .split('\n')
    .map((l) => l.trim())
    .filter((n) => n.startsWith(ns.queuePrefix));
  const exchanges = (await rabbitmqctl('list_exchanges', 'name'))
    .split('\n')
    .map((l) => l.trim())
    .filter((n) => n === ns.exchange || n.startsWith(ns.queuePrefix));
  const conn = await amqp.connect(url);
  try {
    const ch = await conn.createChannel();
    for (const q of queues) await ch.deleteQueue(q);
    for (const e of exchanges) await ch.deleteExchange(e);
    await ch.close();
  } finally {
    await conn.close();
  }
  return { queues: queues.length, exchanges: exchanges.length };
}

/** Names of the broker's queues in the namespace. */
export async function listQueues(ns: Namespace): Promise<string[]> {
  return (await rabbitmqctl('list_queues', 'name'))
    .split('\n')
    .map((l) => l.trim())
    .filter((n) => n.startsWith(ns.queuePrefix));
}

/** Whether each named queue of the namespace is durable, as the broker reports it. */
export async function queueDurability(ns: Namespace): Promise<Record<string, boolean>> {
  const out: Record<string, boolean> = {};
  for (const row of (await rabbitmqctl('list_queues', 'name', 'durable')).split('\n')) {
    const [name, durable] = row.trim().split('\t');
    if (name !== undefined && name.startsWith(ns.queuePrefix)) out[name] = durable === 'true';
  }
  return out;
}

/**
 * Close, from the broker's side, the connection(s) whose client-provided name is `connectionName`
 * (what `rabbitmqctl close_all_connections` does, limited to ours so other users are unaffected).
 */
export async function closeConnectionFromBroker(connectionName: string): Promise<number> {
  const rows = (await rabbitmqctl('list_connections', 'pid', 'client_properties')).split('\n');
  let closed = 0;
  for (const row of rows) {
    if (!row.includes(`"${connectionName}"`)) continue;
    const pid = row.split('\t')[0];
    if (pid === undefined || pid === '') continue;
    await rabbitmqctl('close_connection', pid, 'closed by the rpc integration test');
    closed++;
  }
  return closed;
}

/** A TCP proxy in front of the broker that can drop every connection and refuse new ones. */
export class BrokerProxy {
  private readonly sockets = new Set<net.Socket>();
  private readonly server = net.createServer((client) => this.accept(client));
  private down = false;
  private frozen = false;
  /** Bytes of one direction only are held back (see {@link hold}). */
  private holding: 'none' | 'toBroker' | 'toClient' = 'none';
  private readonly held: Array<() => void> = [];
  /** Connection attempts seen, refused ones included. */
  attempts = 0;
  port = 0;

  private constructor(
    private readonly upstreamHost: string,
    private readonly upstreamPort: number,
  ) {}

  static async start(target: string): Promise<BrokerProxy> {
    const { hostname, port } = new URL(target);
    const proxy = new BrokerProxy(hostname, Number(port || 5672));
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    const address = proxy.server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy has no port');
    proxy.port = address.port;
    return proxy;
  }

  private accept(client: net.Socket): void {
    this.attempts++;
    if (this.down) {
      client.destroy();
      return;
    }
    const upstream = net.connect(this.upstreamPort, this.upstreamHost);
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        this.sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    this.relay(client, upstream, 'toBroker');
    this.relay(upstream, client, 'toClient');
  }

  /** Forward `from` → `to`, holding the bytes back while frozen (or while this direction is held). */
  private relay(from: net.Socket, to: net.Socket, direction: 'toBroker' | 'toClient'): void {
    from.on('data', (chunk: Buffer) => {
      if (this.frozen || this.holding === direction) this.held.push(() => to.write(chunk));
      else to.write(chunk);
    });
  }

  /**
   * Hold back one direction only: `toClient` lets a publish reach the broker but keeps its confirm
   * from the client; `toBroker` keeps the publish itself from the broker. {@link cut} then drops the
   * connection with the bytes still held (they are discarded).
   */
  hold(direction: 'toBroker' | 'toClient'): void {
    this.holding = direction;
  }

  /** Stop forwarding in both directions without closing anything (a hung broker or network). */
  freeze(): void {
    this.frozen = true;
  }

  /** Forward again, held bytes first. */
  thaw(): void {
    this.frozen = false;
    for (const write of this.held.splice(0)) write();
  }

  /** `target` with host and port replaced by the proxy's. */
  url(target: string): string {
    const u = new URL(target);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }

  /** Drop every proxied connection (like a network cut). */
  cut(): void {
    this.holding = 'none';
    this.held.length = 0;
    for (const s of this.sockets) s.destroy();
  }

  /** Play "broker down": cut everything and refuse new connections until {@link setUp}. */
  setDown(): void {
    this.down = true;
    this.cut();
  }

  setUp(): void {
    this.down = false;
  }

  async stop(): Promise<void> {
    this.setDown();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** The rejections the jest environment `unhandled-rejection-environment.js` recorded. */
export function unhandledRejections(): unknown[] {
  const list = (globalThis as { __unhandledRejections?: unknown[] }).__unhandledRejections;
  if (list === undefined)
    throw new Error(
      'run this suite with @jest-environment ./test/integration/rpc/unhandled-rejection-environment.js',
    );
  return list;
}
