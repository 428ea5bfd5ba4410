/**
 * The stable codes of edge-component's errors (errors.ts re-exports them): per error class, its codes
 * as constants (`ArchiveCode.SourceMissing`) and as a union type (`ArchiveCode`).
 */

/**
 * An image that cannot be inspected (the agent quarantines it with this reason and keeps running).
 * TooLarge is about bytes; UnsupportedFormat about the magic bytes; Duplicate: the same bytes were
 * inspected before.
 */
export const ImageRejectedCode = {
  Empty: 'IMAGE_EMPTY',
  TooLarge: 'IMAGE_TOO_LARGE',
  TooManyPixels: 'IMAGE_TOO_MANY_PIXELS',
  UnsupportedFormat: 'IMAGE_UNSUPPORTED_FORMAT',
  Truncated: 'IMAGE_TRUNCATED',
  Corrupt: 'IMAGE_CORRUPT',
  Unreadable: 'IMAGE_UNREADABLE',
  Duplicate: 'IMAGE_DUPLICATE',
} as const;
export type ImageRejectedCode = (typeof ImageRejectedCode)[keyof typeof ImageRejectedCode];

/**
 * A model bundle the agent refuses to serve (a good running model keeps serving). Retired: a run on a
 * replaced model that was already closed (read the model manager's current() again). Rollback: a
 * version below the highest this device accepted for that model name, or another model under that
 * same version (model/model-high-water.ts). ExpectationMismatch: the signed manifest's name, version
 * or model sha256 is not what the deployment said (`model.expect`). StateCorrupt: the high-water file
 * cannot be read or does not parse (every bundle is refused until it is repaired or removed);
 * StateWriteFailed: the new high-water mark could not be made durable (the bundle is not served).
 */
export const ModelIntegrityCode = {
  BundleMissingFile: 'BUNDLE_MISSING_FILE',
  ManifestInvalid: 'MANIFEST_INVALID',
  SignatureMissing: 'SIGNATURE_MISSING',
  SignatureInvalid: 'SIGNATURE_INVALID',
  UnknownKey: 'UNKNOWN_KEY',
  SizeMismatch: 'MODEL_SIZE_MISMATCH',
  HashMismatch: 'MODEL_HASH_MISMATCH',
  TooOld: 'MODEL_TOO_OLD',
  LoadFailed: 'MODEL_LOAD_FAILED',
  ShapeMismatch: 'MODEL_SHAPE_MISMATCH',
  ProbeNotFinite: 'MODEL_PROBE_NOT_FINITE',
  SelfTestFailed: 'SELF_TEST_FAILED',
  Retired: 'MODEL_RETIRED',
  Rollback: 'MODEL_ROLLBACK',
  ExpectationMismatch: 'MODEL_EXPECTATION_MISMATCH',
  StateCorrupt: 'MODEL_STATE_CORRUPT',
  StateWriteFailed: 'MODEL_STATE_WRITE_FAILED',
} as const;
export type ModelIntegrityCode = (typeof ModelIntegrityCode)[keyof typeof ModelIntegrityCode];

/** The detector's onnxruntime worker thread could not start or stopped. */
export const DetectorCode = {
  WorkerFailed: 'DETECTOR_WORKER_FAILED',
  /** The watchdog found the worker answering nothing for its deadline and restarted it. */
  RunTimeout: 'DETECTOR_RUN_TIMEOUT',
} as const;
export type DetectorCode = (typeof DetectorCode)[keyof typeof DetectorCode];

/** A configuration or command line that does not validate. */
export const AgentConfigCode = {
  Invalid: 'CONFIG_INVALID',
  Usage: 'USAGE',
  TrustedKeyRequired: 'TRUSTED_KEY_REQUIRED',
  TrustedKeyUnreadable: 'TRUSTED_KEY_UNREADABLE',
} as const;
export type AgentConfigCode = (typeof AgentConfigCode)[keyof typeof AgentConfigCode];

/**
 * The durable outbox. OpenFailed: folder unusable; WriteFailed: append not durable, nothing
 * acknowledged; Full: pause-intake hard limit reached, try again later; BadEntry: empty topic, payload
 * not bytes, entry larger than maxBytes; EntryTooLarge: payload over the broker's message limit; ReadFailed: a stored entry no longer checks out (set aside,
 * not delivered).
 */
export const OutboxCode = {
  OpenFailed: 'OUTBOX_OPEN_FAILED',
  WriteFailed: 'OUTBOX_WRITE_FAILED',
  Full: 'OUTBOX_FULL',
  BadEntry: 'OUTBOX_BAD_ENTRY',
  ReadFailed: 'OUTBOX_READ_FAILED',
  Closed: 'OUTBOX_CLOSED',
  /** The payload is larger than the broker takes (mqtt.maxMessageBytes): it never enters the outbox. */
  EntryTooLarge: 'OUTBOX_ENTRY_TOO_LARGE',
} as const;
export type OutboxCode = (typeof OutboxCode)[keyof typeof OutboxCode];

