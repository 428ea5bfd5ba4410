/**
 * Environment variables the Lambda entries read (infra sets them). Names are constants shared with
 * infra. Only the entry files read process.env; the logic gets a parsed config.
 */
export const EnvNames = {
  /** Component artifact bucket (also where PackageModel writes recipes). */
  ArtifactBucket: 'EDGEQC_ARTIFACT_BUCKET',
  /** KMS key id/ARN/alias of the ECC_NIST_P256 signing key. */
  SigningKeyId: 'EDGEQC_SIGNING_KEY_ID',
  /** SageMaker model package group (manual starts resolve the newest Approved package in it). */
  ModelPackageGroup: 'EDGEQC_MODEL_PACKAGE_GROUP',
  CanaryGroup: 'EDGEQC_CANARY_GROUP',
  FleetGroup: 'EDGEQC_FLEET_GROUP',
  /** Version of com.edgeqc.Inference to deploy; default: the version the group already runs. */
  InferenceComponentVersion: 'EDGEQC_INFERENCE_COMPONENT_VERSION',
  /** SNS topic for rollout results. */
  TopicArn: 'EDGEQC_TOPIC_ARN',
  /** Device status topic prefix; `<prefix>/<thing>/status`. Default `edgeqc`. */
  StatusTopicPrefix: 'EDGEQC_STATUS_TOPIC_PREFIX',
  /** Seconds a canary/fleet may take to report the new model. Defaults 900 / 3600. */
  CanaryTimeoutSeconds: 'EDGEQC_CANARY_TIMEOUT_SECONDS',
  FleetTimeoutSeconds: 'EDGEQC_FLEET_TIMEOUT_SECONDS',
  /**
   * Seconds every canary device must stay healthy (heartbeat going on, error counts unchanged) once all
   * serve the new model, before the fleet is touched. Default 600.
   */
  CanaryBakeSeconds: 'EDGEQC_CANARY_BAKE_SECONDS',
  /**
   * The canary's quality gate (VerifyCanary): `on` (default) or `off`. Its minimum bake time is
   * EDGEQC_CANARY_BAKE_SECONDS; the other settings below (see orchestrator/README.md, the quality gate).
   */
  QualityGate: 'EDGEQC_QUALITY_GATE',
  /** Images the canary devices must inspect under the new model before the gate judges. Default 200. */
  GateMinImages: 'EDGEQC_GATE_MIN_IMAGES',
  /** Largest rise of the unclear rate over the baseline, 0..1. Default 0.1. */
  GateMaxUnclearRateIncrease: 'EDGEQC_GATE_MAX_UNCLEAR_RATE_INCREASE',
  /** Largest rise of the defect rate over the baseline, 0..1. Default 0.1. */
  GateMaxDefectRateIncrease: 'EDGEQC_GATE_MAX_DEFECT_RATE_INCREASE',
  /** Largest population stability index of the best-score histogram. Default 0.25. */
  GateMaxScorePsi: 'EDGEQC_GATE_MAX_SCORE_PSI',
  /** Fleet abort threshold (percentage of failed devices). Default 10. */
  FleetAbortPercent: 'EDGEQC_FLEET_ABORT_PERCENT',
  /**
   * Folder with model-component.recipe.json inside the Lambda bundle (copy recipes/ there when
   * bundling, e.g. /var/task/recipes). Default: the repository's recipes/ (works unbundled).
   */
  RecipesDir: 'EDGEQC_RECIPES_DIR',
  /** Account id of the deployment (component version ARNs). */
  AccountId: 'EDGEQC_ACCOUNT_ID',
  /** IoT data-plane endpoint (https://...-ats.iot.<region>.amazonaws.com); default: DescribeEndpoint. */
  IotDataEndpoint: 'EDGEQC_IOT_DATA_ENDPOINT',
} as const;
export type EnvName = (typeof EnvNames)[keyof typeof EnvNames];
