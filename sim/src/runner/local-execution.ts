/**
 * Runs a state machine definition (the one the CDK app synthesizes) with aws-local-stepfunctions, every
 * Task bound to a local function by STATE NAME (the interpreter's override key). A Task that invokes a
 * Lambda function (`arn:aws:states:::lambda:invoke` with FunctionName, or the function ARN as Resource)
 * gets the handler bound to that function; the result is wrapped as Lambda's Invoke response when the
 * integration returns one, and a thrown error surfaces as Lambda does: Error = the error's name, Cause
 * = {"errorType","errorMessage"} JSON. `aws-sdk:` integrations get the functions given for them.
 */
import { StateMachine } from 'aws-local-stepfunctions';

type JSONValue = Parameters<StateMachine['run']>[0];

import { LocalModeError } from '../errors.ts';

export type LocalTaskHandler = (payload: unknown) => Promise<unknown>;

interface AslState {
  readonly Type: string;
  readonly Resource?: string;
  readonly Parameters?: Record<string, unknown>;
  readonly Iterator?: AslMachine;
  readonly ItemProcessor?: AslMachine;
  readonly Branches?: readonly AslMachine[];
  readonly Next?: string;
}
export interface AslMachine {
  readonly StartAt: string;
  readonly States: Readonly<Record<string, AslState>>;
}

export interface TaskBinding {
  readonly stateName: string;
  /** The Lambda function (its ARN's last segment, the template's logical ID), when the Task invokes one. */
  readonly functionId?: string;
  /** `aws-sdk:<service>:<action>` for an SDK integration. */
  readonly sdkAction?: string;
  readonly wrapInvokeResponse: boolean;
}

/** Every Task state, nested ones included, and what it calls. */
export function taskBindings(machine: AslMachine): TaskBinding[] {
  const out: TaskBinding[] = [];
  const walk = (m: AslMachine) => {
    for (const [name, s] of Object.entries(m.States)) {
      if (s.Type === 'Task') {
        const resource = s.Resource ?? '';
        const fn = s.Parameters?.FunctionName;
        if (resource.startsWith('arn:aws:states:::lambda:invoke') && typeof fn === 'string') {
          out.push({ stateName: name, functionId: fn.split(':').at(-1), wrapInvokeResponse: true });
        } else if (/^arn:aws:lambda:/.test(resource)) {
          out.push({ stateName: name, functionId: resource.split(':').at(-1), wrapInvokeResponse: false });
        } else if (resource.startsWith('arn:aws:states:::aws-sdk:')) {
          out.push({
            stateName: name,
            sdkAction: resource.slice('arn:aws:states:::'.length),
            wrapInvokeResponse: false,
          });
        } else {
          out.push({ stateName: name, wrapInvokeResponse: false });
        }
      }
      if (s.Iterator) walk(s.Iterator);
      if (s.ItemProcessor) walk(s.ItemProcessor);
      for (const b of s.Branches ?? []) walk(b);
    }
  };
  walk(machine);
  return out;
}

export function waitStateNames(machine: AslMachine): string[] {
  const out: string[] = [];
  const walk = (m: AslMachine) => {
    for (const [name, s] of Object.entries(m.States)) {
      if (s.Type === 'Wait') out.push(name);
      if (s.Iterator) walk(s.Iterator);
      if (s.ItemProcessor) walk(s.ItemProcessor);
      for (const b of s.Branches ?? []) walk(b);
    }
  };
  walk(machine);
  return out;
}

/** An error as Step Functions reports a Lambda function's error. */
class LambdaFunctionError extends Error {
  constructor(name: string, message: string) {
    super(JSON.stringify({ errorType: name, errorMessage: message, trace: [] }));
    this.name = name;
  }
}

