#!/usr/bin/env node
/**
 * The command line: `cinder-ts [SERVICE | db:migrate | db:revert] [--host NAME] [--config-file PATH]`.
 * With no SERVICE every available service runs in this process. One of the only places that listens
 * or exits.
 */
import 'reflect-metadata';
import type { EventEmitter } from 'node:events';
import { ConfigError, UsageError, loadConfig, type Config } from '../config';
import { revertLastMigration, runMigrations } from '../db/data-source';
import { createRootLogger, type Logger } from '../log';
import { Launcher } from './launcher';
import { defaultRegistry } from './registry';
import { ProcessResources } from './resources';
import { SERVICE_NAMES, isServiceName, type ServiceName, type ServiceRegistry } from './services';

export const USAGE = `usage: cinder-ts [SERVICE | db:migrate | db:revert] [--host NAME] [--config-file PATH]

  (no SERVICE)   start every available service in this process
  SERVICE        start one service: ${SERVICE_NAMES.join(', ')}
  db:migrate     apply pending database migrations, then exit
  db:revert      revert the last applied migration, then exit
  --host NAME    this node's name (service records, RPC topics); default SERVICE_HOST or the host name
  --config-file  INI file to read; default ./cinder-ts.conf, then /etc/cinder-ts/cinder-ts.conf

Settings come from the environment and the config file; see README.md.`;

export type Command =
  | { readonly kind: 'help' }
  | { readonly kind: 'db:migrate' | 'db:revert' }
  | { readonly kind: 'serve'; readonly service: ServiceName | undefined; readonly host: string | undefined };

/** Parses the command line. `--config-file` is accepted here and read by loadConfig. @throws UsageError */
export function parseCommandLine(argv: readonly string[]): Command {
  const positional: string[] = [];
  let host: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') return { kind: 'help' };
    if (arg === '--host' || arg === '--config-file') {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`${arg} needs a value`);
      if (arg === '--host') host = value;
      i++;
    } else if (arg.startsWith('--host=')) {
      host = arg.slice('--host='.length);
      if (host === '') throw new UsageError('--host needs a value');
    } else if (arg.startsWith('--config-file=')) {
      continue;
    } else if (arg.startsWith('-')) {
      throw new UsageError(`unknown option ${arg}`);
    } else {
      positional.push(arg);
    }
  }
  if (positional.length > 1)
    throw new UsageError(`expected at most one command, got: ${positional.join(' ')}`);
  const [first] = positional;
  if (first === 'db:migrate' || first === 'db:revert') {
    if (host !== undefined) throw new UsageError(`${first} does not take --host`);
    return { kind: first };
  }
  if (first !== undefined && !isServiceName(first)) {
    throw new UsageError(
      `unknown service or command '${first}'; expected one of ${SERVICE_NAMES.join(', ')}, db:migrate, db:revert`,
    );
  }
  return { kind: 'serve', service: first, host };
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

  const logger =
    io.logger ??
    createRootLogger({ level: config.logLevel, format: config.logFormat, defaultMeta: { pid: process.pid } });
  for (const warning of warnings) logger.warn(warning);
  if (config.configFile !== null) logger.info('configuration read', { configFile: config.configFile });

  if (command.kind !== 'serve') return migrateCommand(command.kind, config, logger, io);
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
  try {
    launcher = await Launcher.start({ config, logger, host: host ?? config.serviceHost, services });
  } catch (err) {
    signals.dispose();
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