/** An image could not be moved to done/ or quarantine/. SourceMissing: the file vanished before the move. */
export const ArchiveCode = { SourceMissing: 'ARCHIVE_SOURCE_MISSING', MoveFailed: 'ARCHIVE_MOVE_FAILED' } as const;
export type ArchiveCode = (typeof ArchiveCode)[keyof typeof ArchiveCode];

/** The seen index cannot be read or written. */
export const SeenIndexCode = {
  OpenFailed: 'SEEN_INDEX_OPEN_FAILED',
  WriteFailed: 'SEEN_INDEX_WRITE_FAILED',
  Closed: 'SEEN_INDEX_CLOSED',
} as const;
export type SeenIndexCode = (typeof SeenIndexCode)[keyof typeof SeenIndexCode];

/** The configuration sources (file, Greengrass IPC). */
export const ConfigSourceCode = {
  FileUnreadable: 'CONFIG_FILE_UNREADABLE',
  FileInvalidJson: 'CONFIG_FILE_INVALID_JSON',
  IpcFailed: 'CONFIG_IPC_FAILED',
} as const;
export type ConfigSourceCode = (typeof ConfigSourceCode)[keyof typeof ConfigSourceCode];

/** The publishing adapters (MQTT 5, MQTT 3.1.1, Greengrass IPC). */
export const PublishCode = {
  BadBrokerUrl: 'BAD_BROKER_URL',
  BadCredentials: 'BAD_CREDENTIALS',
  NotConnected: 'NOT_CONNECTED',
  ConnectFailed: 'CONNECT_FAILED',
  PublishFailed: 'PUBLISH_FAILED',
  PublishRejected: 'PUBLISH_REJECTED',
  /**
   * The broker refused the message for good (MQTT 5 PUBACK 135 Not authorized, 144 Topic name invalid,
   * 149 Packet too large, 153 Payload format invalid; the client's own packet validation; an MQTT 3.1.1
   * broker that drops the connection at every try): sending it again cannot help.
   */
  PublishRefused: 'PUBLISH_REFUSED',
  Closed: 'CLOSED',
} as const;
export type PublishCode = (typeof PublishCode)[keyof typeof PublishCode];

/** The agent packager (packaging/). */
export const PackagingCode = {
  Usage: 'USAGE',
  ConfigInvalid: 'CONFIG_INVALID',
  ConfigKey: 'CONFIG_KEY',
  Platform: 'PLATFORM',
  NoPlatform: 'NO_PLATFORM',
  EntryMissing: 'ENTRY_MISSING',
  BundleFailed: 'BUNDLE_FAILED',
  PackageMissing: 'PACKAGE_MISSING',
  PackageFetch: 'PACKAGE_FETCH',
  TarballBadName: 'TARBALL_BAD_NAME',
  NodeBinaryMissing: 'NODE_BINARY_MISSING',
  License: 'LICENSE',
  TemplateShape: 'TEMPLATE_SHAPE',
  VersionExists: 'VERSION_EXISTS',
  VersionRequirement: 'VERSION_REQUIREMENT',
} as const;
export type PackagingCode = (typeof PackagingCode)[keyof typeof PackagingCode];

/** A zip archive that cannot be written or read safely (the packager's and the device's unzip). */
export const ZipCode = {
  BadName: 'ZIP_BAD_NAME',
  Corrupt: 'ZIP_CORRUPT',
  Duplicate: 'ZIP_DUPLICATE',
  Malformed: 'ZIP_MALFORMED',
  TooLarge: 'ZIP_TOO_LARGE',
  TooMany: 'ZIP_TOO_MANY',
  Unsupported: 'ZIP_UNSUPPORTED',
} as const;
export type ZipCode = (typeof ZipCode)[keyof typeof ZipCode];

/** The bundled demo model cannot be turned into a signed bundle (not a source checkout, packaging failed). */
export const DemoBundleCode = { ModelMissing: 'DEMO_MODEL_MISSING', Failed: 'DEMO_BUNDLE_FAILED' } as const;
export type DemoBundleCode = (typeof DemoBundleCode)[keyof typeof DemoBundleCode];

/**
 * A camera file that is not taken in as it stands. NotRegularFile: a symbolic link, FIFO, socket or
 * device, never followed, opened or read (quarantined). Changed: the file changed (inode, size, mtime)
 * between the completeness check and the read, or during the read: not quarantined, offered again.
 */
export const IntakeFileCode = { NotRegularFile: 'IMAGE_NOT_REGULAR_FILE', Changed: 'IMAGE_CHANGED' } as const;
export type IntakeFileCode = (typeof IntakeFileCode)[keyof typeof IntakeFileCode];

