/**
 * The pipeline stack's CloudFormation template, synthesized offline and fast (Lambda bundling skipped:
 * the functions' code is a placeholder asset, everything else is what `cdk deploy` deploys), and the
 * state machine definition read out of it as plain ASL for the one-machine mode.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { FEATURE_FLAGS } from './feature-flags.ts';
import { PipelineStack, type PipelineStackProps } from './pipeline-stack.ts';

/** Context key that lists the stacks to bundle; an empty list skips esbuild (cdk's own switch). */
export const BUNDLING_STACKS_CONTEXT = 'aws:cdk:bundling-stacks';

export interface SynthOptions extends PipelineStackProps {
  /** Run esbuild for the functions (slow). Default false. */
  readonly bundle?: boolean;
  /** Cloud assembly folder. Default: a fresh temporary folder (cdk's default outside the CLI). */
  readonly outdir?: string;
}

export interface CfnTemplate {
  readonly Resources: Readonly<
    Record<string, { readonly Type: string; readonly Properties?: Record<string, unknown> }>
  >;
}

/** The pipeline stack in a fresh app (account/region from props.env, else unresolved tokens). */
export function pipelineStackForSynth(options: SynthOptions = {}): PipelineStack {
  const { bundle = false, outdir, ...props } = options;
  const app = new App({
    outdir,
    context: { ...FEATURE_FLAGS, ...(bundle ? {} : { [BUNDLING_STACKS_CONTEXT]: [] }) },
  });
  return new PipelineStack(app, 'EdgeqcPipeline', props);
}

/** The synthesized CloudFormation template (JSON) of the pipeline stack. */
export function synthPipelineTemplate(options: SynthOptions = {}): CfnTemplate {
  return Template.fromStack(pipelineStackForSynth(options)).toJSON() as CfnTemplate;
}

export const PLACEHOLDER_REGION = 'us-east-1';
export const PLACEHOLDER_ACCOUNT = '000000000000';

/** The stand-in ARN of a function: its logical id is the last segment (the local runner binds by it). */
export function functionPlaceholderArn(logicalId: string): string {
  return `arn:aws:lambda:${PLACEHOLDER_REGION}:${PLACEHOLDER_ACCOUNT}:function:${logicalId}`;
}

function stateMachineOf(template: CfnTemplate): Record<string, unknown> {
  const machines = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine');
  if (machines.length !== 1) {
    throw new Error(
      `the template has ${machines.length} AWS::StepFunctions::StateMachine resources; expected exactly 1`,
    );
  }
  return machines[0]![1].Properties ?? {};
}

/** A definition string part: a literal, or an intrinsic resolved to a placeholder. */
function resolvePart(part: unknown, template: CfnTemplate): string {
  if (typeof part === 'string') return part;
  if (part && typeof part === 'object') {
    const getAtt = (part as { 'Fn::GetAtt'?: unknown })['Fn::GetAtt'];
    if (Array.isArray(getAtt)) {
      const [logicalId, attr] = getAtt as [string, string];
      const type = template.Resources[logicalId]?.Type;
      if (type === 'AWS::Lambda::Function' && attr === 'Arn') return functionPlaceholderArn(logicalId);
      return `${logicalId}.${attr}`;
    }
    const ref = (part as { Ref?: unknown }).Ref;
    if (typeof ref === 'string') {
      if (ref === 'AWS::Region') return PLACEHOLDER_REGION;
      if (ref === 'AWS::AccountId') return PLACEHOLDER_ACCOUNT;
      if (ref === 'AWS::Partition') return 'aws';
      if (ref === 'AWS::URLSuffix') return 'amazonaws.com';
      return ref;
    }
  }
  throw new Error(
    `the state machine definition has an intrinsic this reader does not resolve: ${JSON.stringify(part)}`,
  );
}

/** The definition as plain ASL, every Lambda ARN replaced by functionPlaceholderArn(logicalId). */
export function stateMachineDefinitionFrom(template: CfnTemplate): {
  StartAt: string;
  States: Record<string, unknown>;
} {
  const def = stateMachineOf(template).DefinitionString;
  let text: string;
  if (typeof def === 'string') text = def;
  else if (def && typeof def === 'object' && Array.isArray((def as { 'Fn::Join'?: unknown })['Fn::Join'])) {
    const [sep, parts] = (def as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
    text = parts.map((p) => resolvePart(p, template)).join(sep);
  } else {
    throw new Error(`DefinitionString is neither a string nor an Fn::Join: ${JSON.stringify(def).slice(0, 200)}`);
  }
  return JSON.parse(text) as { StartAt: string; States: Record<string, unknown> };
}

/** Which state each Lambda function backs: function logical id -> Task state name. */
export function taskFunctionsFrom(template: CfnTemplate): Record<string, string> {
  const machine = stateMachineDefinitionFrom(template);
  const out: Record<string, string> = {};
  for (const [name, state] of Object.entries(machine.States) as [string, { Type?: string; Resource?: string }][]) {
    if (state.Type !== 'Task' || typeof state.Resource !== 'string') continue;
    const m = /^arn:aws:lambda:[^:]*:[^:]*:function:(.+)$/.exec(state.Resource);
    if (m) out[m[1]!] = name;
  }
  return out;
}
