/**
 * A simulated fleet of any size behind fake Greengrass v2, IoT and IoT data-plane clients (the `send` of
 * the SDK clients, answering the commands the fleet check uses with the real response shapes), each
 * operation held to a request rate. Time is simulated: a call waits (setTimeout, under vitest's fake
 * timers) for its turn at the operation's rate, then for its latency; nothing sleeps for real.
 *
 * A device's state is a function of its index, so 100,000 devices cost nothing until they are asked
 * about; the IoT job's counts are tallied once from the same function.
 */
import {
  GetDeploymentCommand,
  ListEffectiveDeploymentsCommand,
  ListInstalledComponentsCommand,
} from '@aws-sdk/client-greengrassv2';
import { DescribeJobCommand, ListThingsInThingGroupCommand } from '@aws-sdk/client-iot';
import { GetRetainedMessageCommand } from '@aws-sdk/client-iot-data-plane';
import { SHA_NEW, SHA_OLD, statusMessage } from './fixtures.ts';

/** What happened on one device: healthy, its deployment failed (the job sees it), or a failure only a deep check sees. */
export type SimulatedOutcome = 'healthy' | 'deployment-failed' | 'self-test-failed' | 'in-progress';

export interface SimulatedFleetOptions {
  readonly size: number;
  readonly outcome: (index: number) => SimulatedOutcome;
  /** Requests per second each operation is held to (operation name -> rate). */
  readonly ratesPerSecond: Readonly<Record<string, number>>;
  /** Simulated latency of every call. Default 50 ms. */
  readonly latencyMs?: number;
}

export const SIM = {
  group: 'fleet',
  deploymentId: 'dep-fleet',
  jobId: 'job-fleet',
  model: 'com.edgeqc.Model.tag-scratch',
  version: '1.0.2',
  oldVersion: '1.0.1',
} as const;

const thingName = (i: number) => `line-${String(i).padStart(6, '0')}`;
const indexOf = (name: string) => Number(name.slice('line-'.length));

type Command = { input: Record<string, unknown>; constructor: { name: string } };

export class SimulatedFleetApi {
  readonly calls = new Map<string, number>();
  readonly #o: SimulatedFleetOptions;
  readonly #nextFree = new Map<string, number>();

  constructor(o: SimulatedFleetOptions) {
    this.#o = o;
  }

  get totalCalls(): number {
    return [...this.calls.values()].reduce((a, b) => a + b, 0);
  }

  /** Waits for the operation's next slot at its rate, then the call's latency (simulated time). */
  async #turn(operation: string): Promise<void> {
    const rate = this.#o.ratesPerSecond[operation];
    if (!rate) throw new Error(`the simulated API has no rate for ${operation}`);
    this.calls.set(operation, (this.calls.get(operation) ?? 0) + 1);
    const now = Date.now();
    const start = Math.max(now, this.#nextFree.get(operation) ?? 0);
    this.#nextFree.set(operation, start + 1000 / rate);
    await new Promise((r) => setTimeout(r, start - now + (this.#o.latencyMs ?? 50)));
  }

  #jobCounts() {
    const c = {
      numberOfSucceededThings: 0,
      numberOfFailedThings: 0,
      numberOfTimedOutThings: 0,
      numberOfRejectedThings: 0,
      numberOfCanceledThings: 0,
      numberOfRemovedThings: 0,
      numberOfQueuedThings: 0,
      numberOfInProgressThings: 0,
    };
    for (let i = 0; i < this.#o.size; i++) {
      const o = this.#o.outcome(i);
      if (o === 'deployment-failed') c.numberOfFailedThings++;
      else if (o === 'in-progress') c.numberOfInProgressThings++;
      // A device whose agent failed the self-test still reported its deployment as succeeded.
      else c.numberOfSucceededThings++;
    }
    return c;
  }

  readonly greengrass = { send: (command: unknown) => this.#greengrass(command as Command) };
  readonly iot = { send: (command: unknown) => this.#iot(command as Command) };
  readonly iotData = { send: (command: unknown) => this.#iotData(command as Command) };

  // biome-ignore lint/suspicious/noExplicitAny: the fake answers several SDK commands with their own shapes.
  async #greengrass(command: Command): Promise<any> {
    if (command instanceof GetDeploymentCommand) {
      await this.#turn('GetDeployment');
      return {
        deploymentId: SIM.deploymentId,
        targetArn: `arn:aws:iot:us-east-1:123456789012:thinggroup/${SIM.group}`,
        deploymentStatus: 'ACTIVE',
        iotJobId: SIM.jobId,
        components: { [SIM.model]: { componentVersion: SIM.version } },
      };
    }
    const name = String(command.input.coreDeviceThingName);
    const o = this.#o.outcome(indexOf(name));
    if (command instanceof ListEffectiveDeploymentsCommand) {
      await this.#turn('ListEffectiveDeployments');
      const status = { 'deployment-failed': 'FAILED', 'in-progress': 'IN_PROGRESS' }[o as string] ?? 'SUCCEEDED';
      return { effectiveDeployments: [{ deploymentId: SIM.deploymentId, coreDeviceExecutionStatus: status }] };
    }
    if (command instanceof ListInstalledComponentsCommand) {
      await this.#turn('ListInstalledComponents');
      const version = o === 'healthy' || o === 'self-test-failed' ? SIM.version : SIM.oldVersion;
      return {
        installedComponents: [{ componentName: SIM.model, componentVersion: version, lifecycleState: 'FINISHED' }],
      };
    }
    throw new Error(`the simulated Greengrass API does not answer ${command.constructor.name}`);
  }

  // biome-ignore lint/suspicious/noExplicitAny: as above.
  async #iot(command: Command): Promise<any> {
    if (command instanceof DescribeJobCommand) {
      await this.#turn('DescribeJob');
      return { job: { jobId: SIM.jobId, status: 'IN_PROGRESS', jobProcessDetails: this.#jobCounts() } };
    }
    if (command instanceof ListThingsInThingGroupCommand) {
      await this.#turn('ListThingsInThingGroup');
      const pageSize = Math.min(Number(command.input.maxResults ?? 25), 250);
      const from = Number(command.input.nextToken ?? 0);
      const to = Math.min(from + pageSize, this.#o.size);
      const things = Array.from({ length: to - from }, (_, k) => thingName(from + k));
      return { things, nextToken: to < this.#o.size ? String(to) : undefined };
    }
    throw new Error(`the simulated IoT API does not answer ${command.constructor.name}`);
  }

  // biome-ignore lint/suspicious/noExplicitAny: as above.
  async #iotData(command: Command): Promise<any> {
    if (command instanceof GetRetainedMessageCommand) {
      await this.#turn('GetRetainedMessage');
      const name = String(command.input.topic).split('/')[1] ?? '';
      const o = this.#o.outcome(indexOf(name));
      const status =
        o === 'self-test-failed'
          ? statusMessage(name, { sha256: SHA_NEW, selfTestPassed: false })
          : statusMessage(name, { sha256: o === 'healthy' ? SHA_NEW : SHA_OLD });
      return { topic: command.input.topic, payload: new TextEncoder().encode(JSON.stringify(status)) };
    }
    throw new Error(`the simulated IoT data API does not answer ${command.constructor.name}`);
  }
}