/** Codes the agent reports in an error event without an error class of their own. */
export const InspectionCode = {
  Failed: 'INSPECTION_FAILED',
  /** The inference did not answer within the watchdog's deadline, on a restarted worker too. */
  Hung: 'INSPECTION_HUNG',
} as const;
export type InspectionCode = (typeof InspectionCode)[keyof typeof InspectionCode];

/**
 * A synchronous inspection request (HTTP, gRPC) that is not served: the queue is full (try again later),
 * it waited or ran too long, no model serves (or it was stopped), or a raw bitmap does not match its
 * stated size. Image problems are ImageRejectedError, with the same codes the quarantine uses.
 */
export const SyncCode = {
  QueueFull: 'SYNC_QUEUE_FULL',
  Timeout: 'SYNC_TIMEOUT',
  NoModel: 'SYNC_NO_MODEL',
  BadBitmap: 'SYNC_BAD_BITMAP',
  Stopping: 'SYNC_STOPPING',
} as const;
export type SyncCode = (typeof SyncCode)[keyof typeof SyncCode];

/**
 * The synchronous HTTP API. At start: InsecureBind (a host beyond loopback without TLS and a bearer token
 * or client certificates), BadOptions (an option out of range), ListenFailed (the port is taken...).
 * In replies, the JSON body's `error.code` besides the image and sync codes: BadRequest (a query
 * parameter), UnsupportedContentType, Unauthorized (no or wrong bearer token), NotFound,
 * MethodNotAllowed, NotAlive (the liveness check fails). In its client (`edgeqc inspect --url`):
 * Unreachable (no connection, or no answer in time), BadResponse (an answer that is not the API's).
 */
export const HttpApiCode = {
  InsecureBind: 'HTTP_INSECURE_BIND',
  BadOptions: 'HTTP_BAD_OPTIONS',
  ListenFailed: 'HTTP_LISTEN_FAILED',
  BadRequest: 'HTTP_BAD_REQUEST',
  UnsupportedContentType: 'HTTP_UNSUPPORTED_CONTENT_TYPE',
  Unauthorized: 'HTTP_UNAUTHORIZED',
  NotFound: 'HTTP_NOT_FOUND',
  MethodNotAllowed: 'HTTP_METHOD_NOT_ALLOWED',
  NotAlive: 'HTTP_NOT_ALIVE',
  Unreachable: 'HTTP_UNREACHABLE',
  BadResponse: 'HTTP_BAD_RESPONSE',
} as const;
export type HttpApiCode = (typeof HttpApiCode)[keyof typeof HttpApiCode];

/**
 * The Lookout for Vision gRPC server. At start: SocketPathTaken (the socket path exists and is not a
 * socket: never removed), SocketInUse (a server answers on it), BindFailed (gRPC could not bind). In
 * calls: UnknownModel (a model_component we do not serve: NOT_FOUND), ModelState (the model is not in
 * the state the call needs: FAILED_PRECONDITION).
 */
export const LfvCode = {
  SocketPathTaken: 'LFV_SOCKET_PATH_TAKEN',
  SocketInUse: 'LFV_SOCKET_IN_USE',
  BindFailed: 'LFV_BIND_FAILED',
  UnknownModel: 'LFV_UNKNOWN_MODEL',
  ModelState: 'LFV_MODEL_STATE',
} as const;
export type LfvCode = (typeof LfvCode)[keyof typeof LfvCode];

/**
 * The device's model metrics (src/metrics/). InvalidCounts: a histogram that is no distribution (PSI
 * over vectors of different lengths, negative counts, an empty side). Drift: the serving model's
 * best-score histogram moved past `metrics.drift.psiLimit` from its baseline (an event, not a failure).
 * PrometheusListenFailed: the opt-in scrape endpoint could not listen on its host and port.
 */
export const MetricsCode = {
  InvalidCounts: 'METRICS_INVALID_COUNTS',
  Drift: 'MODEL_DRIFT',
  PrometheusListenFailed: 'METRICS_PROMETHEUS_LISTEN_FAILED',
} as const;
export type MetricsCode = (typeof MetricsCode)[keyof typeof MetricsCode];

/**
 * The uploader (src/upload/). QueueFailed: the upload queue folder cannot be opened or written (the
 * inspection itself stands; its image is not uploaded); ItemCorrupt: a queued item no longer checks out
 * (set aside under failed/); PutFailed: the store did not take an object (tried again after a backoff);
 * Refused: the store refuses the object for good (set aside under failed/); Closed: the uploader is closed.
 */
export const UploadCode = {
  QueueFailed: 'UPLOAD_QUEUE_FAILED',
  ItemCorrupt: 'UPLOAD_ITEM_CORRUPT',
  PutFailed: 'UPLOAD_PUT_FAILED',
  Refused: 'UPLOAD_REFUSED',
  Closed: 'UPLOAD_CLOSED',
} as const;
export type UploadCode = (typeof UploadCode)[keyof typeof UploadCode];
