/**
 * `npm run demo:rollout` / `edgeqc demo-rollout`, and the end-to-end test: the whole system on one
 * machine. Packages the real agent (package-agent) and publishes it, starts the embedded broker and
 * three simulated core devices (canary-1 in `canary`, line-1 and line-2 in `fleet`) with cameras, and
 * runs the rollout story through the state machine the CDK app synthesizes.
 *
 * The state machine is the one the CDK app synthesizes (`@edgeqc/infra/synth`), read from the template;
 * the synth runs in a worker thread while the agent is packaged.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageAgent } from '@edgeqc/edge-component/package-agent';
import { createPemSigner, generateDevKeyPair } from '@edgeqc/model-component/signers';
import { defaultLogger } from '@edgeqc/orchestrator/handler-factories';
import { TamperingArtifactStore } from '../adapters/tampering-artifact-store.ts';
import type { DeviceEvent } from '../device/core-device.ts';
import { INFERENCE_COMPONENT } from '../fleet/agent-health-probe.ts';
import { createLocalWorld } from '../fleet/local-world.ts';
import { publishPackagingOutput } from '../fleet/publish-components.ts';
import { createLocalPipeline } from '../pipeline/local-pipeline.ts';
import { DEMO_MODEL_DIR, PROJECT_ROOT } from '../project-root.ts';
import type { CfnTemplate } from '../runner/cfn-intrinsics.ts';
import { formatDeviceLine } from './fleet-summary.ts';
import { runRolloutScenario, type ScenarioReport } from './rollout-scenario.ts';
import { type Synthesized, synthInWorker } from './synth-in-worker.ts';
import { writeSyntheticImages } from './synthetic-images.ts';

const MODEL_DIR = DEMO_MODEL_DIR;
const MODEL_GROUP = 'tag-scratch';
const BUCKET = 'edgeqc-artifacts';
const INFERENCE_VERSION = '1.0.0';

export interface DemoRolloutOptions {
  /** Working folder (devices, store, registry...). Default: a new temporary folder, removed at the end. */
  readonly root?: string;
  readonly keepRoot?: boolean;
  readonly shotIntervalMs?: number;
  /** Every Wait state of the state machine waits this long. Default 500 ms. */
  readonly waitMs?: number;
  readonly settleTimeoutMs?: number;
  /** The canary bake, in seconds (short in the local world). Default 2. */
  readonly canaryBakeSeconds?: number;
  readonly say: (line: string) => void;
  /** Device lifecycle events, for a verbose console. */
  readonly onDeviceEvent?: (event: DeviceEvent) => void;
  /** Agent entry to package. Default: package-agent's default (edge-component/src/main.ts). */
  readonly agentEntry?: string;
  /** Where the state machine comes from, in this thread. Default: infra's synth module (the CDK app) in a worker thread. */
  readonly synth?: InfraSynth;
}

export interface InfraSynth {
  synthPipelineTemplate(): unknown;
  stateMachineDefinitionFrom(template: unknown): unknown;
}

/**
 * The release that behaves badly on the line: the INT8 model again, validly signed, with threshold
 * defaults (thresholds.json beside it) so low that a faint detection on a clean tag counts as a defect.
 * It passes its four self-tests (two scratched tags, two clean ones whose best score stays below them), and
 * on the cameras' images calls most tags defects: the canary's quality gate refuses it.
 */
export const MISBEHAVING_VERSION = '2.1.0';
const MISBEHAVING_THRESHOLDS = { confidence: 0.005, review: 0.005, defect: 0.005, iou: 0.5 };
const MISBEHAVING_SELF_TESTS = 'scratch-01.jpg=defect,scratch-04.jpg=defect,clean-06.jpg=ok,no-tag-01.jpg=ok';

/**
 * The quality gate in the demo: a few seconds of images instead of hundreds (the canary bake is 2 s), so
 * the rate limits are wide enough for the few tens of images a canary inspects here; the misbehaving
 * release is far past them. The demo does not judge drift: over tens of images the PSI is noise (one
 * image in a bin the baseline never had adds about 0.3, a bin it leaves empty about as much), enough to
 * part the FP32 export from the INT8 model; hence a limit no honest release reaches here.
 */
export const DEMO_QUALITY_GATE = {
  minImages: 20,
  maxUnclearRateIncrease: 0.15,
  maxDefectRateIncrease: 0.15,
  maxScorePsi: 5,
} as const;

/** The release that passes the canary and that a fleet device refuses. */
export const FLEET_FAILURE_VERSION = '3.1.0';
export const FLEET_FAILURE_DEVICE = 'line-2';

/**
 * Model files of the releases: v1 the FP32 export, v2 the INT8 model, v3 the INT8 model again (tampered
 * on the way), 3.1.0 the FP32 export again (refused by one fleet device).
 */
