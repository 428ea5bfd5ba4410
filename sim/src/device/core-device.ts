/**
 * A simulated Greengrass core device: applies deployments to a root folder laid out like a device and
 * runs component processes, the way the nucleus does for our components.
 *
 * Applying a deployment: resolve the dependency graph (deployment roots of every thing group the device
 * is in, the newest deployment per target winning), fetch and check artifacts, plan configuration and
 * lifecycle (recipe variables resolved), stop what changes (dependents first), start what is new
 * (dependencies first: Install, Startup, Run), then watch: a component that errors while starting, or
 * that the health probe calls unhealthy, fails the deployment, and with the ROLLBACK policy the previous
 * components come back. Status in the shapes of ListEffectiveDeployments and ListInstalledComponents.
 *
 * Simplifications (said, not hidden): one error while a deployment is being applied fails it (the
 * nucleus retries a component three times first); after that, a crashed Run process is restarted and
 * three errors in a row make it BROKEN, as on a device. Deployments to one device apply one at a time.
 */

import { randomUUID } from 'node:crypto';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { EffectiveDeployment, InstalledComponent } from '@aws-sdk/client-greengrassv2';
import { LocalDeviceError } from '../errors.ts';
import { type ArtifactSource, fetchArtifacts } from './artifact-fetch.ts';
import { type ComponentPlan, type PlanInput, type PlannedStep, planComponents } from './component-plan.ts';
import { type RunningScript, runScript, type ScriptSpec, spawnScript } from './component-process.ts';
import { readPointer } from './configuration.ts';
import { type RecipeLookup, resolveComponents, topologicalOrder } from './dependency-graph.ts';
import { type DeviceDeployment, DeviceDeploymentSchema, type ParsedDeviceDeployment } from './device-deployment.ts';
import { type DeviceLayout, deviceLayout } from './device-layout.ts';
import { type ComponentRecipe, parseDeviceRecipe } from './device-recipe.ts';
import { NucleusIpcServer } from './ipc/nucleus-ipc-server.ts';

/** Device-side port: the component catalog (recipes by name and version). */
export interface ComponentSource {
  recipe(name: string, version: string): Promise<unknown>;
  versions(name: string): Promise<readonly string[]>;
}

export type HealthVerdict =
  | { readonly state: 'healthy' }
  | { readonly state: 'pending'; readonly detail?: string }
  | { readonly state: 'unhealthy'; readonly reason: string };

/** Device-side port: the device's connection to AWS IoT Core (the local broker in one-machine mode). */
export interface IotCoreConnection {
  publish(request: { topic: string; payload: Uint8Array; qos: 0 | 1; retain: boolean }): Promise<void>;
}

/** Device-side port: is a freshly started component healthy (e.g. the agent's retained status)? */
export type HealthProbe = (input: {
  readonly thingName: string;
  readonly component: string;
  readonly version: string;
  readonly configuration: Readonly<Record<string, unknown>>;
  /** The component's direct dependencies as deployed with it. */
  readonly dependencies: Readonly<
    Record<string, { readonly version: string; readonly configuration: Readonly<Record<string, unknown>> }>
  >;
  readonly startedAt: Date;
}) => Promise<HealthVerdict>;

export type LifecycleState =
  | 'NEW'
  | 'INSTALLED'
  | 'STARTING'
  | 'RUNNING'
  | 'STOPPING'
  | 'ERRORED'
  | 'BROKEN'
  | 'FINISHED';

export type DeviceEvent =
  | { readonly type: 'deployment'; readonly thingName: string; readonly deployment: EffectiveDeployment }
  | {
      readonly type: 'component';
      readonly thingName: string;
      readonly component: string;
      readonly version: string;
      readonly state: LifecycleState;
      readonly detail?: string;
    };

export interface DeviceTiming {
  /** How long a started component must keep running before it counts as started. Default 1,000 ms. */
  readonly settleMs?: number;
  /** How long the health probe may stay `pending` before the deployment fails. Default 60,000 ms. */
  readonly healthTimeoutMs?: number;
  /** Interval between health probes. Default 250 ms. */
  readonly healthPollMs?: number;
  /** SIGTERM grace of a stopping Run process (after its Shutdown script). Default 15,000 ms. */
  readonly shutdownGraceMs?: number;
  /** Wait before restarting a crashed Run process. Default 1,000 ms. */
  readonly restartDelayMs?: number;
}

