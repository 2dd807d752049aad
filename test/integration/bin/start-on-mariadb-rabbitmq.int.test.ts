/**
 * The start command on the production stack: MariaDB (TEST_MYSQL_URL) and RabbitMQ (TEST_AMQP_URL).
 * Fails, never skips, when either is unset or unreachable.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import * as http from 'node:http';
import * as os from 'node:os';
import { createConnection } from 'mysql2/promise';
import type { Launcher } from '../../../src/bin/launcher';
import { main, type MainIo } from '../../../src/bin/main';
import type { RunningApi } from '../../../src/bin/api-service';
import { ProcessResources } from '../../../src/bin/resources';
import { silentLogger } from '../../../src/log';
import { AmqpTransport } from '../../../src/rpc/amqp-transport';
import { createTestMysqlDatabase, type TestDatabase } from '../../helpers/db';
import { deleteNamespace, requireAmqpUrl } from '../rpc/amqp-helpers';

let amqpUrl: string;
let db: TestDatabase;

beforeAll(async () => {
  amqpUrl = await requireAmqpUrl();
  db = await createTestMysqlDatabase({ migrate: false, initialize: false });
});

afterAll(async () => {
  await db?.drop();
});

function io(
  env: Record<string, string>,
  signals: EventEmitter,
  out: string[],
  onStarted?: (l: Launcher) => void,
): MainIo {
  return {
    env,
    cwd: os.tmpdir(),
    isTTY: false,
    stdout: (l) => out.push(l),
    stderr: (l) => out.push(`stderr: ${l}`),
    signals,
    logger: silentLogger(),
    onStarted,
  };
}

async function tableNames(url: string): Promise<string[]> {
  const conn = await createConnection({ uri: url });
  try {
    const [rows] = await conn.query('SHOW TABLES');
    return (rows as Record<string, string>[]).map((r) => Object.values(r)[0]!);
  } finally {
    await conn.end();
  }
}

describe('cinder-ts on MariaDB and RabbitMQ', () => {
  it('db:migrate creates the schema on MariaDB once, then finds it current', async () => {
    const out: string[] = [];
    const env = { DATABASE_URL: db.url };

    const first = await main(['db:migrate'], io(env, new EventEmitter(), out));
    const second = await main(['db:migrate'], io(env, new EventEmitter(), out));

    expect(first).toBe(0);
    expect(second).toBe(0);
    expect(out.filter((l) => l.startsWith('applied ')).length).toBeGreaterThan(0);
    expect(out).toContain('database schema is up to date');
    expect(await tableNames(db.url)).toEqual(expect.arrayContaining(['migrations']));
  });

  it('starts on MySQL with the AMQP transport, answers GET /, and stops with exit 0', async () => {
    const exchange = `t-bin-${randomUUID().slice(0, 8)}`;
    const signals = new EventEmitter();
    const out: string[] = [];
    let launcher: Launcher | undefined;
    let ready!: () => void;
    const started = new Promise<void>((resolve) => (ready = resolve));
    const env = {
      DATABASE_URL: db.url,
      DB_AUTO_MIGRATE: 'true',
      TRANSPORT_URL: amqpUrl,
      CONTROL_EXCHANGE: exchange,
      HOST: '127.0.0.1',
      PORT: '0',
    };

    try {
      const exit = main(
        ['api', '--host', 'mq-node'],
        io(env, signals, out, (l) => {
          launcher = l;
          ready();
        }),
      );
      await Promise.race([
        started,
        exit.then((code) => Promise.reject(new Error(`exited ${code}: ${out.join(' | ')}`))),
      ]);
      const api = launcher!.running[0] as RunningApi;
      const status = await new Promise<number>((resolve, reject) =>
        http
          .get({ host: '127.0.0.1', port: api.address.port, path: '/' }, (res) => {
            res.resume();
            resolve(res.statusCode!);
          })
          .on('error', reject),
      );
      signals.emit('SIGTERM', 'SIGTERM');

      expect(status).toBe(300);
      expect(await exit).toBe(0);
    } finally {
      await deleteNamespace(amqpUrl, { exchange, queuePrefix: `${exchange}.` });
    }
  });

  it('fails start-up with one line when the broker is unreachable', async () => {
    const out: string[] = [];

    const code = await main(
      ['api'],
      io(
        { DATABASE_URL: db.url, TRANSPORT_URL: 'amqp://guest:guest@127.0.0.1:1/', PORT: '0' },
        new EventEmitter(),
        out,
      ),
    );

    expect(code).toBe(1);
    expect(out).toEqual([
      expect.stringMatching(
        /^stderr: cinder-ts: start-up failed: .*cannot connect to amqp:\/\/127\.0\.0\.1:1\/.*ECONNREFUSED/,
      ),
    ]);
  });

  it('gives the AMQP transport of TRANSPORT_URL to the services, one per process', async () => {
    const exchange = `t-bin-${randomUUID().slice(0, 8)}`;
    const topic = `t${randomUUID().slice(0, 8)}`;
    const res = new ProcessResources(
      { databaseUrl: db.url, transportUrl: amqpUrl, controlExchange: exchange, rpcResponseTimeout: 10 },
      silentLogger(),
    );
    try {
      const a = await res.transport();
      const b = await res.transport();
      const sub = await a.listen({ topic, server: os.hostname() }, async (m) => ({ pong: m.args['n'] }));
      const reply = await b.call(
        { topic },
        { envelopeVersion: 1, method: 'ping', args: { n: 2 }, context: {}, messageId: randomUUID() },
      );
      await sub.close();

      expect(a).toBeInstanceOf(AmqpTransport);
      expect(a).toBe(b);
      expect(reply).toEqual({ pong: 2 });
    } finally {
      await res.close();
      await deleteNamespace(amqpUrl, { exchange, queuePrefix: topic });
    }
  });
});
