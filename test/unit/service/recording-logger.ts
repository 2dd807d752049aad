import type { Logger, LogMeta } from '../../../src/rpc/logger';

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  meta: LogMeta;
}

/** Keeps every line (with its child-logger fields) for assertions. */
export class RecordingLogger implements Logger {
  constructor(
    readonly lines: LogLine[] = [],
    private readonly base: LogMeta = {},
  ) {}
  debug(message: string, meta: LogMeta = {}): void {
    this.lines.push({ level: 'debug', message, meta: { ...this.base, ...meta } });
  }
  info(message: string, meta: LogMeta = {}): void {
    this.lines.push({ level: 'info', message, meta: { ...this.base, ...meta } });
  }
  warn(message: string, meta: LogMeta = {}): void {
    this.lines.push({ level: 'warn', message, meta: { ...this.base, ...meta } });
  }
  error(message: string, meta: LogMeta = {}): void {
    this.lines.push({ level: 'error', message, meta: { ...this.base, ...meta } });
  }
  child(meta: LogMeta): Logger {
    return new RecordingLogger(this.lines, { ...this.base, ...meta });
  }
  matching(re: RegExp, level?: LogLine['level']): LogLine[] {
    return this.lines.filter((l) => re.test(l.message) && (level === undefined || l.level === level));
  }
}