export interface CoreDeviceOptions {
  readonly thingName: string;
  readonly root: string;
  /** Thing group names (deployment targets are matched by their ARN's last segment). */
  readonly thingGroups: readonly string[];
  readonly catalog: ComponentSource;
  readonly artifacts: ArtifactSource;
  /** Default: every component is healthy once its process keeps running. */
  readonly health?: HealthProbe;
  /** Extra environment for every lifecycle script. */
  readonly env?: Readonly<Record<string, string>>;
  readonly region?: string;
  readonly timing?: DeviceTiming;
  readonly onEvent?: (event: DeviceEvent) => void;
  /**
   * Where PublishToIoTCore goes. When given, the device serves Greengrass IPC on a Unix socket and gives
   * each component process SVCUID and AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT, as the
   * nucleus does. Default: no IPC.
   */
  readonly iotCore?: IotCoreConnection;
}

interface Running {
  plan: ComponentPlan;
  state: LifecycleState;
  detail?: string;
  changedAt: Date;
  process?: RunningScript;
  stopping: boolean;
  errors: number;
  /** When its lifecycle last started (health reports older than this are stale). */
  startedAt?: Date;
  /** What the component last reported over IPC UpdateState. */
  reported?: 'RUNNING' | 'ERRORED';
}

const BROKEN_AFTER_ERRORS = 3;

export class CoreDevice {
  readonly thingName: string;
  readonly thingGroups: readonly string[];
  readonly layout: DeviceLayout;
  readonly #options: CoreDeviceOptions;
  readonly #timing: Required<DeviceTiming>;
  readonly #targets = new Map<string, ParsedDeviceDeployment>();
  readonly #running = new Map<string, Running>();
  readonly #deployments: EffectiveDeployment[] = [];
  readonly #recipes = new Map<string, ComponentRecipe>();
  #queue: Promise<unknown> = Promise.resolve();
  #logTail: Promise<void> = Promise.resolve();
  #closed = false;
  #ipc: NucleusIpcServer | undefined;

