export {
  createRootLogger,
  componentLogger,
  silentLogger,
  type Logger,
  type LogLevel,
  type LogFormat,
  type RootLoggerOptions,
} from './logger';
export {
  runWithRequestContext,
  currentRequestContext,
  currentRequestId,
  type RequestContext,
} from './request-context';
export { toEngineLogger } from './engine-logger';