export interface LocalExecutionOptions {
  readonly definition: AslMachine;
  /** Handler per Lambda function (by its ID in the function ARN). */
  readonly functions: Readonly<Record<string, LocalTaskHandler>>;
  /** Handler per SDK integration action (e.g. `aws-sdk:greengrassv2:createDeployment`). */
  readonly sdkIntegrations?: Readonly<Record<string, LocalTaskHandler>>;
  /** Milliseconds every Wait state waits instead of its Seconds. Default: as defined. */
  readonly waitMs?: number;
  /** Milliseconds between retries instead of the Retry intervals. Default: as defined. */
  readonly retryIntervalMs?: number;
  readonly executionName?: string;
  readonly onEvent?: (event: { type: string; stateName?: string; error?: string; cause?: unknown }) => void;
}

export interface LocalExecutionResult {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: unknown;
  /** State names in the order they were entered (retries not repeated). */
  readonly path: readonly string[];
  /** The last state that was entered. */
  readonly finalState: string | undefined;
}

export async function runLocalExecution(input: unknown, options: LocalExecutionOptions): Promise<LocalExecutionResult> {
  const handlers: Record<string, (input: JSONValue) => Promise<JSONValue>> = {};
  for (const b of taskBindings(options.definition)) {
    const fn = b.functionId
      ? options.functions[b.functionId]
      : b.sdkAction
        ? options.sdkIntegrations?.[b.sdkAction]
        : undefined;
    if (!fn) {
      throw new LocalModeError(
        'TASK_UNBOUND',
        `Task state '${b.stateName}' calls ${b.functionId ? `function ${b.functionId}` : (b.sdkAction ?? 'an unknown resource')}, which has no local binding`,
      );
    }
    handlers[b.stateName] = async (taskInput) => {
      const payload = b.wrapInvokeResponse ? (taskInput as { Payload?: unknown }).Payload : taskInput;
      let result: unknown;
      try {
        result = await fn(payload);
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        throw new LambdaFunctionError(e.name, e.message);
      }
      const json = (result === undefined ? null : JSON.parse(JSON.stringify(result))) as JSONValue;
      return b.wrapInvokeResponse ? { ExecutedVersion: '$LATEST', Payload: json, StatusCode: 200 } : json;
    };
  }
  const waits =
    options.waitMs === undefined
      ? {}
      : Object.fromEntries(waitStateNames(options.definition).map((n) => [n, options.waitMs!]));
  const retries =
    options.retryIntervalMs === undefined
      ? {}
      : Object.fromEntries(taskBindings(options.definition).map((b) => [b.stateName, options.retryIntervalMs!]));
  const machine = new StateMachine(options.definition as never, {
    validationOptions: { checkArn: false, checkPaths: false },
  });
  const startTime = new Date().toISOString();
  const execution = machine.run(input as JSONValue, {
    overrides: { taskResourceLocalHandlers: handlers, waitTimeOverrides: waits, retryIntervalOverrides: retries },
    context: {
      StateMachine: { Id: `arn:aws:states:us-east-1:000000000000:stateMachine:local`, Name: 'local' },
      Execution: {
        Id: `arn:aws:states:us-east-1:000000000000:execution:local:${options.executionName ?? 'run'}`,
        Name: options.executionName ?? 'run',
        Input: input as JSONValue,
        StartTime: startTime,
      },
    },
  });
  const path: string[] = [];
  const logs = (async () => {
    for await (const event of execution.eventLogs) {
      if (event.type === 'StateEntered' && !('parentState' in event)) path.push(event.state.name);
      const e = event as { type: string; state?: { name: string }; Error?: string; Cause?: unknown };
      options.onEvent?.({ type: e.type, stateName: e.state?.name, error: e.Error, cause: e.Cause });
    }
  })();
  try {
    const output = await execution.result;
    await logs.catch(() => undefined);
    return { status: 'SUCCEEDED', output, path, finalState: path.at(-1) };
  } catch (err) {
    await logs.catch(() => undefined);
    const e = err as Error & { cause?: { name?: string; message?: string } };
    return {
      status: 'FAILED',
      error: e.cause?.name ?? e.name,
      cause: e.cause?.message ?? e.message,
      path,
      finalState: path.at(-1),
    };
  }
}
