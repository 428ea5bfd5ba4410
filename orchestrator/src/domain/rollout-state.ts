/**
 * The state that travels through the ModelRollout state machine: small (ARNs, versions, ids);
 * artifacts live in S3. Every handler returns its input plus its own fields, so the state machine
 * can use the Lambda payload as the whole state (`payloadResponseOnly`, or OutputPath `$.Payload`).
 * Unknown keys are kept (the state accumulates).
 */
import { z } from 'zod';

/** State names of the machine; infra names its states with these, the local runner binds by them. */
export const StepNames = {
  ResolveModel: 'ResolveModel',
  PackageModel: 'PackageModel',
  CreateComponentVersion: 'CreateComponentVersion',
  CheckDeployable: 'CheckDeployable',
  DeployCanary: 'DeployCanary',
  VerifyCanary: 'VerifyCanary',
  DeployFleet: 'DeployFleet',
  VerifyFleet: 'VerifyFleet',
  /** Every failure after a deployment was created: cancel it and redeploy the group's previous one. */
  UndoRollout: 'UndoRollout',
  Notify: 'Notify',
  NotifyFailure: 'NotifyFailure',
} as const;
export type StepName = (typeof StepNames)[keyof typeof StepNames];

/** JSONPaths the state machine's Choice states test (all booleans). */
export const ChoicePaths = {
  /** false after ResolveModel: no approved model, succeed as a no-op. */
  modelFound: '$.found',
  /** false after CheckDeployable: wait and check again. */
  deployable: '$.deployable',
  /** false after VerifyCanary: wait and verify again (the handler fails on its own deadline). */
  canaryDone: '$.canary.done',
  fleetDone: '$.fleet.done',
} as const;

export const ModelRefSchema = z.object({
  arn: z.string().min(1),
  group: z.string().min(1),
  packageVersion: z.number().int().positive(),
  /** The model's name (manifest `name`): component com.edgeqc.Model.<name>. */
  name: z.string().min(1),
  /** Semantic version of the model component. */
  version: z.string().min(1),
  /** s3:// URI of the .onnx file. */
  dataUrl: z.string().min(1),
});
export type ModelRef = z.infer<typeof ModelRefSchema>;

export const ComponentRefSchema = z.object({
  name: z.string().min(1),
  version: z.string().min(1),
  /** s3:// URI of the rendered recipe (JSON). */
  recipeUri: z.string().min(1),
  /** SHA-256 (hex) of model.onnx: what devices must report in their status. */
  modelSha256: z.string().regex(/^[0-9a-f]{64}$/),
  arn: z.string().optional(),
});
export type ComponentRef = z.infer<typeof ComponentRefSchema>;

/** A canary device's heartbeat and error counts when its bake began. */
export const BakeBaselineSchema = z.object({
  thingName: z.string().min(1),
  /** The status message's `at`. */
  at: z.string(),
  quarantined: z.number().int().min(0),
  dropped: z.number().int().min(0),
});
export type BakeBaseline = z.infer<typeof BakeBaselineSchema>;

export const StageSchema = z.object({
  group: z.string().min(1),
  targetArn: z.string().min(1),
  deploymentId: z.string().min(1),
  /** The group's deployment before this one (what UndoRollout redeploys); absent when it had none. */
  previousDeploymentId: z.string().min(1).optional(),
  /** ISO time the deployment was created: the verification deadline counts from it. */
  startedAt: z.iso.datetime(),
  done: z.boolean(),
  checks: z.number().int().min(0),
  devices: z.number().int().min(0).optional(),
  /** Fleet: the devices drawn at random, on the first check, for the deep per-device check. */
  sample: z.array(z.string().min(1)).optional(),
  /** One line: how many devices are healthy, pending, failed (and which). */
  summary: z.string().optional(),
  /** Canary: the bake (all devices healthy since `since`; the baseline each must hold until it ends). */
  bake: z.object({ since: z.iso.datetime(), devices: z.array(BakeBaselineSchema) }).optional(),
});
export type Stage = z.infer<typeof StageSchema>;

export const FailureSchema = z.object({ Error: z.string().optional(), Cause: z.string().optional() });

export const UndoStageSchema = z.object({
  group: z.string().min(1),
  canceledDeploymentId: z.string().min(1),
  /** The deployment that puts the previous one back; absent when the group had no previous deployment. */
  restoredDeploymentId: z.string().min(1).optional(),
  previousDeploymentId: z.string().min(1).optional(),
});
export type UndoStage = z.infer<typeof UndoStageSchema>;

export const RolloutStateSchema = z.looseObject({
  modelPackageArn: z.string().optional(),
  modelPackageGroupName: z.string().optional(),
  /** An EventBridge "SageMaker Model Package State Change" event, when the machine got the event itself. */
  detail: z
    .looseObject({ ModelPackageArn: z.string().optional(), ModelPackageGroupName: z.string().optional() })
    .optional(),
  found: z.boolean().optional(),
  model: ModelRefSchema.optional(),
  component: ComponentRefSchema.optional(),
  deployable: z.boolean().optional(),
  deployableChecks: z.number().int().min(0).optional(),
  inferenceComponentVersion: z.string().optional(),
  canary: StageSchema.optional(),
  fleet: StageSchema.optional(),
  /**
   * The execution itself, from the context object (a Pass state with ResultPath `$.execution` and
   * Parameters `id.$: $$.Execution.Id`, `stateMachine.$: $$.StateMachine.Id`, `startTime.$:
   * $$.Execution.StartTime`). When present, ResolveModel refuses to interleave with an earlier run.
   */
  execution: z
    .looseObject({ id: z.string().min(1), stateMachine: z.string().min(1), startTime: z.string().optional() })
    .optional(),
  failedStep: z.string().optional(),
  failure: FailureSchema.optional(),
  /** What UndoRollout did, per stage. */
  undo: z
    .object({
      canary: UndoStageSchema.optional(),
      fleet: UndoStageSchema.optional(),
    })
    .optional(),
  /** UndoRollout itself failed ({Error, Cause}): the groups may be mixed, act by hand. */
  undoFailure: FailureSchema.optional(),
});
export type RolloutState = z.infer<typeof RolloutStateSchema>;
