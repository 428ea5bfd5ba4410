/**
 * The one-machine model registry: SageMaker Model Registry semantics over a folder. A model package
 * group is a folder; each registered version a JSON file `<root>/<group>/<version>.json` (versions
 * count from 1, in registration order). Listing is newest first, filtered by approval status, as the
 * rollout expects (never the oldest approved: the reference sample's bug).
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { LocalAdapterError } from '../errors.ts';
import { LOCAL_ACCOUNT } from './local-component-catalog.ts';

export const ApprovalStatusSchema = z.enum(['Approved', 'Rejected', 'PendingManualApproval']);
export type ApprovalStatus = z.infer<typeof ApprovalStatusSchema>;

export const RegisteredModelSchema = z.strictObject({
  arn: z.string(),
  group: z.string(),
  version: z.number().int().positive(),
  approvalStatus: ApprovalStatusSchema,
  createdAt: z.iso.datetime(),
  /** Where the model file is: an s3:// URI in the artifact store. */
  modelDataUrl: z.string(),
  /** CustomerMetadataProperties (e.g. modelName, semantic version). */
  metadata: z.record(z.string(), z.string()),
});
export type RegisteredModel = z.infer<typeof RegisteredModelSchema>;

const GROUP = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

export class LocalModelRegistry {
  readonly root: string;
  readonly region: string;
  readonly #now: () => Date;
  /** Change listeners: the local "EventBridge rule" (approval -> start the rollout). */
  readonly #listeners = new Set<(model: RegisteredModel) => void>();

  constructor(root: string, options: { region?: string; now?: () => Date } = {}) {
    this.root = root;
    this.region = options.region ?? 'us-east-1';
    this.#now = options.now ?? (() => new Date());
  }

  arnOf(group: string, version: number): string {
    return `arn:aws:sagemaker:${this.region}:${LOCAL_ACCOUNT}:model-package/${group}/${version}`;
  }

  /** Calls `listener` whenever a package's approval status changes to Approved. Returns an unsubscribe. */
  onApproved(listener: (model: RegisteredModel) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async register(input: {
    group: string;
    modelDataUrl: string;
    metadata?: Record<string, string>;
    approvalStatus?: ApprovalStatus;
  }): Promise<RegisteredModel> {
    if (!GROUP.test(input.group)) {
      throw new LocalAdapterError(
        'GROUP_NAME',
        `model package group '${input.group}': expected letters, digits and hyphens`,
      );
    }
    const existing = await this.list(input.group);
    const version = (existing[0]?.version ?? 0) + 1;
    const model: RegisteredModel = {
      arn: this.arnOf(input.group, version),
      group: input.group,
      version,
      approvalStatus: 'PendingManualApproval',
      createdAt: this.#now().toISOString(),
      modelDataUrl: input.modelDataUrl,
      metadata: input.metadata ?? {},
    };
    await mkdir(join(this.root, input.group), { recursive: true });
    await writeFile(this.#file(input.group, version), `${JSON.stringify(model, null, 2)}\n`, { flag: 'wx' });
    if (input.approvalStatus && input.approvalStatus !== 'PendingManualApproval') {
      return this.setApprovalStatus(model.arn, input.approvalStatus);
    }
    return model;
  }

  async setApprovalStatus(arn: string, status: ApprovalStatus): Promise<RegisteredModel> {
    const model = await this.describe(arn);
    const updated = { ...model, approvalStatus: status };
    await writeFile(this.#file(model.group, model.version), `${JSON.stringify(updated, null, 2)}\n`);
    if (status === 'Approved' && model.approvalStatus !== 'Approved') {
      for (const l of this.#listeners) l(updated);
    }
    return updated;
  }

  async describe(arn: string): Promise<RegisteredModel> {
    const m = /:model-package\/([^/]+)\/(\d+)$/.exec(arn);
    if (!m) throw new LocalAdapterError('MODEL_PACKAGE_ARN', `'${arn}' is not a model package ARN`);
    const text = await readFile(this.#file(m[1]!, Number(m[2])), 'utf8').catch((cause: unknown) => {
      throw new LocalAdapterError('MODEL_PACKAGE_NOT_FOUND', `model package ${arn} is not registered`, { cause });
    });
    return RegisteredModelSchema.parse(JSON.parse(text));
  }

  /** Newest first; only the given approval status when one is given. */
  async list(group: string, approvalStatus?: ApprovalStatus): Promise<RegisteredModel[]> {
    const files = await readdir(join(this.root, group)).catch(() => [] as string[]);
    const models = await Promise.all(
      files
        .filter((f) => /^\d+\.json$/.test(f))
        .map(async (f) => RegisteredModelSchema.parse(JSON.parse(await readFile(join(this.root, group, f), 'utf8')))),
    );
    return models
      .filter((m) => !approvalStatus || m.approvalStatus === approvalStatus)
      .sort((a, b) => b.version - a.version);
  }

  #file(group: string, version: number): string {
    return join(this.root, group, `${version}.json`);
  }
}
