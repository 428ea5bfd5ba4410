/**
 * One run of the agent with one configuration: the adapters (camera folder source, sharp preparer,
 * disk outbox, seen index and folder archive under the work folder, the publisher), the model manager
 * and the agent, wired and started. A configuration change stops this run and starts a new one.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createArchiveRetention } from '../adapters/archive-retention.ts';
import { createCameraFolderSource } from '../adapters/camera-folder-source.ts';
import { createDiskOutbox } from '../adapters/disk-outbox.ts';
import { createDiskSpaceMonitor, gateOnDiskSpace } from '../adapters/disk-space.ts';
import { createFolderArchive } from '../adapters/folder-archive.ts';
import { createIpcLifecycleReporter } from '../adapters/greengrass-ipc/ipc-lifecycle-reporter.ts';
import type { GreengrassIpcSession } from '../adapters/greengrass-ipc/ipc-session.ts';
import { loadDetector, type OnnxDetectorOptions } from '../adapters/onnx-detector.ts';
import { loadWorkerDetector } from '../adapters/onnx-worker-detector.ts';
import type { PrometheusExporter } from '../adapters/prometheus-exporter.ts';
import { createSeenIndex } from '../adapters/seen-index.ts';
import { createSharpImagePreparer } from '../adapters/sharp-image-preparer.ts';
import { jsonBytes, willStatus } from '../agent/agent-messages.ts';
import { AGENT_VERSION } from '../agent/agent-version.ts';
import { type Agent, createAgent, type ModelEvent } from '../agent/create-agent.ts';
import { type AgentConfig, topicPrefixOf, workFolders } from '../config/schema.ts';
import { topicsFor } from '../contracts/topics.ts';
import type { VerifiedBundle } from '../core/types.ts';
import { messageOf } from '../errors.ts';
import { inspectImage } from '../inference/inspect-image.ts';
import { runSelfTests } from '../inference/self-test.ts';
import type { Logger } from '../log.ts';
import { createModelManager } from '../model/model-manager.ts';
import type { Detector, PublishRequest } from '../ports.ts';
import { createUploadStage } from '../upload/create-upload-stage.ts';
import { createPublisher } from './create-publisher.ts';
import { type SyncServers, startSyncServers } from './sync-servers.ts';

/** One run of the agent with one configuration (a configuration change makes a new one). */
export interface AgentRuntime {
  readonly agent: Agent;
  /** The HTTP API's URL and the gRPC socket, when they are on. */
  readonly sync: Pick<SyncServers, 'httpUrl' | 'lfvSocket'>;
  stop(reason: string): Promise<void>;
}

