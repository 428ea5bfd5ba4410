/** Errors of the configuration sources (file, Greengrass IPC). Match on `code`, never on text. */
export type ConfigSourceErrorCode = 'CONFIG_FILE_UNREADABLE' | 'CONFIG_FILE_INVALID_JSON' | 'CONFIG_IPC_FAILED';

export class ConfigSourceError extends Error {
  override readonly name = 'ConfigSourceError';
  readonly code: ConfigSourceErrorCode;
  constructor(code: ConfigSourceErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
