/** The sections of the agent configuration (thresholds, mqtt, inference, limits, outbox). */
import { z } from 'zod';
import { isLoopbackHost } from '../adapters/mqtt-url.ts';
import { MAX_DETECTIONS } from '../contracts/inspection.ts';
import { fraction, int, path, posInt } from './schema-builders.ts';

export const ThresholdOverridesSchema = z
  .strictObject({
    confidence: fraction().optional().describe('Detections scoring below are dropped.'),
    iou: fraction().optional().describe('Per-class NMS IoU threshold.'),
    review: fraction().optional().describe('Best score at or above: verdict `unclear` (for a person).'),
    defect: fraction().optional().describe('A scratch scoring at or above: verdict `defect`.'),
    maxDetections: posInt(MAX_DETECTIONS)
      .optional()
      .describe(`Most detections kept per image (at most ${MAX_DETECTIONS}, the inspection message's own cap).`),
  })
  .refine((t) => t.review === undefined || t.defect === undefined || t.review <= t.defect, {
    error: 'expected review <= defect',
  })
  .describe("Overrides of the model manifest's thresholds; a key left out keeps the manifest's value.");

/** AWS IoT Core's largest message payload: 128 KB. */
export const MAX_MESSAGE_BYTES = 128 * 1024;

/** True for a plain `mqtt://` URL whose host is not loopback (an unparsable URL is left to the URL check). */
function isPlaintextBeyondLoopback(url: string | undefined): boolean {
  if (url === undefined || !url.startsWith('mqtt://')) return false;
  try {
    return !isLoopbackHost(new URL(url).hostname);
  } catch {
    return false;
  }
}

export const MqttConfigSchema = z
  .strictObject({
    url: z
      .string({ error: 'expected a broker URL mqtt://host:port or mqtts://host:port' })
      .regex(/^mqtts?:\/\/[^/\s]+\/?$/, { error: 'expected a broker URL mqtt://host:port or mqtts://host:port' })
      .optional()
      .describe(
        'Broker URL (not under Greengrass, which publishes through IPC). For AWS IoT Core: ' +
          'mqtts://<account endpoint>:8883 with certFile and keyFile.',
      ),
    version: z
      .enum(['5', '3.1.1'], { error: 'expected "5" or "3.1.1"' })
      .default('5')
      .describe('MQTT protocol version; 3.1.1 for brokers without MQTT 5 (the embedded Aedes).'),
    clientId: z
      .string({ error: 'expected a client id (a string)' })
      .min(1, { error: 'expected a non-empty client id' })
      .max(128, { error: 'expected a client id of at most 128 characters' })
      .optional()
      .describe('MQTT client id. Default: the thing name (AWS IoT policies usually require it).'),
    keepAliveSec: int('a keep-alive from 5 to 1200 seconds', 5, 1200).default(30).describe('MQTT keep-alive.'),
    caFile: path('a CA certificate file').optional().describe('PEM CA bundle. Default: the system trust store.'),
    certFile: path('a client certificate file').optional().describe('X.509 device certificate (AWS IoT Core).'),
    keyFile: path('a private key file').optional().describe('Private key of certFile (AWS IoT Core).'),
    allowPlaintext: z
      .boolean({ error: 'expected true or false' })
      .default(false)
      .describe(
        'Allow plain mqtt:// (no TLS: messages and any user:password in the URL travel in clear) to a host ' +
          'beyond loopback (localhost, 127.0.0.0/8, ::1). Default false: plain mqtt:// only to loopback.',
      ),
    maxMessageBytes: int('a message size from 1024 to 268435455 bytes', 1024, 268_435_455)
      .default(MAX_MESSAGE_BYTES)
      .describe(
        'Largest message payload, checked when a message enters the outbox (also under Greengrass): a larger ' +
          'inspection never enters it, its image is quarantined (OUTBOX_ENTRY_TOO_LARGE) and /errors says so. ' +
          "Default 131072, AWS IoT Core's limit (128 KB).",
      ),
  })
  .refine((m) => (m.certFile === undefined) === (m.keyFile === undefined), {
    error: 'expected certFile and keyFile together (mutual TLS) or neither',
  })
  .refine((m) => m.allowPlaintext || !isPlaintextBeyondLoopback(m.url), {
    path: ['url'],
    error:
      'expected mqtts:// (TLS), or plain mqtt:// to loopback only (localhost, 127.0.0.1, ::1); ' +
      'set mqtt.allowPlaintext to true to send in clear to another host',
  })
  .describe('Direct MQTT connection, used when not running under Greengrass.');

