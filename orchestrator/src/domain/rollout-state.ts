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
  bake: z
    .object({
      since: z.iso.datetime(),
      devices: z.array(BakeBaselineSchema),
      /** The model version the canary served before (its previous deployment's): the gate's baseline. */
      baselineVersion: z.string().min(1).optional(),
    })
    .optional(),
});
export type Stage = z.infer<typeof StageSchema>;

export const FailureSchema = z.object({ Error: z.string().optional(), Cause: z.string().optional() });

/** An operator's decision to let a canary through its quality gate: who, and why. */
export const QualityOverrideSchema = z.strictObject({
  by: z.string().min(1).max(200),
  reason: z.string().min(1).max(1000),
});
export type QualityOverride = z.infer<typeof QualityOverrideSchema>;

export const GateOutcomeSchema = z.enum(['passed', 'failed', 'not-enough-evidence', 'overridden']);
export type GateOutcome = z.infer<typeof GateOutcomeSchema>;

const GateSideSchema = z.object({
  images: z.number().int().min(0),
  devices: z.array(z.string()),
  unclearRate: z.number(),
  defectRate: z.number(),
});

/** The quality gate's figures (domain/quality-gate.ts). */
export const GateFiguresSchema = GateSideSchema.extend({
  version: z.string(),
  baseline: GateSideSchema.extend({ source: z.enum(['canary', 'fleet']), version: z.string() }).nullable(),
  unclearRateIncrease: z.number().nullable(),
  defectRateIncrease: z.number().nullable(),
  scorePsi: z.number().nullable(),
  rejected: z.number().int().min(0),
  limits: z.object({
    minImages: z.number(),
    maxUnclearRateIncrease: z.number(),
    maxDefectRateIncrease: z.number(),
    maxScorePsi: z.number(),
  }),
});
export type GateFigures = z.infer<typeof GateFiguresSchema>;

/** What the canary's quality gate decided (a pass, or an overridden failure; a failure ends the rollout). */
export const QualityGateRecordSchema = z.object({
  outcome: GateOutcomeSchema,
  failures: z.array(z.string()),
  figures: GateFiguresSchema,
  override: QualityOverrideSchema.optional(),
  summary: z.string(),
});
export type QualityGateRecord = z.infer<typeof QualityGateRecordSchema>;

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
  /**
   * Start input (or ResolveModel, from the approval's metadata): an operator lets this rollout's canary
   * through a failing quality gate. Recorded in `qualityGate` and in the notification.
   */
  qualityGateOverride: QualityOverrideSchema.optional(),
  /** VerifyCanary's quality gate, once it judged. */
  qualityGate: QualityGateRecordSchema.optional(),
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
