/**
 * Which model to roll out, and what it is called on the devices. Pure.
 * Metadata keys (CustomerMetadataProperties) written by `edgeqc publish-model`:
 *   modelName     the model's name (component com.edgeqc.Model.<name>); default: the group name
 *   modelVersion  semantic version of the component; default: 1.0.<ModelPackageVersion>
 *   labels        class labels in output order, comma-separated; default: labels.txt beside the model
 *   selfTest      self-test images beside the model and their expected verdicts: `a.jpg=defect,b.jpg=ok`
 */
import { ModelNameSchema, SemverSchema } from '@edgeqc/model-component/manifest';
import { ErrorNames, RolloutError } from '../errors.ts';
import type { ModelPackage } from '../ports.ts';
import type { ModelRef } from './rollout-state.ts';

export const MetadataKeys = {
  modelName: 'modelName',
  modelVersion: 'modelVersion',
  labels: 'labels',
  sha256: 'sha256',
  selfTest: 'selfTest',
  source: 'source',
} as const;

/** The newest Approved package (by creation time, then version), or undefined. */
export function newestApproved(packages: readonly ModelPackage[]): ModelPackage | undefined {
  return packages
    .filter((p) => p.approvalStatus === 'Approved')
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.version - a.version)[0];
}

/** A model package group name as a model name: lower case, dashes. */
export function modelNameFromGroup(group: string): string {
  return group
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, 63);
}

export function modelRefOf(pkg: ModelPackage): ModelRef {
  const name = pkg.metadata[MetadataKeys.modelName] ?? modelNameFromGroup(pkg.group);
  if (!ModelNameSchema.safeParse(name).success) {
    throw new RolloutError(
      ErrorNames.ModelInvalid,
      'MODEL_NAME',
      `model package ${pkg.arn}: model name '${name}' must be lower-case letters, digits and dashes (set metadata ${MetadataKeys.modelName})`,
    );
  }
  const version = pkg.metadata[MetadataKeys.modelVersion] ?? `1.0.${pkg.version}`;
  if (!SemverSchema.safeParse(version).success) {
    throw new RolloutError(
      ErrorNames.ModelInvalid,
      'MODEL_VERSION',
      `model package ${pkg.arn}: ${MetadataKeys.modelVersion} '${version}' is not a semantic version such as 1.2.3`,
    );
  }
  if (!/^s3:\/\/[^/]+\/.+\.onnx$/i.test(pkg.modelDataUrl)) {
    throw new RolloutError(
      ErrorNames.ModelInvalid,
      'MODEL_DATA_URL',
      `model package ${pkg.arn}: ModelDataUrl '${pkg.modelDataUrl}' must be the s3:// URI of an .onnx file`,
    );
  }
  return { arn: pkg.arn, group: pkg.group, packageVersion: pkg.version, name, version, dataUrl: pkg.modelDataUrl };
}

/** The labels from metadata (comma-separated), or undefined. */
export function labelsOf(pkg: Pick<ModelPackage, 'metadata'>): string[] | undefined {
  const raw = pkg.metadata[MetadataKeys.labels];
  if (raw === undefined) return undefined;
  return raw
    .split(',')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

export interface SelfTestRef {
  /** File name beside the model in S3. */
  readonly file: string;
  readonly expectedVerdict: 'ok' | 'defect' | 'unclear';
}

/** The self-test images named in metadata (`a.jpg=defect,b.jpg=ok`). */
export function selfTestsOf(pkg: Pick<ModelPackage, 'arn' | 'metadata'>): SelfTestRef[] {
  const raw = pkg.metadata[MetadataKeys.selfTest];
  if (!raw) return [];
  return raw.split(',').map((entry) => {
    const m = /^\s*([A-Za-z0-9._-]+\.(?:jpe?g|png))=(ok|defect|unclear)\s*$/i.exec(entry);
    if (!m) {
      throw new RolloutError(
        ErrorNames.ModelInvalid,
        'SELF_TEST_METADATA',
        `model package ${pkg.arn}: ${MetadataKeys.selfTest} entry '${entry}': expected <image file>=<ok|defect|unclear>`,
      );
    }
    return { file: m[1]!, expectedVerdict: m[2]!.toLowerCase() as SelfTestRef['expectedVerdict'] };
  });
}

/** The S3 URI of a file beside the model (same prefix). */
export function besideModel(dataUrl: string, file: string): string {
  return `${dataUrl.slice(0, dataUrl.lastIndexOf('/'))}/${file}`;
}
