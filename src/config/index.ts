export {
  loadConfig,
  configFileArgument,
  defaultSearchPath,
  readConfigFile,
  type Config,
  type LoadConfigOptions,
  type LoadedConfig,
} from './config';
export { ConfigError, ConfigFileError, InvalidSettingError, UsageError } from './errors';
export {
  SETTINGS,
  PRODUCT_NAME,
  DEFAULT_DATABASE_URL,
  DEFAULT_TRANSPORT_URL,
  LOG_LEVELS,
  LOG_FORMATS,
  type SettingName,
  type Settings,
  type SettingSpec,
} from './settings';