async function modelFiles(): Promise<Record<string, Uint8Array>> {
  const int8 = await readFile(join(MODEL_DIR, 'model.int8.onnx'));
  const fp32 = await readFile(join(MODEL_DIR, 'model.fp32.onnx')).catch(() => int8);
  return { '1.0.0': fp32, '2.0.0': int8, [MISBEHAVING_VERSION]: int8, '3.0.0': int8, [FLEET_FAILURE_VERSION]: fp32 };
}

/**
 * The sample images, clean and scratched tags taken in turn: any few tens of consecutive drops have about
 * the mix of the whole set, so a canary's short bake sees what its baseline saw.
 */
function interleaved(images: readonly string[]): string[] {
  const scratched = images.filter((f) => /scratch/i.test(f));
  const others = images.filter((f) => !/scratch/i.test(f));
  const out: string[] = [];
  for (let i = 0; i < Math.max(scratched.length, others.length); i++) {
    out.push(...scratched.slice(i, i + 1), ...others.slice(i, i + 1));
  }
  return out;
}

async function cameraImages(root: string): Promise<string[]> {
  for (const folder of ['samples', 'sample-images', 'images']) {
    const dir = join(MODEL_DIR, folder);
    const files = await readdir(dir).catch(() => [] as string[]);
    const images = files.filter((f) => /\.(jpe?g|png)$/i.test(f)).sort();
    if (images.length > 0) return interleaved(images).map((f) => join(dir, f));
  }
  return writeSyntheticImages(join(root, 'camera-source'), 12);
}

/** The agent configuration deployed with com.edgeqc.Inference (its DefaultConfiguration). */
export function demoAgentConfig(trustedPublicKeyPem: string): Record<string, unknown> {
  // Short periods: the canary bake waits for a heartbeat newer than its start, and the quality gate for a
  // metrics message published after the bake.
  return {
    cameraDir: 'camera',
    trustedKeys: [trustedPublicKeyPem],
    statusIntervalSec: 2,
    metrics: { intervalSeconds: 1 },
  };
}