export const InferenceConfigSchema = z
  .strictObject({
    intraOpThreads: int('an integer from 0 to 64', 0, 64)
      .default(1)
      .describe(
        'onnxruntime threads inside one operator; 0: onnxruntime chooses (one per core). Default 1: the model ' +
          "runs on one core and the agent's decoding, letterboxing and publishing on the others. Raise it on " +
          'devices with more cores (figures for both settings: docs/benchmarks.md).',
      ),
    interOpThreads: int('an integer from 0 to 64', 0, 64)
      .default(1)
      .describe('onnxruntime threads across operators; 0: onnxruntime chooses.'),
    inFlight: posInt(16)
      .default(2)
      .describe('Images in flight at once, so that decoding the next image overlaps inference.'),
    detectorThread: z
      .enum(['worker', 'main'], { error: 'expected "worker" or "main"' })
      .default('worker')
      .describe(
        'Where onnxruntime runs a model: worker (a thread of its own, so preparing, decoding and publishing ' +
          "overlap inference, for some more memory; figures: docs/benchmarks.md) or main (the agent's main " +
          'thread, blocked during each inference).',
      ),
    allowSpinning: z
      .boolean({ error: 'expected true or false' })
      .default(false)
      .describe(
        "Let onnxruntime's thread pools spin while waiting for work: a little quicker hand-over, but the " +
          'spinning takes CPU the rest of the agent needs.',
      ),
    pipelineNice: int('an integer from 0 to 19', 0, 19)
      .default(10)
      .describe(
        "With detectorThread worker, on Linux: the nice value the agent's other threads (decoding, " +
          'letterboxing, hashing, outbox, MQTT, onnxruntime helper threads) are lowered to, so that the thread ' +
          'running the model keeps a core when the CPU is full; 0 leaves priorities alone.',
      ),
  })
  .describe('Inference session and pipeline concurrency.');

export const LimitsConfigSchema = z
  .strictObject({
    maxFileBytes: posInt()
      .default(20 * 1024 * 1024)
      .describe(
        'Larger image files are quarantined (IMAGE_TOO_LARGE), judged from their size before any byte is read. ' +
          'Default 20 MiB.',
      ),
    minFreeBytes: int('a number of bytes (0 or more)', 0, Number.MAX_SAFE_INTEGER)
      .default(64 * 1024 * 1024)
      .describe(
        "Below this much free space on the work folder's file system the " +
          'agent takes no new camera files and reports degraded (disk full) until there is room again; nothing ' +
          'is lost. Checked every second (statfs). 0: only a file system with no free block. Default 64 MiB.',
      ),
    maxPixels: posInt()
      .default(4096 * 4096)
      .describe('Images with more pixels are quarantined before decoding (IMAGE_TOO_MANY_PIXELS). Default 4096x4096.'),
  })
  .describe('Admission limits that keep memory bounded.');

export const OutboxConfigSchema = z
  .strictObject({
    dir: path('the outbox folder').optional().describe('Durable outbox folder. Default: <workDir>/outbox.'),
    capacity: posInt().default(10_000).describe('Most messages held while the broker is unreachable.'),
    maxBytes: posInt()
      .default(256 * 1024 * 1024)
      .describe('Most bytes held on disk. Default 256 MiB.'),
    policy: z
      .enum(['pause-intake', 'drop-oldest'], { error: 'expected "pause-intake" or "drop-oldest"' })
      .default('pause-intake')
      .describe(
        'When full: pause-intake stops taking camera files until there is room (nothing lost; /status ' +
          'says so); drop-oldest drops the oldest message (counted on /status).',
      ),
  })
  .describe('The durable outbox between inspection and publishing.');
