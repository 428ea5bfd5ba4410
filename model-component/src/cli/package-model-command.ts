/** `edgeqc package-model`: validate, sign and package an ONNX model as a Greengrass model component. */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { ModelComponentError, UsageError } from '../errors.ts';
import { type Verdict, VerdictSchema } from '../manifest.ts';
import { packageModel, type SelfTestImage } from '../package.ts';
import { selfTestsFromSamples } from '../self-tests.ts';
import type { Signer } from '../sign/signer.ts';
import { createKmsSigner, createPemSigner } from '../sign/signers.ts';
import type { Command, CommandIo } from './command.ts';

const HELP = `usage: edgeqc package-model --model <file.onnx> --name <model> --version <semver> --out <dir>
       (--key <private.pem> | --kms-key <key id or ARN>) [options]

Validates an ONNX model (loads, one image input, YOLOv8 detection output, finite probe, size limits),
writes <out>/artifacts/com.edgeqc.Model.<name>/<version>/{model.onnx,manifest.json,manifest.sig,...}
and the component recipe <out>/recipes/com.edgeqc.Model.<name>-<version>.json.

options:
  --labels a,b,c            class labels in output order (default: labels.txt beside the model)
  --source <arn>            model package ARN recorded in the manifest
  --self-test <img>=<verdict>  a self-test image and its expected verdict (ok|defect|unclear); repeatable
  --samples <dir>           pick 4 self-test images (2 defect, 2 ok) from <dir>/index.json (the demo samples)
  --confidence, --iou, --review, --defect <0..1>   thresholds in the manifest (over the model's own
                            thresholds.json beside it, if any, over the defaults 0.25/0.7/0.25/0.5)
  --bucket <name>           S3 bucket of the artifact URIs (default edgeqc-artifacts)
  --key <pem>               local private key (edgeqc keygen makes one); env EDGEQC_SIGNING_KEY
  --kms-key <id>            AWS KMS key (ECC_NIST_P256, SIGN_VERIFY); env EDGEQC_KMS_KEY_ID
  --json                    print the result as JSON
`;

function parseSelfTest(spec: string): SelfTestImage {
  const at = spec.lastIndexOf('=');
  const verdict = VerdictSchema.safeParse(spec.slice(at + 1));
  if (at <= 0 || !verdict.success) {
    throw new UsageError('USAGE', `--self-test '${spec}': expected <image path>=<ok|defect|unclear>`);
  }
  return { path: spec.slice(0, at), expectedVerdict: verdict.data as Verdict };
}

function parseUnit(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1)
    throw new UsageError('USAGE', `--${flag} '${value}': expected a number from 0 to 1`);
  return n;
}

async function makeSigner(key: string | undefined, kmsKey: string | undefined): Promise<Signer> {
  if (key && kmsKey) throw new UsageError('USAGE', 'give either --key or --kms-key, not both');
  if (kmsKey) return createKmsSigner({ keyId: kmsKey });
  if (!key) throw new UsageError('USAGE', 'a signing key is required: --key <private.pem> or --kms-key <id>');
  let pem: string;
  try {
    pem = await readFile(key, 'utf8');
  } catch (cause) {
    throw new UsageError('USAGE', `--key ${key} cannot be read`, { cause });
  }
  return createPemSigner(pem);
}

async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      model: { type: 'string' },
      name: { type: 'string' },
      version: { type: 'string' },
      out: { type: 'string' },
      labels: { type: 'string' },
      source: { type: 'string' },
      'self-test': { type: 'string', multiple: true },
      samples: { type: 'string' },
      confidence: { type: 'string' },
      iou: { type: 'string' },
      review: { type: 'string' },
      defect: { type: 'string' },
      bucket: { type: 'string' },
      key: { type: 'string' },
      'kms-key': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  for (const flag of ['model', 'name', 'version', 'out'] as const) {
    if (!values[flag]) throw new UsageError('USAGE', `--${flag} is required (edgeqc package-model --help)`);
  }
  const thresholds = Object.fromEntries(
    (['confidence', 'iou', 'review', 'defect'] as const)
      .map((k) => [k, parseUnit(k, values[k])] as const)
      .filter(([, v]) => v !== undefined),
  );
  const selfTest = [
    ...(values.samples ? await selfTestsFromSamples(values.samples) : []),
    ...(values['self-test'] ?? []).map(parseSelfTest),
  ];
  const signer = await makeSigner(
    values.key ?? io.env.EDGEQC_SIGNING_KEY,
    values['kms-key'] ?? io.env.EDGEQC_KMS_KEY_ID,
  );
  const result = await packageModel(
    { signer },
    {
      modelPath: values.model as string,
      name: values.name as string,
      version: values.version as string,
      outDir: values.out as string,
      labels: values.labels?.split(',').map((l) => l.trim()),
      source: values.source,
      thresholds,
      selfTest,
      bucket: values.bucket,
    },
  );
  if (values.json) {
    io.stdout.write(`${JSON.stringify({ ...result, recipe: undefined }, null, 2)}\n`);
  } else {
    io.stdout.write(
      `${result.reused ? 'unchanged (already packaged)' : 'packaged'} ${result.component} ${result.manifest.version} (${result.manifest.precision}, opset ${result.manifest.opset})\n` +
        `  bundle  ${result.bundleDir}\n  recipe  ${result.recipePath}\n` +
        result.files.map((f) => `  ${f.name.padEnd(32)} ${String(f.sizeBytes).padStart(10)} B  ${f.sha256}\n`).join(''),
    );
  }
  return 0;
}

export const packageModelCommand: Command = {
  name: 'package-model',
  summary: 'validate, sign and package an ONNX model as a Greengrass model component',
  async run(argv, io) {
    try {
      return await run(argv, io);
    } catch (err) {
      if (err instanceof ModelComponentError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
        io.stderr.write(`edgeqc package-model: ${(err as Error).message}\n`);
        return 2;
      }
      throw err;
    }
  },
};
