#!/usr/bin/env node
/**
 * The command line: `cinder-ts [SERVICE | db:migrate | db:revert | CLIENT COMMAND] [OPTIONS]`.
 * With no SERVICE every available service runs in this process; the client commands (server:create …,
 * quota:audit) work against a running deployment. One of the only places that listens
 * or exits.
 */
import 'reflect-metadata';
import type { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { ConfigError, UsageError, loadConfig, type Config } from '../config';
import { revertLastMigration, runMigrations } from '../db/data-source';
import { createRootLogger, type Logger } from '../log';
import {
  CLIENT_COMMANDS,
  DEFAULT_TOKEN,
  DEFAULT_WAIT_TIMEOUT_SEC,
  runClientCommand,
  type ApiTarget,
  type ClientCommand,
} from './client-commands';
import { Launcher } from './launcher';
import { defaultRegistry } from './registry';
import { ProcessResources } from './resources';
import { SERVICE_NAMES, isServiceName, type ServiceName, type ServiceRegistry } from './services';

export const USAGE = `usage: cinder-ts [SERVICE | COMMAND] [OPTIONS] [--config-file PATH]

  (no SERVICE)   start every available service in this process
  SERVICE        start one service: ${SERVICE_NAMES.join(', ')}
  --host NAME    this node's name (service records, RPC topics); default SERVICE_HOST or the host name
  --config-file  INI file to read; default ./cinder-ts.conf, then /etc/cinder-ts/cinder-ts.conf

  db:migrate     apply pending database migrations, then exit
  db:revert      revert the last applied migration, then exit

  Against a running deployment (through its api service; --url URL, default http://HOST:PORT,
  --token USER:PROJECT, default ${DEFAULT_TOKEN}):
  server:create --vcpus N --memory-mb MB --disk-gb GB [--name NAME] [--wait] [--timeout SEC]
                 build an instance; with --wait, until it is ACTIVE (exit 0) or ERROR (exit 1)
  server:list [--all-projects] [--json]
  server:show ID
  hypervisor:list [--json]   each compute node's vCPUs, RAM and disk: used/total, running VMs
  quota:audit [--fix] [--project ID]
                 compare quota usage with the volumes and snapshots (on the database directly);
                 exit 1 when drift was found and not fixed

Settings come from the environment and the config file; see README.md.`;

export type Command =
  | { readonly kind: 'help' }
  | { readonly kind: 'db:migrate' }
  | { readonly kind: 'db:revert' }
  | { readonly kind: 'serve'; readonly service: ServiceName | undefined; readonly host: string | undefined }
  | ClientCommand;

/** Options that take a value, and the flags, of every command. */
const VALUE_OPTIONS = [
  '--host',
  '--config-file',
  '--name',
  '--vcpus',
  '--memory-mb',
  '--disk-gb',
  '--timeout',
  '--url',
  '--token',
  '--project',
] as const;
const FLAG_OPTIONS = ['--wait', '--fix', '--json', '--all-projects'] as const;
type OptionName = (typeof VALUE_OPTIONS)[number] | (typeof FLAG_OPTIONS)[number];

/** Which options each command accepts (besides --config-file, which every command takes). */
const ALLOWED: Readonly<Record<string, readonly OptionName[]>> = {
  serve: ['--host'],
  'db:migrate': [],
  'db:revert': [],
  'server:create': [
    '--name',
    '--vcpus',
    '--memory-mb',
    '--disk-gb',
    '--wait',
    '--timeout',
    '--url',
    '--token',
  ],
  'server:list': ['--all-projects', '--json', '--url', '--token'],
  'server:show': ['--url', '--token'],
  'hypervisor:list': ['--json', '--url', '--token'],
  'quota:audit': ['--fix', '--project'],
};

function isOption<T extends string>(list: readonly T[], name: string): name is T {
  return (list as readonly string[]).includes(name);
}

/** Parses the command line. `--config-file` is accepted here and read by loadConfig. @throws UsageError */
export function parseCommandLine(argv: readonly string[]): Command {
  const positional: string[] = [];
  const values = new Map<OptionName, string>();
  const flags = new Set<OptionName>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') return { kind: 'help' };
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    if (isOption(VALUE_OPTIONS, name)) {
      let value: string | undefined;
      if (name !== arg) {
        value = arg.slice(eq + 1);
      } else {
        value = argv[i + 1];
        if (value !== undefined && value.startsWith('--')) value = undefined;
        i++;
      }
      if (value === undefined || value === '') throw new UsageError(`${name} needs a value`);
      values.set(name, value);
    } else if (isOption(FLAG_OPTIONS, arg)) {
      flags.add(arg);
    } else if (arg.startsWith('-')) {
      throw new UsageError(`unknown option ${arg}`);
    } else {
      positional.push(arg);
    }
  }
  const [first, ...rest] = positional;
  const kind = first === undefined || isServiceName(first) ? 'serve' : first;
  if (!(kind in ALLOWED)) {
    throw new UsageError(
      `unknown service or command '${first ?? ''}'; expected one of ${SERVICE_NAMES.join(', ')}, db:migrate, db:revert, ${CLIENT_COMMANDS.join(', ')}`,
    );
  }
  const maxPositional = kind === 'server:show' ? 1 : 0;
  if (rest.length > maxPositional)
    throw new UsageError(`expected at most one command, got: ${positional.join(' ')}`);
  for (const option of [...values.keys(), ...flags]) {
    if (option !== '--config-file' && !ALLOWED[kind]!.includes(option)) {
      throw new UsageError(`${kind === 'serve' ? (first ?? 'start') : kind} does not take ${option}`);
    }
  }
  const api = (): ApiTarget => ({ url: values.get('--url'), token: values.get('--token') ?? DEFAULT_TOKEN });
  const count = (
    option: '--vcpus' | '--memory-mb' | '--disk-gb' | '--timeout',
    min: number,
  ): number | undefined => {
    const raw = values.get(option);
    if (raw === undefined) return undefined;
    if (!/^\d+$/.test(raw) || Number(raw) < min || !Number.isSafeInteger(Number(raw))) {
      throw new UsageError(
        `${option} must be a whole number${min > 0 ? ` of at least ${min}` : ''}, got '${raw}'`,
      );
    }
    return Number(raw);
  };
  const required = (option: '--vcpus' | '--memory-mb' | '--disk-gb', min: number): number => {
    const n = count(option, min);
    if (n === undefined) throw new UsageError(`server:create needs ${option}`);
    return n;
  };
  switch (kind) {
    case 'serve':
      return { kind: 'serve', service: first as ServiceName | undefined, host: values.get('--host') };
    case 'db:migrate':
    case 'db:revert':
      return { kind };
    case 'server:create':
      return {
        kind,
        api: api(),
        name: values.get('--name'),
        vcpus: required('--vcpus', 1),
        memoryMb: required('--memory-mb', 1),
        diskGb: required('--disk-gb', 0),
        wait: flags.has('--wait'),
        timeoutSec: count('--timeout', 1) ?? DEFAULT_WAIT_TIMEOUT_SEC,
      };
    case 'server:list':
      return { kind, api: api(), allProjects: flags.has('--all-projects'), json: flags.has('--json') };
    case 'server:show':
      if (rest[0] === undefined) throw new UsageError('server:show needs the server ID');
      return { kind, api: api(), id: rest[0] };
    case 'hypervisor:list':
      return { kind, api: api(), json: flags.has('--json') };
    case 'quota:audit':
      return { kind, fix: flags.has('--fix'), projectId: values.get('--project') };
    default:
      throw new UsageError(`unknown command '${kind}'`);
  }
}

