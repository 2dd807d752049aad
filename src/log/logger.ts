import type { Writable } from 'node:stream';
import { inspect } from 'node:util';
import * as winston from 'winston';
import { currentRequestId } from './request-context';

/** The logger everything outside the engine uses: winston's, so `.child({ … })` and levels work as usual. */
export type Logger = winston.Logger;

export type LogLevel = 'error' | 'warn' | 'info' | 'http' | 'verbose' | 'debug' | 'silly';
export type LogFormat = 'json' | 'pretty';

export interface RootLoggerOptions {
  readonly level: LogLevel;
  /** `json`: one object per line (production); `pretty`: coloured single lines (a terminal). */
  readonly format: LogFormat;
  /** Writes nothing. @default true under jest (NODE_ENV=test), false otherwise */
  readonly silent?: boolean;
  /** Where lines go. @default standard output */
  readonly stream?: Writable;
  /** Fields on every line, e.g. `{ service: 'cinder-ts', host }`. */
  readonly defaultMeta?: Record<string, unknown>;
}

/** Adds the id of the request being handled, if any, to every line (see request-context.ts). */
const requestIdFormat = winston.format((info) => {
  if (info['requestId'] === undefined) {
    const requestId = currentRequestId();
    if (requestId !== undefined) info['requestId'] = requestId;
  }
  return info;
});

/** Errors passed as `{ err }` become plain fields; JSON.stringify would otherwise print `{}`. */
const errorFieldFormat = winston.format((info) => {
  const err = info['err'];
  if (err instanceof Error) info['err'] = serializeError(err);
  return info;
});

function serializeError(err: Error): Record<string, unknown> {
  const out: Record<string, unknown> = { name: err.name, message: err.message };
  const code = (err as { code?: unknown }).code;
  if (code !== undefined) out['code'] = code;
  if (err.stack !== undefined) out['stack'] = err.stack;
  if (err.cause instanceof Error) out['cause'] = serializeError(err.cause);
  return out;
}

const HIDDEN_IN_PRETTY = new Set(['level', 'message', 'timestamp', 'component', 'requestId', 'stack', 'pid']);

const prettyLine = winston.format.printf((info) => {
  const component = typeof info['component'] === 'string' ? ` [${info['component']}]` : '';
  const requestId = typeof info['requestId'] === 'string' ? ` ${info['requestId']}` : '';
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(info)) if (!HIDDEN_IN_PRETTY.has(key)) rest[key] = value;
  const meta = Object.keys(rest).length > 0 ? ` ${inspect(rest, { depth: 4, breakLength: Infinity })}` : '';
  const stack = typeof info['stack'] === 'string' ? `\n${info['stack']}` : '';
  return `${String(info['timestamp'])} ${info.level}${component}${requestId} ${String(info.message)}${meta}${stack}`;
});

/**
 * Creates the one root logger of a process. Modules take `root.child({ component: 'api' })`
 * (see {@link componentLogger}); lines written while a request is handled carry its `requestId`.
 *
 * @example
 *   const root = createRootLogger({ level: config.logLevel, format: config.logFormat });
 *   const log = componentLogger(root, 'launcher');
 *   log.info('service started', { service: 'api', port });
 */
export function createRootLogger(options: RootLoggerOptions): Logger {
  const common = [
    winston.format.errors({ stack: true }),
    errorFieldFormat(),
    requestIdFormat(),
    winston.format.timestamp(),
  ];
  const format =
    options.format === 'json'
      ? winston.format.combine(...common, winston.format.json())
      : winston.format.combine(...common, winston.format.colorize(), prettyLine);
  const transport =
    options.stream !== undefined
      ? new winston.transports.Stream({ stream: options.stream })
      : new winston.transports.Console();
  return winston.createLogger({
    level: options.level,
    format,
    defaultMeta: options.defaultMeta,
    silent: options.silent ?? process.env['NODE_ENV'] === 'test',
    transports: [transport],
  });
}

/** A child logger whose lines carry `component` (a service or module name). */
export function componentLogger(parent: Logger, component: string): Logger {
  return parent.child({ component });
}

/** A logger that writes nothing, for tests and library defaults. */
export function silentLogger(): Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console()] });
}
