import type { Logger as EngineLogger } from '../taskflow';
import type { Logger } from './logger';

/**
 * Adapts a winston logger to the engine's small Logger interface (the engine imports no winston).
 * Lines keep the request id of the code that runs the flow, and whatever the winston logger carries.
 *
 * @example new LoggingListener(toEngineLogger(componentLogger(root, 'volume')))
 */
export function toEngineLogger(logger: Logger): EngineLogger {
  return {
    debug: (message, meta) => void logger.debug(message, meta),
    info: (message, meta) => void logger.info(message, meta),
    warn: (message, meta) => void logger.warn(message, meta),
    error: (message, meta) => void logger.error(message, meta),
  };
}