export async function runDemoRollout(o: DemoRolloutOptions): Promise<ScenarioReport & { root: string }> {
  const say = o.say;
  // Started first, awaited once the world is up: the synth and the packaging share the wait.
  const synth = o.synth;
  const synthesized: Promise<Synthesized> = synth
    ? Promise.resolve().then(() => {
        const template = synth.synthPipelineTemplate();
        return { template, definition: synth.stateMachineDefinitionFrom(template) };
      })
    : synthInWorker();
  synthesized.catch(() => undefined); // seen where it is awaited; not an unhandled rejection if packaging fails first
  const root = o.root ?? (await mkdtemp(join(tmpdir(), 'edgeqc-demo-')));
  defaultLogger.level = 'silent'; // the handlers' JSON step logs would drown the story (it narrates their outcome)
  try {
    say(`working folder ${root}`);
    const keys = generateDevKeyPair('ed25519');
    const signer = createPemSigner(keys.privateKeyPem, { signerName: 'local-demo' });
    say(`signing key: a fresh Ed25519 key (${keys.keyId}); the agent trusts only its public key`);

    const agentOut = join(root, 'agent-package');
    const packaged = await packageAgent(
      // The agent validates its configuration itself when it starts (a bad one fails the deployment).
      { validateConfig: (raw) => raw as Record<string, unknown> },
      {
        platforms: [process.arch === 'arm64' ? 'linux-arm64' : 'linux-x64'],
        outDir: agentOut,
        projectRoot: PROJECT_ROOT,
        entry: o.agentEntry,
        version: INFERENCE_VERSION,
        agentConfig: demoAgentConfig(keys.publicKeyPem),
        modelName: MODEL_GROUP,
        modelVersionRequirement: '>=1.0.0 <4.0.0',
        fetch: false,
      },
    );
    const mib = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MiB`;
    say(
      `agent packaged: ${packaged.artifacts.map((a) => `${a.component} ${a.version} (${mib(a.sizeBytes)})`).join(', ')}`,
    );

    const world = await createLocalWorld({
      root,
      devices: [
        { thingName: 'canary-1', thingGroups: ['canary'] },
        { thingName: 'line-1', thingGroups: ['fleet'] },
        { thingName: 'line-2', thingGroups: ['fleet'] },
      ],
      deviceTiming: { healthTimeoutMs: 60_000, shutdownGraceMs: 20_000 },
      onDeviceEvent: (e) => {
        o.onDeviceEvent?.(e);
        const d = e.type === 'deployment' ? e.deployment : undefined;
        if (d && (d.coreDeviceExecutionStatus === 'SUCCEEDED' || d.coreDeviceExecutionStatus === 'FAILED')) {
          say(
            `  device ${e.thingName}: ${d.deploymentName} ${d.coreDeviceExecutionStatus}${d.reason ? ` (${d.reason})` : ''}`,
          );
        }
      },
    });
    try {
      say(`broker ${world.broker.url} (embedded); devices canary-1 [canary], line-1 and line-2 [fleet]`);
      const published = await publishPackagingOutput(world.store, world.catalog, agentOut);
      say(
        `component catalog: ${published.map((c) => `${c.componentName} ${c.componentVersion} ${c.state}`).join(', ')}`,
      );

      const { template, definition } = await synthesized;
      const store = new TamperingArtifactStore(world.store);
      const pipeline = createLocalPipeline({
        world,
        template: template as CfnTemplate,
        definitionFrom: () => definition,
        signer,
        store,
        bucket: BUCKET,
        modelPackageGroup: MODEL_GROUP,
        inferenceComponentVersion: INFERENCE_VERSION,
        waitMs: o.waitMs ?? 500,
        canaryTimeoutSeconds: 180,
        canaryBakeSeconds: o.canaryBakeSeconds ?? 2,
        qualityGate: DEMO_QUALITY_GATE,
        fleetTimeoutSeconds: 180,
      });
      say(
        `state machine: synthesized by the CDK app, ${Object.keys(pipeline.definition.States).length} states, run by aws-local-stepfunctions`,
      );

      const models = await modelFiles();
      const firstInspection = new Set<string>();
      world.observer.onInspection = (i) => {
        const key = `${i.thingName}@${i.model.version}`;
        if (firstInspection.has(key)) return;
        firstInspection.add(key);
        say(
          `  watch: ${i.thingName} now inspects with model ${i.model.version} (first: ${i.image.file}, ${i.verdict})`,
        );
      };
      const report = await runRolloutScenario({
        world,
        pipeline,
        cameraDirOf: (thing) => join(world.fleet.device(thing).layout.work(INFERENCE_COMPONENT), 'camera'),
        images: await cameraImages(root),
        shotIntervalMs: o.shotIntervalMs ?? 400,
        settleTimeoutMs: o.settleTimeoutMs ?? 60_000,
        releases: [
          { version: '1.0.0' },
          { version: '2.0.0' },
          {
            version: MISBEHAVING_VERSION,
            misbehaves: `its thresholds (${MISBEHAVING_THRESHOLDS.defect}) call a faint mark on a clean tag a defect; signed, its 4 self-tests pass`,
          },
          { version: '3.0.0', tamper: true },
          { version: FLEET_FAILURE_VERSION, refusedBy: FLEET_FAILURE_DEVICE },
        ],
        say,
        registerModel: async (release) => {
          const uri = `s3://edgeqc-models/${MODEL_GROUP}/${release.version}/model.onnx`;
          await world.store.put(uri, models[release.version]!);
          const metadata: Record<string, string> = {
            modelName: MODEL_GROUP,
            modelVersion: release.version,
            labels: 'scratch',
          };
          if (release.misbehaves) {
            // Beside the model, as publish-model uploads them: its threshold defaults and self-test images.
            const beside = (file: string) => `s3://edgeqc-models/${MODEL_GROUP}/${release.version}/${file}`;
            await world.store.put(beside('thresholds.json'), Buffer.from(JSON.stringify(MISBEHAVING_THRESHOLDS)));
            for (const test of MISBEHAVING_SELF_TESTS.split(',')) {
              const file = test.split('=')[0]!;
              await world.store.put(beside(file), await readFile(join(MODEL_DIR, 'samples', file)));
            }
            metadata.selfTest = MISBEHAVING_SELF_TESTS;
          }
          if (release.tamper) store.spoil.add(`com.edgeqc.Model.${MODEL_GROUP}/${release.version}`);
          if (release.refusedBy) {
            world.faults.refuseModel(
              release.refusedBy,
              release.version,
              `this device refuses model ${release.version}`,
            );
          }
          const pkg = await world.registry.register({
            group: MODEL_GROUP,
            modelDataUrl: uri,
            metadata,
          });
          await world.registry.approve(pkg.arn);
          return pkg.arn;
        },
      });
      say('\n== summary');
      for (const d of report.devices) say(`  ${formatDeviceLine(d)}`);
      for (const s of report.steps) {
        say(
          `  ${s.modelVersion}: ${s.execution.status}${s.execution.error ? ` (${s.execution.error})` : ''}, ended in ${s.execution.finalState}`,
        );
        const why = stepOutcome(s.notifications);
        if (why) say(`    ${why}`);
      }
      say(`  ${(report.durationMs / 1000).toFixed(0)} s`);
      return { ...report, root };
    } finally {
      await world.close();
    }
  } finally {
    if (!o.root && !o.keepRoot) await rm(root, { recursive: true, force: true });
  }
}

/** Why a step ended as it did, in one line: the failure's error and reason, or the canary's quality gate. */
export function stepOutcome(notifications: readonly string[]): string | undefined {
  const text = notifications.join('\n');
  const error = /^Error: (.*)$/m.exec(text)?.[1];
  const reason = /^Reason: (.*)$/m.exec(text)?.[1];
  if (error) return `why: ${error}: ${reason ?? 'no reason given'}`;
  const gate = /^Canary (quality gate .*)$/m.exec(text)?.[1];
  return gate ? `canary ${gate}` : undefined;
}
