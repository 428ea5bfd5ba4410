/**
 * The one-machine model registry: the ModelRegistry port (SageMaker Model Registry semantics) over a
 * folder. A model package group is a folder; each registered version a JSON file
 * `<root>/<group>/<version>.json` (versions count from 1, in registration order). Listing is newest
 * first, filtered by approval status, as the rollout expects (never the oldest approved: the reference
 * sample's bug). Approval listeners play EventBridge's part: an approval starts a rollout.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorNames, RolloutError } from '@edgeqc/orchestrator/errors';
import type { ApprovalStatus, ModelPackage, ModelRegistry, RegisterModelInput } from '@edgeqc/orchestrator/ports';
import { z } from 'zod';
import { LocalAdapterError } from '../errors.ts';
import { LOCAL_ACCOUNT } from './local-component-catalog.ts';

const StoredPackageSchema = z.strictObject({
  arn: z.string(),
  group: z.string(),
  version: z.number().int().positive(),
  approvalStatus: z.enum(['Approved', 'Rejected', 'PendingManualApproval']),
  createdAt: z.iso.datetime(),
  modelDataUrl: z.string(),
  description: z.string().optional(),
  metadata: z.record(z.string(), z.string()),
});
type StoredPackage = z.infer<typeof StoredPackageSchema>;

const GROUP = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

const toPackage = (s: StoredPackage): ModelPackage => ({
  arn: s.arn,
  group: s.group,
  version: s.version,
  approvalStatus: s.approvalStatus,
  createdAt: new Date(s.createdAt),
  modelDataUrl: s.modelDataUrl,
  metadata: s.metadata,
});

export class LocalModelRegistry implements ModelRegistry {
  readonly root: string;
  readonly region: string;
  readonly #now: () => Date;
  readonly #listeners = new Set<(model: ModelPackage) => void>();

  constructor(root: string, options: { region?: string; now?: () => Date } = {}) {
    this.root = root;
    this.region = options.region ?? 'us-east-1';
    this.#now = options.now ?? (() => new Date());
  }

  arnOf(group: string, version: number): string {
    return `arn:aws:sagemaker:${this.region}:${LOCAL_ACCOUNT}:model-package/${group}/${version}`;
  }

  /** Calls `listener` whenever a package becomes Approved. Returns an unsubscribe function. */
  onApproved(listener: (model: ModelPackage) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async register(input: RegisterModelInput): Promise<ModelPackage> {
    if (!GROUP.test(input.group)) {
      throw new LocalAdapterError(
        'GROUP_NAME',
        `model package group '${input.group}': expected letters, digits and hyphens`,
      );
    }
    const existing = await this.#stored(input.group);
    const version = (existing[0]?.version ?? 0) + 1;
    const stored: StoredPackage = {
      arn: this.arnOf(input.group, version),
      group: input.group,
      version,
      approvalStatus: 'PendingManualApproval',
      createdAt: this.#now().toISOString(),
      modelDataUrl: input.modelDataUrl,
      description: input.description,
      metadata: { ...input.metadata },
    };
    await mkdir(join(this.root, input.group), { recursive: true });
    await writeFile(this.#file(input.group, version), `${JSON.stringify(stored, null, 2)}\n`, { flag: 'wx' });
    return toPackage(stored);
  }

  async approve(arn: string): Promise<void> {
    await this.setApprovalStatus(arn, 'Approved');
  }

  async setApprovalStatus(arn: string, status: ApprovalStatus): Promise<ModelPackage> {
    const stored = await this.#read(arn);
    const updated: StoredPackage = { ...stored, approvalStatus: status };
    await writeFile(this.#file(stored.group, stored.version), `${JSON.stringify(updated, null, 2)}\n`);
    const model = toPackage(updated);
    if (status === 'Approved' && stored.approvalStatus !== 'Approved') for (const l of this.#listeners) l(model);
    return model;
  }

  async describe(arn: string): Promise<ModelPackage> {
    return toPackage(await this.#read(arn));
  }

  async list(
    group: string,
    options: { approvalStatus?: ApprovalStatus; maxResults?: number } = {},
  ): Promise<ModelPackage[]> {
    return (await this.#stored(group))
      .filter((m) => !options.approvalStatus || m.approvalStatus === options.approvalStatus)
      .slice(0, options.maxResults ?? Number.POSITIVE_INFINITY)
      .map(toPackage);
  }

  async #read(arn: string): Promise<StoredPackage> {
    const m = /:model-package\/([^/]+)\/(\d+)$/.exec(arn);
    if (!m)
      throw new RolloutError(ErrorNames.ModelNotFound, 'MODEL_PACKAGE_ARN', `'${arn}' is not a model package ARN`);
    const text = await readFile(this.#file(m[1]!, Number(m[2])), 'utf8').catch((cause: unknown) => {
      throw new RolloutError(
        ErrorNames.ModelNotFound,
        'MODEL_PACKAGE_NOT_FOUND',
        `model package ${arn} is not registered`,
        {
          cause,
        },
      );
    });
    return StoredPackageSchema.parse(JSON.parse(text));
  }

  /** Newest first (by creation; versions are in creation order). */
  async #stored(group: string): Promise<StoredPackage[]> {
    const files = await readdir(join(this.root, group)).catch(() => [] as string[]);
    const all = await Promise.all(
      files
        .filter((f) => /^\d+\.json$/.test(f))
        .map(async (f) => StoredPackageSchema.parse(JSON.parse(await readFile(join(this.root, group, f), 'utf8')))),
    );
    return all.sort((a, b) => b.version - a.version);
  }

  #file(group: string, version: number): string {
    return join(this.root, group, `${version}.json`);
  }
}
