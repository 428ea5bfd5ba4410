/**
 * What the agent needs from the world (ports, and the model manager's narrow face) and its settings.
 * main.ts builds these from the validated configuration; tests give fakes.
 */
import type { Thresholds } from '@edgeqc/model-component/manifest';
import type { Inspection, ModelRef } from '../contracts/inspection.ts';
import type { SelfTestResult } from '../core/types.ts';
import type { Logger } from '../log.ts';
import type {
  CameraSource,
  Detector,
  ImageArchive,
  ImagePreparer,
  LifecycleReporter,
  Outbox,
  PreparedImage,
  Publisher,
  SeenIndex,
} from '../ports.ts';
import type { UploadSink } from '../upload/uploader.ts';
import type { MetricsObserver, MetricsSettings } from './metrics-stage.ts';

/** Why the last model bundle was refused. */
export interface ModelRefusal {
  readonly code: string;
  readonly message: string;
  readonly model?: { readonly name?: string; readonly version?: string; readonly path?: string };
}

/** The model manager as the agent sees it: the serving detector and what the last load did. */
export interface ModelProvider {
  /** The detector that serves now; null while none does. Read between two images (hot swap). */
  current(): Detector | null;
  status(): {
    readonly model: ModelRef | null;
    readonly selfTest: SelfTestResult | null;
    /** The last refusal since the last successful load; null when the last load succeeded. */
    readonly lastRefusal: ModelRefusal | null;
    /** Stopped on request (Lookout for Vision StopModel): degraded, but not an error. */
    readonly stopped?: boolean;
  };
}

/** inference/inspect-image.ts's `inspectImage`, injected. */
export type InspectFn = (
  prepared: PreparedImage,
  detector: Detector,
  options: { thingName: string; thresholds?: Partial<Thresholds> },
) => Promise<Inspection>;

export interface AgentDeps {
  readonly camera: CameraSource & { stats?(): { readonly pending: number } };
  readonly preparer: ImagePreparer;
  readonly models: ModelProvider;
  readonly inspect: InspectFn;
  readonly outbox: Outbox;
  readonly publisher: Publisher;
  readonly archive: ImageArchive;
  readonly seen: SeenIndex;
  /** Greengrass UpdateState; none when not running under Greengrass. */
  readonly lifecycle?: LifecycleReporter;
  readonly log: Logger;
  readonly now?: () => Date;
  /** The uploader (config section `upload`): offered each committed inspection; none when uploads are off. */
  readonly uploads?: UploadSink;
  /** Also gets the model metrics (the Prometheus exporter); none by default. */
  readonly metricsObserver?: MetricsObserver;
}

export interface AgentSettings {
  readonly thingName: string;
  /** Topic prefix, e.g. edgeqc/<thingName>. */
  readonly topicPrefix: string;
  readonly agentVersion: string;
  /** Retained status heartbeat period. */
  readonly statusIntervalSec: number;
  /** Images admitted and prepared ahead of inference (decoding overlaps inference). >= 1. */
  readonly inFlight: number;
  /** Config overrides of the manifest's thresholds. */
  readonly thresholds?: Partial<Thresholds>;
  /** On stop, how long to wait for the outbox to deliver what it holds. Default 3000 ms. */
  readonly shutdownFlushMs?: number;
  /** On stop, how long to wait for the images in flight. Default 10000 ms. */
  readonly shutdownDrainMs?: number;
  /** The model metrics (config section `metrics`). Default: that section's defaults. */
  readonly metrics?: MetricsSettings;
}
