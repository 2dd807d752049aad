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

/**
 * winston's `timestamp` (`new Date().toISOString()`, the same text), with the part up to the second
 * made once per second: toISOString costs about as much as the rest of a line's formatting.
 */
const timestampFormat = winston.format((info) => {
  if (!info['timestamp']) info['timestamp'] = isoNow(); // as winston's: a line's own time is kept
  return info;
});

let isoSecond = -1;
let isoPrefix = '';

function isoNow(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== isoSecond) {
    isoSecond = second;
    isoPrefix = new Date(second * 1000).toISOString().slice(0, 20); // `2026-12-07T09:46:48.`
  }
  const ms = now - second * 1000;
  return `${isoPrefix}${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z`;
}

/** Where winston's transports take a line's text from (triple-beam's MESSAGE, a registered symbol). */
const MESSAGE = Symbol.for('message');
/** A line's level as winston's formats read it (triple-beam's LEVEL). */
const LEVEL = Symbol.for('level');

/** winston's `json`, for the lines JSON.stringify refuses (see jsonLine). */
const winstonJson = winston.format.json();

/**
 * One JSON object per line, as winston's `json` format, at half its cost: JSON.stringify (winston's
 * sorts the keys and configures its serializer again on every line). A line JSON.stringify refuses (a
 * circular reference, a bigint) goes through winston's, which prints `[Circular]` and bigints as
 * strings. Keys keep the order they were added in.
 */
const jsonLine = winston.format((info) => {
  let line: string;
  try {
    line = JSON.stringify(info);
  } catch {
    return winstonJson.transform(info, winstonJson.options);
  }
  (info as Record<symbol, unknown>)[MESSAGE] = line;
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
    timestampFormat(),
  ];
  const format =
    options.format === 'json'
      ? winston.format.combine(...common, jsonLine())
      : winston.format.combine(...common, winston.format.colorize(), prettyLine);
  const transport =
    options.stream !== undefined
      ? new winston.transports.Stream({ stream: options.stream })
      : new winston.transports.Console();
  const logger = winston.createLogger({
    level: options.level,
    format,
    defaultMeta: options.defaultMeta,
    silent: options.silent ?? process.env['NODE_ENV'] === 'test',
    transports: [transport],
  });
  dropLevelsOff(logger);
  writeStraight(logger, transport);
  return logger;
}

/**
 * winston hands each line to a Transform stream piped into its transports' Writable streams (their
 * buffering and callbacks cost more than formatting the line). The lines of `logger` and its children
 * (whose `write` calls the root's) are formatted and handed to `transport` at once instead, in the order
 * they are logged, as winston's streams do when nothing backs them up. Once the transports are not
 * just `transport` (one was added or removed), lines take winston's way again.
 */
function writeStraight(logger: winston.Logger, transport: winston.transport): void {
  const viaStreams = logger.write.bind(logger);
  const done = (): void => undefined;
  logger.write = (info: Parameters<winston.Logform.Format['transform']>[0]): boolean => {
    if (logger.silent) return true;
    const transports = logger.transports;
    if (transports.length !== 1 || transports[0] !== transport) return viaStreams(info);
    const entry = info as Record<symbol, unknown> & { level: string };
    entry[LEVEL] ??= entry.level; // as winston's Logger does for a line written without it
    const line = logger.format.transform(info, logger.format.options);
    if (typeof line === 'object') transport.log?.(line, done);
    return true;
  };
}

type LevelMethod = (this: winston.Logger, ...args: unknown[]) => winston.Logger;

/**
 * winston formats every line (timestamp, JSON) and passes it through its streams before its transport
 * drops it for its level, so a `debug` line costs nearly what a written one does when the level is
 * `info`. The level methods and `log` of `logger` (and so of its children, which inherit them) return
 * at once for a level that is off. The level is read on each call: setting `logger.level` still works.
 */
function dropLevelsOff(logger: winston.Logger): void {
  const methods = logger as unknown as Record<string, LevelMethod>;
  const log = methods['log']!;
  for (const level of Object.keys(logger.levels)) {
    const write = methods[level];
    if (typeof write !== 'function') continue;
    methods[level] = function (this: winston.Logger, ...args: unknown[]): winston.Logger {
      if (!this.isLevelEnabled(level)) return this;
      // With a message and metadata winston's level method calls `log`: the unchecked one, checked now.
      return args.length > 1 ? log.call(this, level, ...args) : write.apply(this, args);
    };
  }
  methods['log'] = function (this: winston.Logger, ...args: unknown[]): winston.Logger {
    const [first] = args; // a level, or a whole line (`{ level, message, … }`)
    const level = typeof first === 'string' ? first : (first as { level?: unknown } | null)?.level;
    return typeof level === 'string' && !this.isLevelEnabled(level) ? this : log.apply(this, args);
  };
}

/** A child logger whose lines carry `component` (a service or module name). */
export function componentLogger(parent: Logger, component: string): Logger {
  return parent.child({ component });
}

/** A logger that writes nothing, for tests and library defaults. */
export function silentLogger(): Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console()] });
}
