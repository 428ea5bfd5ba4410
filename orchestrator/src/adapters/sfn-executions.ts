/** The rollout state machine's executions (client-sfn), for the people's `edgeqc rollout` command. */
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { HistoryEvent } from '../domain/execution-progress.ts';
import { awsCall } from './aws-errors.ts';

export interface ExecutionSummary {
  readonly arn: string;
  readonly status: string;
  readonly startedAt?: Date;
  readonly stoppedAt?: Date;
  readonly input?: string;
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
}

export interface RolloutExecutions {
  start(stateMachineArn: string, input: unknown, name?: string): Promise<string>;
  latest(stateMachineArn: string): Promise<string | undefined>;
  /** RUNNING executions of the state machine. */
  running(stateMachineArn: string): Promise<ExecutionSummary[]>;
  describe(executionArn: string): Promise<ExecutionSummary>;
  history(executionArn: string): Promise<HistoryEvent[]>;
}

export function createSfnExecutions(client: Pick<SFNClient, 'send'> = new SFNClient({})): RolloutExecutions {
  return {
    async start(stateMachineArn, input, name) {
      const out = await awsCall(`Step Functions StartExecution ${stateMachineArn}`, () =>
        client.send(new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input), name })),
      );
      if (!out.executionArn) throw new Error('StartExecution returned no executionArn');
      return out.executionArn;
    },
    async latest(stateMachineArn) {
      const out = await awsCall(`Step Functions ListExecutions ${stateMachineArn}`, () =>
        client.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 20 })),
      );
      return [...(out.executions ?? [])].sort(
        (a, b) => (b.startDate?.getTime() ?? 0) - (a.startDate?.getTime() ?? 0),
      )[0]?.executionArn;
    },
    async running(stateMachineArn) {
      const out: ExecutionSummary[] = [];
      let nextToken: string | undefined;
      do {
        const page = await awsCall(`Step Functions ListExecutions ${stateMachineArn}`, () =>
          client.send(
            new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING', maxResults: 100, nextToken }),
          ),
        );
        for (const e of page.executions ?? []) {
          if (e.executionArn) out.push({ arn: e.executionArn, status: e.status ?? 'RUNNING', startedAt: e.startDate });
        }
        nextToken = page.nextToken;
      } while (nextToken);
      return out;
    },
    async describe(executionArn) {
      const d = await awsCall(`Step Functions DescribeExecution ${executionArn}`, () =>
        client.send(new DescribeExecutionCommand({ executionArn })),
      );
      return {
        arn: executionArn,
        status: d.status ?? 'UNKNOWN',
        startedAt: d.startDate,
        stoppedAt: d.stopDate,
        input: d.input,
        output: d.output,
        error: d.error,
        cause: d.cause,
      };
    },
    async history(executionArn) {
      const events: HistoryEvent[] = [];
      let nextToken: string | undefined;
      do {
        const out = await awsCall(`Step Functions GetExecutionHistory ${executionArn}`, () =>
          client.send(new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000 })),
        );
        events.push(...((out.events ?? []) as HistoryEvent[]));
        nextToken = out.nextToken;
      } while (nextToken);
      return events;
    },
  };
}
