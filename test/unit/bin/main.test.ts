import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UsageError } from '../../../src/config';
import { type Launcher } from '../../../src/bin/launcher';
import { main, parseCommandLine, type MainIo } from '../../../src/bin/main';
import {
  ServiceRegistry,
  type RunningService,
  type ServiceDefinition,
  type ServiceName,
} from '../../../src/bin/services';
import { silentLogger } from '../../../src/log';
import { DBNotAllowed } from '../../../src/objects/errors';

describe('parseCommandLine', () => {
  it.each([
    [[], { kind: 'serve', service: undefined, host: undefined }],
    [['api'], { kind: 'serve', service: 'api', host: undefined }],
    [['volume', '--host', 'node-2'], { kind: 'serve', service: 'volume', host: 'node-2' }],
    [['--host=node-3', 'compute'], { kind: 'serve', service: 'compute', host: 'node-3' }],
    [['--config-file', 'x.conf', 'api'], { kind: 'serve', service: 'api', host: undefined }],
    [['--config-file=x.conf'], { kind: 'serve', service: undefined, host: undefined }],
    [['db:migrate'], { kind: 'db:migrate' }],
    [['db:revert'], { kind: 'db:revert' }],
    [['--help'], { kind: 'help' }],
    [
      ['server:create', '--name', 'vm1', '--vcpus', '1', '--memory-mb', '512', '--disk-gb', '1', '--wait'],
      {
        kind: 'server:create',
        api: { url: undefined, token: 'admin:admin' },
        name: 'vm1',
        vcpus: 1,
        memoryMb: 512,
        diskGb: 1,
        wait: true,
        timeoutSec: 120,
      },
    ],
    [
      [
        'server:create',
        '--vcpus=2',
        '--memory-mb=64',
        '--disk-gb=0',
        '--timeout',
        '5',
        '--url',
        'http://h:1',
        '--token',
        'u:p',
      ],
      {
        kind: 'server:create',
        api: { url: 'http://h:1', token: 'u:p' },
        name: undefined,
        vcpus: 2,
        memoryMb: 64,
        diskGb: 0,
        wait: false,
        timeoutSec: 5,
      },
    ],
    [
      ['server:list'],
      { kind: 'server:list', api: { url: undefined, token: 'admin:admin' }, allProjects: false, json: false },
    ],
    [
      ['server:list', '--all-projects', '--json'],
      { kind: 'server:list', api: { url: undefined, token: 'admin:admin' }, allProjects: true, json: true },
    ],
    [
      ['server:show', 'abc', '--config-file', 'x.conf'],
      { kind: 'server:show', api: { url: undefined, token: 'admin:admin' }, id: 'abc' },
    ],
    [
      ['hypervisor:list', '--url=http://10.0.0.1:8776/'],
      { kind: 'hypervisor:list', api: { url: 'http://10.0.0.1:8776/', token: 'admin:admin' }, json: false },
    ],
    [['quota:audit'], { kind: 'quota:audit', fix: false, projectId: undefined }],
    [['quota:audit', '--fix', '--project', 'p1'], { kind: 'quota:audit', fix: true, projectId: 'p1' }],
  ])('reads %j', (argv, expected) => {
    expect(parseCommandLine(argv)).toEqual(expected);
  });

  it.each([
    [['nova-api'], "unknown service or command 'nova-api'"],
    [['api', 'volume'], 'expected at most one command, got: api volume'],
    [['--host'], '--host needs a value'],
    [['--host', '--config-file', 'x'], '--host needs a value'],
    [['--verbose'], 'unknown option --verbose'],
    [['db:migrate', '--host', 'x'], 'db:migrate does not take --host'],
    [['server:create', '--vcpus', '1', '--memory-mb', '512'], 'server:create needs --disk-gb'],
    [
      ['server:create', '--vcpus', '0', '--memory-mb', '512', '--disk-gb', '1'],
      "--vcpus must be a whole number of at least 1, got '0'",
    ],
    [
      ['server:create', '--vcpus', '1.5', '--memory-mb', '512', '--disk-gb', '1'],
      "--vcpus must be a whole number of at least 1, got '1.5'",
    ],
    [
      ['server:create', '--vcpus', '1', '--memory-mb', '512', '--disk-gb', '-1'],
      "--disk-gb must be a whole number, got '-1'",
    ],
    [
      ['server:create', '--vcpus', '1', '--memory-mb', '512', '--disk-gb', '1', '--host', 'x'],
      'server:create does not take --host',
    ],
    [['server:list', '--fix'], 'server:list does not take --fix'],
    [['server:show'], 'server:show needs the server ID'],
    [['server:show', 'a', 'b'], 'expected at most one command, got: server:show a b'],
    [['quota:audit', '--project'], '--project needs a value'],
    [['quota:audit', '--url', 'http://x'], 'quota:audit does not take --url'],
    [['compute', '--wait'], 'compute does not take --wait'],
    [['server:delete'], "unknown service or command 'server:delete'"],
  ])('rejects %j with a usage error', (argv, message) => {
    expect(() => parseCommandLine(argv)).toThrow(UsageError);
    expect(() => parseCommandLine(argv)).toThrow(message);
  });
});