  constructor(options: CoreDeviceOptions) {
    this.#options = options;
    this.thingName = options.thingName;
    this.thingGroups = options.thingGroups;
    this.layout = deviceLayout(options.root);
    this.#timing = {
      settleMs: 1_000,
      healthTimeoutMs: 60_000,
      healthPollMs: 250,
      shutdownGraceMs: 15_000,
      restartDelayMs: 1_000,
      ...options.timing,
    };
  }

  /** True when a deployment to `targetArn` reaches this device. */
  isTargetedBy(targetArn: string): boolean {
    const last = targetArn.split('/').at(-1) ?? '';
    if (targetArn.includes(':thinggroup/')) return this.thingGroups.includes(last);
    return last === this.thingName;
  }

  /** Queues a deployment; resolves with its final status (SUCCEEDED, FAILED, ...). */
  deploy(deployment: DeviceDeployment): Promise<EffectiveDeployment> {
    const parsed = DeviceDeploymentSchema.safeParse(deployment);
    if (!parsed.success) {
      throw new LocalDeviceError('DEPLOYMENT_INVALID', `deployment for ${this.thingName}: ${parsed.error.message}`);
    }
    const record = this.#record(parsed.data, 'QUEUED');
    const done = this.#queue.then(async () => {
      try {
        return await this.#apply(parsed.data, record);
      } catch (err) {
        // Anything #apply did not expect (the IPC socket, the disk): the deployment fails, the device lives on.
        this.#setStatus(record, 'FAILED', `the device could not apply the deployment: ${(err as Error).message}`, [
          'DEPLOYMENT_FAILURE',
          'DEVICE_ERROR',
        ]);
        return structuredClone(record);
      }
    });
    this.#queue = done;
    return done;
  }

  listEffectiveDeployments(): EffectiveDeployment[] {
    return this.#deployments.map((d) => structuredClone(d));
  }

  listInstalledComponents(): InstalledComponent[] {
    return [...this.#running.values()].map((r) => ({
      componentName: r.plan.name,
      componentVersion: r.plan.version,
      lifecycleState: r.state,
      lifecycleStateDetails: r.detail,
      isRoot: r.plan.isRoot,
      lastStatusChangeTimestamp: r.changedAt,
      lastReportedTimestamp: r.changedAt,
    }));
  }

  /** The effective configuration of a running component (what {configuration:/...} resolves from). */
  configurationOf(component: string): Readonly<Record<string, unknown>> | undefined {
    return this.#running.get(component)?.plan.configuration;
  }

  /** Stops every component (dependents first). The device takes no deployments afterwards. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#queue;
    await this.#stopAll([...this.#running.keys()]);
    this.#running.clear();
    await this.#ipc?.close();
    this.#ipc = undefined;
    await this.#logTail;
  }

  /** Starts the IPC server (when the device has an IoT Core connection); deploy() calls it. */
  async #startIpc(): Promise<void> {
    const iot = this.#options.iotCore;
    if (!iot || this.#ipc) return;
    const preferred = join(this.layout.root, 'ipc.socket');
    // A Unix socket path is limited to about 107 bytes.
    const path = preferred.length < 100 ? preferred : join(tmpdir(), `edgeqc-ipc-${randomUUID().slice(0, 8)}.socket`);
    const ipc = new NucleusIpcServer(path, {
      publishToIoTCore: (_component, r) =>
        iot.publish({ topic: r.topicName, payload: r.payload, qos: r.qos, retain: r.retain }),
      getConfiguration: (target, keyPath) => {
        const config = this.#running.get(target)?.plan.configuration;
        return config === undefined ? undefined : readPointer(config, keyPath.map((k) => `/${k}`).join(''));
      },
      updateState: (component, state) => {
        const r = this.#running.get(component);
        if (!r || r.stopping) return;
        r.reported = state;
        if (state === 'ERRORED') this.#setState(r, 'ERRORED', 'the component reported ERRORED (UpdateState)');
      },
    });
    await mkdir(this.layout.root, { recursive: true });
    await ipc.start();
    this.#ipc = ipc;
  }

  #record(d: ParsedDeviceDeployment, status: EffectiveDeployment['coreDeviceExecutionStatus']): EffectiveDeployment {
    const now = new Date();
    const record: EffectiveDeployment = {
      deploymentId: d.deploymentId,
      deploymentName: d.deploymentName ?? d.deploymentId,
      iotJobId: `local-job-${d.deploymentId}`,
      targetArn: d.targetArn,
      coreDeviceExecutionStatus: status,
      creationTimestamp: now,
      modifiedTimestamp: now,
      statusDetails: { errorStack: [], errorTypes: [] },
    };
    this.#deployments.unshift(record);
    return record;
  }

  #setStatus(
    record: EffectiveDeployment,
    status: EffectiveDeployment['coreDeviceExecutionStatus'],
    reason?: string,
    errorStack: string[] = [],
  ): void {
    record.coreDeviceExecutionStatus = status;
    record.reason = reason;
    record.modifiedTimestamp = new Date();
    record.statusDetails = { errorStack, errorTypes: errorStack.length > 0 ? ['DEVICE_ERROR'] : [] };
    this.#emit({ type: 'deployment', thingName: this.thingName, deployment: structuredClone(record) });
    void this.#log(`deployment ${record.deploymentId} ${status}${reason ? `: ${reason}` : ''}`);
    // For people looking into the device folder; the in-memory record is what the API returns.
    const file = this.layout.deployment(record.deploymentId ?? 'unknown');
    void mkdir(dirname(file), { recursive: true })
      .then(() => writeFile(file, `${JSON.stringify(record, null, 2)}\n`))
      .catch(() => undefined);
  }

  #emit(event: DeviceEvent): void {
    try {
      this.#options.onEvent?.(event);
    } catch {
      // An observer's failure must not break the device.
    }
  }

  /**
   * Appends to the nucleus log in order, without making the caller wait; close() waits for the last
   * line, so nothing writes into the device's folder after it returns.
   */
  #log(line: string): Promise<void> {
    const stamped = `${new Date().toISOString()} ${line}\n`;
    this.#logTail = this.#logTail.then(async () => {
      try {
        await mkdir(dirname(this.layout.nucleusLog), { recursive: true });
        await appendFile(this.layout.nucleusLog, stamped);
      } catch {
        // The log is a diagnostic: a failed write must not fail a deployment.
      }
    });
    return this.#logTail;
  }

  #setState(r: Running, state: LifecycleState, detail?: string): void {
    r.state = state;
    r.detail = detail;
    r.changedAt = new Date();
    this.#emit({
      type: 'component',
      thingName: this.thingName,
      component: r.plan.name,
      version: r.plan.version,
      state,
      detail,
    });
    void this.#log(`${r.plan.name} ${r.plan.version} ${state}${detail ? `: ${detail}` : ''}`);
  }

  #lookup(): RecipeLookup {
    return {
      recipe: async (name, version) => {
        const key = `${name}@${version}`;
        const cached = this.#recipes.get(key);
        if (cached) return cached;
        const raw = await this.#options.catalog.recipe(name, version);
        const parsed = parseDeviceRecipe(raw, `recipe ${key}`);
        await mkdir(dirname(this.layout.recipe(name, version)), { recursive: true });
        await writeFile(this.layout.recipe(name, version), `${JSON.stringify(raw, null, 2)}\n`);
        this.#recipes.set(key, parsed);
        return parsed;
      },
      versions: (name) => this.#options.catalog.versions(name),
    };
  }

  async #apply(d: ParsedDeviceDeployment, record: EffectiveDeployment): Promise<EffectiveDeployment> {
    if (this.#closed) {
      this.#setStatus(record, 'CANCELED', 'the device is shutting down');
      return structuredClone(record);
    }
    this.#setStatus(record, 'IN_PROGRESS');
    await this.#startIpc();
    const previous = new Map([...this.#running].map(([n, r]) => [n, r.plan]));
    let plans: Map<string, ComponentPlan>;
    let order: string[];
    try {
      ({ plans, order } = await this.#planDeployment(d));
    } catch (err) {
      const code = err instanceof LocalDeviceError ? err.code : 'DEPLOYMENT_PREPARATION';
      this.#setStatus(record, 'FAILED', (err as Error).message, ['DEPLOYMENT_FAILURE', code]);
      return structuredClone(record);
    }
    const failure = await this.#converge(plans, order);
    if (!failure) {
      this.#targets.set(d.targetArn, d);
      await this.#persist();
      this.#setStatus(record, 'SUCCEEDED');
      return structuredClone(record);
    }
    if (d.failureHandlingPolicy === 'ROLLBACK') {
      const rollbackOrder = topologicalOrder(new Map([...previous].map(([n, p]) => [n, p.recipe])));
      const again = await this.#converge(previous, rollbackOrder);
      await this.#persist();
      const rolled = again ? `; the rollback failed too: ${again.reason}` : '; rolled back to the previous components';
      this.#setStatus(record, 'FAILED', `${failure.reason}${rolled}`, [
        'DEPLOYMENT_FAILURE',
        failure.code,
        again ? 'ROLLBACK_FAILED' : 'ROLLED_BACK',
      ]);
    } else {
      await this.#persist();
      this.#setStatus(record, 'FAILED', failure.reason, ['DEPLOYMENT_FAILURE', failure.code]);
    }
    return structuredClone(record);
  }

  async #planDeployment(d: ParsedDeviceDeployment): Promise<{ plans: Map<string, ComponentPlan>; order: string[] }> {
    const targets = new Map(this.#targets);
    targets.delete(d.targetArn);
    targets.set(d.targetArn, d);
    const roots: Record<string, string> = {};
    for (const t of targets.values()) {
      for (const [name, c] of Object.entries(t.components)) roots[name] = c.componentVersion;
    }
    const resolved = await resolveComponents(roots, this.#lookup());
    for (const name of resolved.startOrder) {
      const r = resolved.components.get(name)!;
      await fetchArtifacts(this.#options.artifacts, this.layout, r.name, r.version, r.artifacts);
    }
    const inputs = new Map<string, PlanInput>();
    for (const [name, recipe] of resolved.components) {
      inputs.set(name, {
        recipe,
        previousExplicit: this.#running.get(name)?.plan.explicit,
        update: d.components[name]?.configurationUpdate,
        isRoot: name in roots,
      });
    }
    const plans = planComponents(inputs, resolved.startOrder, this.layout, this.thingName);
    return { plans, order: [...resolved.startOrder] };
  }

  /** Makes the running set equal to `plans`; returns the first failure, if any. */
  async #converge(
    plans: ReadonlyMap<string, ComponentPlan>,
    order: readonly string[],
  ): Promise<{ code: string; reason: string } | undefined> {
    const restart = new Set<string>();
    for (const name of order) {
      const plan = plans.get(name)!;
      const now = this.#running.get(name);
      const depRestarts = plan.hardDependencies.some((dep) => restart.has(dep));
      if (
        !now ||
        now.plan.fingerprint !== plan.fingerprint ||
        depRestarts ||
        now.state === 'BROKEN' ||
        now.state === 'ERRORED'
      ) {
        restart.add(name);
      }
    }
    const toStop = [...this.#running.keys()].filter((n) => !plans.has(n) || restart.has(n));
    await this.#stopAll(toStop);
    for (const n of toStop) this.#running.delete(n);
    const started: Running[] = [];
    for (const name of order) {
      if (!restart.has(name)) continue;
      const r: Running = { plan: plans.get(name)!, state: 'NEW', changedAt: new Date(), stopping: false, errors: 0 };
      this.#running.set(name, r);
      this.#setState(r, 'NEW');
      const failure = await this.#start(r);
      if (failure) return failure;
      started.push(r);
    }
    return this.#watchStart(started);
  }

  #spec(r: Running, step: PlannedStep): ScriptSpec {
    const base: Record<string, string> = {
      PATH: `${dirname(process.execPath)}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      HOME: process.env.HOME ?? this.layout.root,
      LANG: process.env.LANG ?? 'C.UTF-8',
      AWS_IOT_THING_NAME: this.thingName,
      AWS_REGION: this.#options.region ?? 'us-east-1',
      AWS_DEFAULT_REGION: this.#options.region ?? 'us-east-1',
      GG_ROOT_PATH: this.layout.root,
    };
    const ipc: Record<string, string> = this.#ipc
      ? {
          SVCUID: this.#ipc.tokenFor(r.plan.name),
          AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT: this.#ipc.socketPath,
          AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH: this.#ipc.socketPath,
        }
      : {};
    return {
      script: step.script,
      env: { ...base, ...ipc, ...this.#options.env, ...step.env },
      cwd: this.layout.work(r.plan.name),
      logFile: this.layout.log(r.plan.name),
    };
  }

  async #start(r: Running): Promise<{ code: string; reason: string } | undefined> {
    const p = r.plan;
    const what = `${p.name} ${p.version}`;
    r.startedAt = new Date();
    for (const [label, step] of [
      ['install', p.install],
      ['startup', p.startup],
    ] as const) {
      if (!step) continue;
      if (label === 'startup') this.#setState(r, 'STARTING');
      const exit = await runScript(this.#spec(r, step), step.timeoutMs);
      if (exit.timedOut || exit.code !== 0) {
        const why = exit.timedOut
          ? `timed out after ${step.timeoutMs} ms`
          : `exited with code ${exit.code ?? exit.signal}`;
        this.#setState(r, 'ERRORED', `${label} script ${why}`);
        return { code: 'COMPONENT_ERRORED', reason: `${what} ${label} script ${why} (see ${this.layout.log(p.name)})` };
      }
      if (label === 'install') this.#setState(r, 'INSTALLED');
    }
    if (p.run) {
      this.#setState(r, 'STARTING');
      this.#spawnRun(r, p.run);
      this.#setState(r, 'RUNNING');
    } else {
      this.#setState(r, p.startup ? 'RUNNING' : 'FINISHED');
    }
    return undefined;
  }

  #spawnRun(r: Running, step: PlannedStep): void {
    const proc = spawnScript(this.#spec(r, step));
    r.process = proc;
    void proc.exited.then(async (exit) => {
      if (r.stopping || r.process !== proc) return;
      if (exit.code === 0) {
        this.#setState(r, 'FINISHED');
        return;
      }
      r.errors += 1;
      const detail = `run script exited with code ${exit.code ?? exit.signal}`;
      if (r.errors >= BROKEN_AFTER_ERRORS) {
        this.#setState(r, 'BROKEN', `${detail} (${r.errors} errors in a row)`);
        return;
      }
      this.#setState(r, 'ERRORED', detail);
      await new Promise((res) => setTimeout(res, this.#timing.restartDelayMs));
      if (r.stopping || r.process !== proc || this.#running.get(r.plan.name) !== r) return;
      this.#setState(r, 'STARTING');
      this.#spawnRun(r, step);
      this.#setState(r, 'RUNNING');
    });
  }

  /** After start: each new component must keep running through the settle time and pass the probe. */
  async #watchStart(started: readonly Running[]): Promise<{ code: string; reason: string } | undefined> {
    if (started.length === 0) return undefined;
    const startedAt = new Date();
    const errored = () => started.find((r) => r.state === 'ERRORED' || r.state === 'BROKEN');
    const probeInput = (r: Running) => ({
      thingName: this.thingName,
      component: r.plan.name,
      version: r.plan.version,
      configuration: r.plan.configuration,
      dependencies: Object.fromEntries(
        Object.keys(r.plan.recipe.dependencies).flatMap((dep) => {
          const d = this.#running.get(dep);
          return d ? [[dep, { version: d.plan.version, configuration: d.plan.configuration }]] : [];
        }),
      ),
      startedAt: r.startedAt ?? startedAt,
    });
    const failed = async (r: Running) => {
      // The component's own account of why, when its health says so (e.g. the agent's status reason).
      // Its status may still be on the way (UpdateState ERRORED comes first): wait briefly for it.
      let verdict = await this.#options.health?.(probeInput(r)).catch(() => undefined);
      const until = Date.now() + Math.min(2000, this.#timing.healthTimeoutMs);
      while (verdict?.state === 'pending' && Date.now() < until) {
        await new Promise((res) => setTimeout(res, 50));
        verdict = await this.#options.health?.(probeInput(r)).catch(() => undefined);
      }
      const why = verdict?.state === 'unhealthy' ? `; ${verdict.reason}` : '';
      return {
        code: 'COMPONENT_ERRORED',
        reason: `${r.plan.name} ${r.plan.version} failed while starting: ${r.detail ?? r.state}${why} (see ${this.layout.log(r.plan.name)})`,
      };
    };
    const deadline = Date.now() + this.#timing.settleMs;
    while (Date.now() < deadline) {
      const bad = errored();
      if (bad) return await failed(bad);
      await new Promise((res) => setTimeout(res, Math.min(50, this.#timing.settleMs)));
    }
    const probe = this.#options.health;
    if (!probe) {
      const bad = errored();
      return bad ? await failed(bad) : undefined;
    }
    const healthDeadline = Date.now() + this.#timing.healthTimeoutMs;
    const waiting = new Set(started);
    const lastDetail = new Map<Running, string>();
    while (waiting.size > 0) {
      const bad = errored();
      if (bad) return await failed(bad);
      for (const r of [...waiting]) {
        const verdict = await probe(probeInput(r));
        if (verdict.state === 'healthy') waiting.delete(r);
        else if (verdict.state === 'unhealthy') {
          this.#setState(r, 'ERRORED', verdict.reason);
          return {
            code: 'COMPONENT_UNHEALTHY',
            reason: `${r.plan.name} ${r.plan.version} reports unhealthy: ${verdict.reason}`,
          };
        } else if (verdict.detail) lastDetail.set(r, verdict.detail);
      }
      if (waiting.size === 0) break;
      if (Date.now() >= healthDeadline) {
        const r = [...waiting][0]!;
        return {
          code: 'COMPONENT_HEALTH_TIMEOUT',
          reason: `${r.plan.name} ${r.plan.version} did not report healthy within ${this.#timing.healthTimeoutMs} ms${lastDetail.has(r) ? ` (last: ${lastDetail.get(r)})` : ''}`,
        };
      }
      await new Promise((res) => setTimeout(res, this.#timing.healthPollMs));
    }
    return undefined;
  }

  /** Stops components, dependents before their dependencies. */
  async #stopAll(names: readonly string[]): Promise<void> {
    const all = new Map([...this.#running].map(([n, r]) => [n, r.plan.recipe]));
    const order = topologicalOrder(all)
      .reverse()
      .filter((n) => names.includes(n));
    for (const name of order) {
      const r = this.#running.get(name);
      if (!r) continue;
      r.stopping = true;
      this.#setState(r, 'STOPPING');
      if (r.plan.shutdown) await runScript(this.#spec(r, r.plan.shutdown), r.plan.shutdown.timeoutMs);
      if (r.process) await r.process.stop(this.#timing.shutdownGraceMs);
      r.process = undefined;
      this.#setState(r, 'FINISHED', 'stopped');
    }
  }

  async #persist(): Promise<void> {
    const components = Object.fromEntries(
      [...this.#running].map(([n, r]) => [n, { version: r.plan.version, configuration: r.plan.configuration }]),
    );
    await mkdir(dirname(this.layout.effectiveConfig), { recursive: true });
    await writeFile(
      this.layout.effectiveConfig,
      `${JSON.stringify({ thingName: this.thingName, thingGroups: this.thingGroups, components }, null, 2)}\n`,
    );
  }
}