/** Everything main touches outside itself, so tests can run it in-process. */
export interface MainIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly isTTY: boolean;
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
  /** Where SIGINT/SIGTERM arrive (process in production). */
  readonly signals: EventEmitter;
  readonly registry?: ServiceRegistry;
  /** Called once every service is running. */
  readonly onStarted?: (launcher: Launcher) => void;
  /** Overrides the logger built from config (tests). */
  readonly logger?: Logger;
  /** What the client commands use to reach the api (tests). @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** How `server:create --wait` sleeps between polls (tests). */
  readonly sleep?: (ms: number) => Promise<void>;
}

const VERBOSE_LEVELS: readonly string[] = ['verbose', 'debug', 'silly'];

/** A stream that hands each written line to `write` (the logger's transport for client commands). */
function lineStream(write: (line: string) => void): Writable {
  return new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line !== '') write(line);
      done();
    },
  });
}

/** Exit codes: 0 clean, 1 failure at run time or in config, 2 usage, 130 a second signal during shutdown. */
export async function main(argv: readonly string[], io: MainIo): Promise<number> {
  let command: Command;
  let loaded: ReturnType<typeof loadConfig>;
  try {
    command = parseCommandLine(argv);
  } catch (err) {
    return reportConfigError(err, io);
  }
  if (command.kind === 'help') {
    io.stdout(USAGE);
    return 0;
  }
  try {
    loaded = loadConfig({ argv, env: io.env, cwd: io.cwd, isTTY: io.isTTY });
  } catch (err) {
    return reportConfigError(err, io);
  }
  const { config, warnings } = loaded;

  const client = command.kind !== 'serve' && command.kind !== 'db:migrate' && command.kind !== 'db:revert';
  const logger =
    io.logger ??
    createRootLogger({
      // A client command's stdout is its answer: its log goes to stderr, and only warnings unless asked.
      level: client && !VERBOSE_LEVELS.includes(config.logLevel) ? 'warn' : config.logLevel,
      format: config.logFormat,
      defaultMeta: { pid: process.pid },
      ...(client ? { stream: lineStream(io.stderr) } : {}),
    });
  for (const warning of warnings) logger.warn(warning);
  if (config.configFile !== null) logger.info('configuration read', { configFile: config.configFile });

  if (command.kind === 'db:migrate' || command.kind === 'db:revert')
    return migrateCommand(command.kind, config, logger, io);
  if (command.kind !== 'serve') {
    return runClientCommand(command, config, logger, {
      stdout: io.stdout,
      stderr: io.stderr,
      ...(io.fetch !== undefined ? { fetch: io.fetch } : {}),
      ...(io.sleep !== undefined ? { sleep: io.sleep } : {}),
    });
  }
  const { service, host } = command;

  const registry = io.registry ?? defaultRegistry();
  let services = registry.available();
  if (service !== undefined) {
    const definition = registry.get(service);
    if (definition === undefined) {
      io.stderr(
        `cinder-ts: the ${service} service is not available in this build yet ` +
          `(available: ${services.map((s) => s.name).join(', ')})`,
      );
      return 2;
    }
    services = [definition];
  }

  // Signals are handled from before start-up, so a Ctrl-C while services start still stops them cleanly.
  const signals = watchSignals(io.signals, logger);
  let launcher: Launcher;
  // A signal while services start cuts short what may wait a long time (a compute waiting for its
  // conductor); the launcher then stops whatever had started.
  const startAbort = new AbortController();
  void signals.first.then((signal) => startAbort.abort(signal));
  try {
    launcher = await Launcher.start({
      config,
      logger,
      host: host ?? config.serviceHost,
      services,
      signal: startAbort.signal,
    });
  } catch (err) {
    signals.dispose();
    if (startAbort.signal.aborted) {
      logger.info('stopped during start-up', { signal: startAbort.signal.reason as string });
      return 0;
    }
    logger.error('start-up failed', { err });
    io.stderr(`cinder-ts: start-up failed: ${describe(err)}`);
    return 1;
  }
  io.onStarted?.(launcher);

  const first = await signals.first;
  logger.info('stopping', { signal: first });
  const outcome = await Promise.race([
    launcher.stop().then(
      (clean) => (clean ? 0 : 1),
      (err: unknown) => {
        logger.error('stop failed', { err });
        return 1;
      },
    ),
    signals.second.then((signal) => {
      logger.warn('second signal while stopping; exiting now', { signal });
      return 130;
    }),
  ]);
  signals.dispose();
  return outcome;
}

