/**
 * The package root: the engine (also importable on its own as `cinder-ts/taskflow`), plus the pieces an
 * embedding program needs to read configuration, log and build the HTTP app.
 */
export * from './taskflow';
export {
  loadConfig,
  ConfigError,
  InvalidSettingError,
  ConfigFileError,
  SETTINGS,
  type Config,
} from './config';
export { createRootLogger, componentLogger, currentRequestId, toEngineLogger } from './log';
export { createApp, type AppDeps } from './api/app';
