/**
 * The model high-water mark: per model name, the highest version this device accepted and the
 * sha256 of that version's model, kept in `<workDir>/state/model-high-water.json` so that it survives
 * restarts and new deployments. Against rollback: a bundle below the mark is refused (MODEL_ROLLBACK),
 * however validly it is signed; the same version again is accepted only with the same model bytes
 * (a re-deployment), since one version names one model. A higher version raises the mark once it
 * passed every other check (bundle-gate.ts), before it serves.
 *
 * One exception, the undo of a rollout: the model this device served when the mark was last raised
 * (exactly that version with that sha256, nothing older) may come back. A rollout that fails after
 * this device took the new model (its canary passed, the fleet failed) redeploys the previous
 * deployment, and without it the devices that took the new model would refuse the old one and stop
 * inspecting. A re-approved older package is refused by ResolveModel, and an old bundle re-wrapped
 * under a new component version by the expectation check (verify-bundle.ts), so what this leaves open
 * is one step back, to the model the fleet served until the latest release, by whoever can deploy.
 *
 * A deliberate return to older weights is a new release with a higher version (`edgeqc publish-model
 * --from-version`), signed anew; nothing on the device lowers the mark.
 *
 * The file is written whole and durably: a temporary file beside it, fsync, rename over it, fsync of
 * the folder; so after a crash it is the old or the new content, never a mix.
 *
 * No file: a device that never accepted a model (first install), every version passes. A file that
 * cannot be read or does not parse (or has an unknown schema) is NOT treated as empty, which would
 * open the door to any old model: every bundle is refused with MODEL_STATE_CORRUPT, naming the file,
 * while a model that already serves keeps serving; the file is left as it is for inspection. An
 * operator who removes (or repairs) it makes the next load pass. The file is read again at every check,
 * so that needs no restart.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { compareSemver, ModelNameSchema, SemverSchema } from '@edgeqc/model-component/manifest';
import { z } from 'zod';
import { hasCode, ModelIntegrityError, messageOf } from '../errors.ts';

export const MODEL_HIGH_WATER_FILE = 'model-high-water.json';
const SCHEMA = 'edgeqc.model-high-water.v1';

const ModelRefSchema = z.strictObject({ version: SemverSchema, sha256: z.string().regex(/^[0-9a-f]{64}$/) });
const MarkSchema = z.strictObject({
  version: SemverSchema,
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  acceptedAt: z.string(),
  /** The model served when the mark was last raised: the one older model that may come back (undo). */
  previous: ModelRefSchema.optional(),
  /** The model accepted last (the mark, or the undo model); becomes `previous` when the mark rises. */
  last: ModelRefSchema.optional(),
});
const FileSchema = z.strictObject({
  schema: z.literal(SCHEMA),
  models: z.record(ModelNameSchema, MarkSchema),
});

export type HighWaterMark = z.infer<typeof MarkSchema>;

/** The model a bundle claims (from its verified manifest). */
export interface ModelIdentity {
  readonly name: string;
  readonly version: string;
  readonly sha256: string;
}

export interface ModelHighWater {
  /** Where the marks are kept. */
  readonly file: string;
  /** Throws MODEL_ROLLBACK for a model below its mark, MODEL_STATE_CORRUPT for an unusable file. */
  check(model: ModelIdentity, dir: string): Promise<void>;
  /** Raises the mark to `model` when it is higher (never lowers it); MODEL_STATE_WRITE_FAILED. */
  record(model: ModelIdentity): Promise<void>;
  /** The mark of one model name, if any (MODEL_STATE_CORRUPT as check). */
  mark(name: string): Promise<HighWaterMark | undefined>;
}

export interface ModelHighWaterOptions {
  /** The state folder (`<workDir>/state`). */
  readonly stateDir: string;
  /** Default: the system clock. */
  readonly now?: () => Date;
}

type Marks = Record<string, HighWaterMark>;

export function createModelHighWater(options: ModelHighWaterOptions): ModelHighWater {
  const file = join(options.stateDir, MODEL_HIGH_WATER_FILE);
  const now = options.now ?? (() => new Date());

  async function load(): Promise<Marks> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (cause) {
      // No file (or no state folder, which then cannot be written either: record refuses the model).
      if (hasCode(cause, 'ENOENT', 'ENOTDIR')) return {};
      throw new ModelIntegrityError(
        'MODEL_STATE_CORRUPT',
        `model high-water file ${file} cannot be read (${messageOf(cause)}); every model is refused until it is readable or removed`,
        { cause },
      );
    }
    let parsed: z.infer<typeof FileSchema>;
    try {
      parsed = FileSchema.parse(JSON.parse(text));
    } catch (cause) {
      throw new ModelIntegrityError(
        'MODEL_STATE_CORRUPT',
        `model high-water file ${file} is corrupt (expected ${SCHEMA} JSON); every model is refused until it is repaired or removed (removing it accepts the next model as a first install)`,
        { cause },
      );
    }
    return parsed.models;
  }

  async function save(marks: Marks): Promise<void> {
    const tmp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await mkdir(dirname(file), { recursive: true });
      const handle = await open(tmp, 'wx', 0o644);
      try {
        await handle.writeFile(`${JSON.stringify({ schema: SCHEMA, models: marks }, null, 2)}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, file);
      const folder = await open(dirname(file), 'r');
      try {
        await folder.sync();
      } finally {
        await folder.close();
      }
    } catch (cause) {
      await rm(tmp, { force: true }).catch(() => undefined);
      throw new ModelIntegrityError(
        'MODEL_STATE_WRITE_FAILED',
        `model high-water file ${file} cannot be written (${messageOf(cause)}); the model is not served until its mark is durable`,
        { cause },
      );
    }
  }

  return {
    file,

    async check(model, dir) {
      const mark = (await load())[model.name];
      if (mark === undefined) return;
      const order = compareSemver(model.version, mark.version);
      const isUndo = mark.previous?.version === model.version && mark.previous.sha256 === model.sha256;
      if (order < 0 && !isUndo) {
        throw new ModelIntegrityError(
          'MODEL_ROLLBACK',
          `model bundle ${dir}: ${model.name} version ${model.version} is below version ${mark.version}, the highest this device accepted (on ${mark.acceptedAt}); older weights come back only as a new release with a higher version`,
        );
      }
      if (order === 0 && model.sha256 !== mark.sha256) {
        throw new ModelIntegrityError(
          'MODEL_ROLLBACK',
          `model bundle ${dir}: ${model.name} version ${model.version} has model sha256 ${model.sha256}, but this device accepted that version with ${mark.sha256}; another model needs another version`,
        );
      }
    },

    async record(model) {
      const marks = await load();
      const mark = marks[model.name];
      const ref = { version: model.version, sha256: model.sha256 };
      if (mark === undefined || compareSemver(model.version, mark.version) > 0) {
        const previous = mark === undefined ? undefined : (mark.last ?? { version: mark.version, sha256: mark.sha256 });
        await save({
          ...marks,
          [model.name]: { ...ref, acceptedAt: now().toISOString(), ...(previous ? { previous } : {}), last: ref },
        });
        return;
      }
      // the mark itself again, or the undo model: the mark stays, `last` follows what serves
      const same = (r: { version: string; sha256: string } | undefined) =>
        r?.version === ref.version && r.sha256 === ref.sha256;
      if (!same(mark) && !same(mark.previous)) return; // never reached after check(): nothing to record
      if (same(mark.last)) return;
      await save({ ...marks, [model.name]: { ...mark, last: ref } });
    },

    async mark(name) {
      return (await load())[name];
    },
  };
}
