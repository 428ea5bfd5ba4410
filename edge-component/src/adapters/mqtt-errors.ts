/** Errors of the publishing adapters (MQTT 5, MQTT 3.1.1, Greengrass IPC). Match on `code`, never on text. */
export type PublishErrorCode =
  | 'BAD_BROKER_URL'
  | 'BAD_CREDENTIALS'
  | 'NOT_CONNECTED'
  | 'CONNECT_FAILED'
  | 'PUBLISH_FAILED'
  | 'PUBLISH_REJECTED'
  | 'CLOSED';

export class PublishError extends Error {
  override readonly name = 'PublishError';
  readonly code: PublishErrorCode;
  constructor(code: PublishErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