/** Wires the adapters, the model manager and the agent for one configuration, and starts them. */
export async function createAgentRuntime(
  config: AgentConfig,
  context: { readonly log: Logger; readonly greengrass?: GreengrassIpcSession },
): Promise<AgentRuntime> {
  const { log } = context;
  const thingName = config.thingName as string;
  const topics = topicsFor(topicPrefixOf(config));
  const folders = workFolders(config);
  await mkdir(folders.state, { recursive: true });
  const will: PublishRequest = {
    topic: topics.status,
    payload: jsonBytes(willStatus(thingName, AGENT_VERSION)),
    qos: 1,
    retain: true,
  };
  const publisher = createPublisher(config, will, context.greengrass);
  publisher.connect().catch((err: unknown) => {
    // Both MQTT clients keep trying in the background; the outbox holds the messages meanwhile.
    log.warn({ err: messageOf(err) }, 'broker not reachable yet; inspections wait in the outbox');
  });
  const preparer = createSharpImagePreparer({
    maxFileBytes: config.limits.maxFileBytes,
    maxPixels: config.limits.maxPixels,
  });
  const outbox = await createDiskOutbox({
    dir: config.outbox.dir,
    capacity: config.outbox.capacity,
    maxBytes: config.outbox.maxBytes,
    policy: config.outbox.policy,
    maxEntryBytes: config.mqtt.maxMessageBytes,
    log,
  });
  const seen = await createSeenIndex({ file: join(folders.state, 'seen-index.jsonl'), capacity: config.seenCapacity });
  const folderSource = createCameraFolderSource({ dir: config.cameraDir, maxFileBytes: config.limits.maxFileBytes });
  // A full disk pauses intake (files wait in the camera folder) and the status says why.
  const disk = createDiskSpaceMonitor({ dir: config.workDir, minFreeBytes: config.limits.minFreeBytes, log });
  await disk.check();
  disk.start();
  const camera = gateOnDiskSpace(folderSource, disk);
  const retention = createArchiveRetention({
    root: config.workDir,
    done: config.retention.done,
    quarantine: config.retention.quarantine,
    maxDeletesPerPass: config.retention.maxDeletesPerPass,
    intervalMs: config.retention.intervalSec * 1000,
    log,
  });
  retention.start();
  const archive = createFolderArchive({
    root: config.workDir,
    annotate: config.annotate,
    identityOf: (path) => camera.identityOf(path),
  });

  // Uploads (off by default): a durable queue fed by the commit stage, drained to S3 or a folder. It
  // starts at once: what a restart finds queued goes out while the model loads, or when none serves.
  const uploads = await createUploadStage(config, log);
  uploads?.start();

  let agent: Agent | undefined;
  const early: ModelEvent[] = [];
  const forward = (event: ModelEvent) => {
    if (agent) agent.modelEvent(event);
    else early.push(event);
  };
  const models = createModelManager({
    dir: config.model.dir,
    trustedKeys: config.trustedKeys,
    minModelVersion: config.model.minVersion,
    ...(config.model.expect ? { expect: config.model.expect } : {}),
    stateDir: folders.state,
    detector: {
      intraOpThreads: config.inference.intraOpThreads,
      interOpThreads: config.inference.interOpThreads,
      worker: config.inference.detectorThread === 'worker',
      allowSpinning: config.inference.allowSpinning,
      pipelineNice: config.inference.pipelineNice,
    },
    loadDetector: watchedDetectorLoader(config.watchdog.inferenceTimeoutMs, log),
    runSelfTests,
    preparer,
    log,
    onEvent: (event) =>
      forward(event.type === 'model-loaded' ? { type: 'loaded' } : { type: 'rejected', refusal: event.refusal }),
  });
  await models.start();
  // The opt-in Prometheus endpoint (metrics.prometheus.port; off at 0) sees the agent's model metrics.
  // prom-client is loaded only when it is on: an agent without it does not carry its code.
  const prometheus: PrometheusExporter | undefined =
    config.metrics.prometheus.port > 0
      ? (await import('../adapters/prometheus-exporter.ts')).createPrometheusExporter()
      : undefined;
  agent = createAgent(
    {
      camera,
      preparer,
      models,
      inspect: inspectImage,
      outbox,
      publisher,
      archive,
      seen,
      uploads,
      lifecycle: context.greengrass ? createIpcLifecycleReporter(context.greengrass) : undefined,
      log,
      metricsObserver: prometheus,
    },
    {
      thingName,
      topicPrefix: topicPrefixOf(config),
      agentVersion: AGENT_VERSION,
      statusIntervalSec: config.statusIntervalSec,
      inFlight: config.inference.inFlight,
      thresholds: config.thresholds,
      metrics: config.metrics,
    },
  );
  await agent.start();
  for (const event of early) agent.modelEvent(event);
  const running = agent;
  try {
    if (prometheus) log.info({ url: await prometheus.listen(config.metrics.prometheus) }, 'Prometheus endpoint up');
  } catch (err) {
    await running.stop(`the Prometheus endpoint could not start: ${messageOf(err)}`);
    await models.close().catch(() => undefined);
    throw err;
  }
  let sync: SyncServers;
  try {
    sync = await startSyncServers(config, {
      agent: running,
      models,
      preparer,
      outbox,
      archive,
      inspectionsTopic: topics.inspections,
      log,
    });
  } catch (err) {
    await running.stop(`the synchronous API could not start: ${messageOf(err)}`);
    await uploads?.close();
    await models.close().catch(() => undefined);
    throw err;
  }
  return {
    agent: running,
    sync: { httpUrl: sync.httpUrl, lfvSocket: sync.lfvSocket },
    async stop(reason) {
      await sync.close();
      await prometheus?.close().catch((err: unknown) => log.warn({ err }, 'Prometheus endpoint close failed'));
      await running.stop(reason);
      await uploads?.close().catch((err: unknown) => log.warn({ err }, 'uploader close failed'));
      disk.stop();
      await retention.stop();
      await models.close().catch((err: unknown) => log.warn({ err }, 'model manager close failed'));
    },
  };
}

/**
 * loadDetector with the watchdog (watchdog.inferenceTimeoutMs) on a worker detector: a worker that
 * answers nothing for that long is restarted (onnx-worker-detector.ts); 0, or the main thread: as is.
 */
function watchedDetectorLoader(
  runTimeoutMs: number,
  log: Logger,
): (bundle: VerifiedBundle, options: OnnxDetectorOptions) => Promise<Detector> {
  return (bundle, options) => {
    if (options.worker !== true || runTimeoutMs === 0) return loadDetector(bundle, options);
    const settings = {
      intraOpThreads: options.intraOpThreads,
      interOpThreads: options.interOpThreads,
      allowSpinning: options.allowSpinning ?? false,
    };
    return loadWorkerDetector(bundle, settings, {
      pipelineNice: options.pipelineNice ?? 0,
      runTimeoutMs,
      onRestart: (info) => log.error({ ...info, runTimeoutMs }, 'inference worker hung: restarted'),
    });
  };
}