/** Resolves `first` on the first SIGINT/SIGTERM and `second` on the next one. */
function watchSignals(emitter: EventEmitter, logger: Logger) {
  let count = 0;
  let resolveFirst!: (signal: NodeJS.Signals) => void;
  let resolveSecond!: (signal: NodeJS.Signals) => void;
  const first = new Promise<NodeJS.Signals>((resolve) => (resolveFirst = resolve));
  const second = new Promise<NodeJS.Signals>((resolve) => (resolveSecond = resolve));
  const onSignal = (signal: NodeJS.Signals) => {
    count++;
    if (count === 1) resolveFirst(signal);
    else if (count === 2) resolveSecond(signal);
    else logger.debug('signal ignored', { signal });
  };
  emitter.on('SIGINT', onSignal);
  emitter.on('SIGTERM', onSignal);
  return {
    first,
    second,
    dispose() {
      emitter.off('SIGINT', onSignal);
      emitter.off('SIGTERM', onSignal);
    },
  };
}

/** Prints a ConfigError as one line (plus usage for a UsageError); rethrows anything else. */
function reportConfigError(err: unknown, io: MainIo): number {
  if (!(err instanceof ConfigError)) throw err;
  io.stderr(`cinder-ts: ${err.message}`);
  if (err instanceof UsageError) {
    io.stderr(USAGE);
    return 2;
  }
  return 1;
}

async function migrateCommand(
  kind: 'db:migrate' | 'db:revert',
  config: Config,
  logger: Logger,
  io: MainIo,
): Promise<number> {
  const resources = new ProcessResources(config, logger);
  try {
    const ds = await resources.dataSource();
    if (kind === 'db:migrate') {
      const applied = await runMigrations(ds);
      if (applied.length === 0) io.stdout('database schema is up to date');
      for (const name of applied) io.stdout(`applied ${name}`);
    } else {
      const reverted = await revertLastMigration(ds);
      io.stdout(reverted === null ? 'no migration to revert' : `reverted ${reverted}`);
    }
    return 0;
  } catch (err) {
    logger.error(`${kind} failed`, { err });
    io.stderr(`cinder-ts: ${kind} failed: ${describe(err)}`);
    return 1;
  } finally {
    await resources.close();
  }
}

/** One line for a person; the log has the rest. */
function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    const firstLine = err.message.split('\n')[0] ?? '';
    return code !== undefined && !firstLine.includes(code) ? `${firstLine} (${code})` : firstLine;
  }
  return String(err);
}

if (require.main === module) {
  main(process.argv.slice(2), {
    env: process.env,
    cwd: process.cwd(),
    isTTY: Boolean(process.stdout.isTTY),
    stdout: (line) => process.stdout.write(`${line}\n`),
    stderr: (line) => process.stderr.write(`${line}\n`),
    signals: process,
  }).then(
    (code) => {
      process.exitCode = code;
      // Anything still holding the event loop (a leaked handle) must not keep a stopped service alive.
      setTimeout(() => process.exit(code), 2000).unref();
    },
    (err: unknown) => {
      process.stderr.write(`cinder-ts: unexpected failure: ${describe(err)}\n`);
      process.exit(1);
    },
  );
}