/** A service that records what happens to it. */
class RecordingService implements ServiceDefinition {
  readonly usesDatabase = false;
  readonly usesTransport = false;
  constructor(
    readonly name: ServiceName,
    private readonly events: string[],
    private readonly failStart = false,
    private readonly failStop = false,
  ) {}
  async start(ctx: { host: string }): Promise<RunningService> {
    if (this.failStart) throw new Error(`${this.name} cannot start`);
    this.events.push(`start ${this.name} on ${ctx.host}`);
    return {
      name: this.name,
      stop: async () => {
        this.events.push(`stop ${this.name}`);
        if (this.failStop) throw new Error(`${this.name} cannot stop`);
      },
    };
  }
}

describe('main (in-process)', () => {
  let dir: string;
  let signals: EventEmitter;
  let out: string[];
  let err: string[];

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cinder-ts-main-'));
    signals = new EventEmitter();
    out = [];
    err = [];
  });

  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function io(registry: ServiceRegistry, onStarted?: (l: Launcher) => void): MainIo {
    return {
      env: { SERVICE_HOST: 'unit-host', DATABASE_URL: 'sqlite::memory:' },
      cwd: dir,
      isTTY: false,
      stdout: (l) => out.push(l),
      stderr: (l) => err.push(l),
      signals,
      registry,
      logger: silentLogger(),
      onStarted,
    };
  }

  it('starts every registered service in start order and stops them in reverse on SIGTERM', async () => {
    const events: string[] = [];
    const registry = new ServiceRegistry()
      .register(new RecordingService('api', events))
      .register(new RecordingService('scheduler', events))
      .register(new RecordingService('conductor', events));

    const exit = main(
      [],
      io(registry, () => signals.emit('SIGTERM', 'SIGTERM')),
    );

    await expect(exit).resolves.toBe(0);
    expect(events).toEqual([
      'start conductor on unit-host',
      'start scheduler on unit-host',
      'start api on unit-host',
      'stop api',
      'stop scheduler',
      'stop conductor',
    ]);
    expect(signals.listenerCount('SIGTERM')).toBe(0);
  });

  it('starts only the named service, with --host', async () => {
    const events: string[] = [];
    const registry = new ServiceRegistry()
      .register(new RecordingService('api', events))
      .register(new RecordingService('scheduler', events));

    const exit = main(
      ['scheduler', '--host', 'h9'],
      io(registry, () => signals.emit('SIGINT', 'SIGINT')),
    );

    await expect(exit).resolves.toBe(0);
    expect(events).toEqual(['start scheduler on h9', 'stop scheduler']);
  });

  it('stops what already started when a later service fails to start, and exits 1', async () => {
    const events: string[] = [];
    const registry = new ServiceRegistry()
      .register(new RecordingService('conductor', events))
      .register(new RecordingService('api', events, true));

    const code = await main([], io(registry));

    expect(code).toBe(1);
    expect(events).toEqual(['start conductor on unit-host', 'stop conductor']);
    expect(err).toEqual(['cinder-ts: start-up failed: api cannot start']);
  });

  it('exits 1 when a service does not stop cleanly, after stopping the others', async () => {
    const events: string[] = [];
    const registry = new ServiceRegistry()
      .register(new RecordingService('conductor', events))
      .register(new RecordingService('api', events, false, true));

    const code = await main(
      [],
      io(registry, () => signals.emit('SIGTERM', 'SIGTERM')),
    );

    expect(code).toBe(1);
    expect(events).toEqual([
      'start conductor on unit-host',
      'start api on unit-host',
      'stop api',
      'stop conductor',
    ]);
  });

  it('exits 130 at once on a second signal while stopping', async () => {
    const registry = new ServiceRegistry().register({
      name: 'api',
      usesDatabase: false,
      usesTransport: false,
      start: async () => ({ name: 'api', stop: () => new Promise<void>(() => undefined) }), // never stops
    });

    const code = await main(
      [],
      io(registry, () => {
        signals.emit('SIGTERM', 'SIGTERM');
        setTimeout(() => signals.emit('SIGINT', 'SIGINT'), 10);
      }),
    );

    expect(code).toBe(130);
  });

  it('gives a service without database access (compute) a dataSource() that fails with DBNotAllowed', async () => {
    const seen: unknown[] = [];
    const probe = (name: ServiceName, usesDatabase: boolean): ServiceDefinition => ({
      name,
      usesDatabase,
      usesTransport: false,
      async start(ctx) {
        seen.push(
          await ctx.resources.dataSource().then(
            (ds) => ds.isInitialized,
            (e: unknown) => e,
          ),
        );
        return { name, stop: async () => undefined };
      },
    });
    const registry = new ServiceRegistry()
      .register(probe('conductor', true))
      .register(probe('compute', false));

    const code = await main(
      [],
      io(registry, () => signals.emit('SIGTERM', 'SIGTERM')),
    );

    expect(code).toBe(0);
    expect(seen[0]).toBe(true); // the conductor, started first, has the process's database
    expect(seen[1]).toBeInstanceOf(DBNotAllowed);
    expect((seen[1] as DBNotAllowed).message).toContain(
      'cinder-ts compute attempted direct database access from SharedResources.dataSource',
    );
  });

  it('ends a start that is still waiting when a signal comes, stops what had started, and exits 0', async () => {
    const events: string[] = [];
    const waiting: ServiceDefinition = {
      name: 'compute',
      usesDatabase: false,
      usesTransport: false,
      start: (ctx) =>
        new Promise((_resolve, reject) => {
          events.push('compute waiting');
          ctx.stopping?.addEventListener('abort', () =>
            reject(new Error(`gave up: ${String(ctx.stopping?.reason)}`)),
          );
          setImmediate(() => signals.emit('SIGTERM', 'SIGTERM'));
        }),
    };
    const registry = new ServiceRegistry()
      .register(new RecordingService('conductor', events))
      .register(waiting);

    const code = await main([], io(registry));

    expect(code).toBe(0);
    expect(events).toEqual(['start conductor on unit-host', 'compute waiting', 'stop conductor']);
    expect(err).toEqual([]);
    expect(signals.listenerCount('SIGTERM')).toBe(0);
  });

  it('prints usage and exits 2 on a bad command line', async () => {
    const code = await main(['--nope'], io(new ServiceRegistry()));

    expect(code).toBe(2);
    expect(err[0]).toBe('cinder-ts: unknown option --nope');
    expect(err[1]).toMatch(/^usage: cinder-ts/);
  });

  it('prints help and exits 0', async () => {
    expect(await main(['--help'], io(new ServiceRegistry()))).toBe(0);
    expect(out[0]).toMatch(/^usage: cinder-ts/);
  });

  it('exits 1 with one line when the config file is malformed', async () => {
    fs.writeFileSync(path.join(dir, 'cinder-ts.conf'), '[api\n');

    const code = await main([], io(new ServiceRegistry()));

    expect(code).toBe(1);
    expect(err).toEqual([
      `cinder-ts: Cannot use config file ${path.join(dir, 'cinder-ts.conf')}: line 1 is not "[section]" or "key = value": "[api"`,
    ]);
  });
});

describe('ServiceRegistry', () => {
  it('refuses to register a service twice', () => {
    const registry = new ServiceRegistry().register(new RecordingService('api', []));

    expect(() => registry.register(new RecordingService('api', []))).toThrow(
      "service 'api' is already registered",
    );
  });
});
