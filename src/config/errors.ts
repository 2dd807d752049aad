/**
 * Why start-up stopped: a setting or the config file is wrong. The message is one line that names the
 * setting (or the file) and what was expected, so `main` can print it as it is and exit.
 */
export class ConfigError extends Error {
  readonly code: string = 'CONFIG_INVALID';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** One setting has a value that does not parse or is out of range. */
export class InvalidSettingError extends ConfigError {
  override readonly code = 'CONFIG_INVALID_SETTING';
  constructor(
    readonly setting: string,
    readonly source: string,
    readonly expected: string,
    readonly received: string,
  ) {
    super(`Invalid setting ${setting} (${source}): expected ${expected}, got ${JSON.stringify(received)}`);
  }
}

/** The config file exists (or was named with --config-file) but cannot be used. */
export class ConfigFileError extends ConfigError {
  override readonly code = 'CONFIG_FILE_UNUSABLE';
  constructor(
    readonly path: string,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`Cannot use config file ${path}: ${reason}`, options);
  }
}

/** The command line could not be understood. */
export class UsageError extends ConfigError {
  override readonly code = 'CONFIG_USAGE';
}
