/**
 * `edgeqc review export --out DIR`: the reviewed images of a local store as a training dataset (images,
 * YOLO labels, classes.txt, a Ground Truth manifest), for `scripts/demo_model/train.py --extra-data DIR`.
 * `--out s3://bucket/prefix/` writes it to S3 instead (the SDK's default credentials).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { S3Client } from '@aws-sdk/client-s3';
import type { CommandIo } from '@edgeqc/model-component/cli';
import { LocalFolderCatalog } from '../adapters/local-folder-catalog.ts';
import { LocalJsonDecisionStore } from '../adapters/local-json-decision-store.ts';
import { ReviewError } from '../errors.ts';
import { DEFAULT_CLASSES } from '../export/dataset.ts';
import { type DatasetSink, exportDataset, FolderDatasetSink, S3DatasetSink } from '../export/dataset-export.ts';

const HELP = `usage: edgeqc review export --out DIR|s3://BUCKET/PREFIX/ [--store DIR] [--classes NAMES]

Writes every image a reviewer decided as a training dataset: images/<messageId>.<ext>, labels/<messageId>.txt
(YOLO: class cx cy w h, normalized; empty for an image decided ok), classes.txt and manifest.jsonl (SageMaker
Ground Truth bounding-box format). Train on it with scripts/demo_model/train.py --extra-data DIR.

options:
  --out <dir|s3://bucket/prefix/>  where the dataset goes (a folder, or an S3 prefix)
  --store <dir>                    the review store (default $EDGEQC_REVIEW_STORE or ./review-store)
  --classes <a,b,...>              class names in id order (default ${DEFAULT_CLASSES.join(',')}); other labels follow, sorted
`;

export async function runExport(argv: readonly string[], io: CommandIo, defaultStore: string): Promise<number> {
  let values: { out?: string; store?: string; classes?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        out: { type: 'string' },
        store: { type: 'string' },
        classes: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    io.stderr.write(`edgeqc review export: ${(err as Error).message}\n${HELP}`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  if (values.out === undefined || values.out === '') {
    io.stderr.write(`edgeqc review export: --out is required (a folder or s3://bucket/prefix/)\n${HELP}`);
    return 2;
  }
  const classes = values.classes?.split(',').map((c) => c.trim());
  if (classes !== undefined && (classes.length === 0 || classes.some((c) => !/^[\w.-]{1,64}$/.test(c)))) {
    io.stderr.write(
      `edgeqc review export: --classes ${JSON.stringify(values.classes)}: expected comma-separated names (letters, digits, _ . -)\n`,
    );
    return 2;
  }
  const store = resolve(values.store ?? io.env.EDGEQC_REVIEW_STORE ?? defaultStore);
  let sink: DatasetSink;
  const s3 = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/.exec(values.out);
  if (values.out.startsWith('s3://') && !s3) {
    io.stderr.write(`edgeqc review export: --out ${JSON.stringify(values.out)}: expected s3://bucket/prefix/\n`);
    return 2;
  }
  const client = s3 ? new S3Client({}) : undefined;
  try {
    sink =
      s3 && client ? new S3DatasetSink({ client, bucket: s3[1]!, prefix: s3[2]! }) : new FolderDatasetSink(values.out);
    const summary = await exportDataset({
      catalog: new LocalFolderCatalog({ root: store }),
      decisions: new LocalJsonDecisionStore(store),
      sink,
      ...(classes ? { classes } : {}),
    });
    io.stdout.write(
      `dataset: ${summary.location}\nimages: ${summary.images} (${summary.boxes} boxes; classes ${summary.classes.join(', ')})\n` +
        (summary.missingImages > 0
          ? `left out: ${summary.missingImages} decided images whose image file is missing\n`
          : '') +
        `train on it: python3 -m demo_model.train ... --extra-data ${summary.location}  (in scripts/)\n`,
    );
    return 0;
  } catch (err) {
    io.stderr.write(`edgeqc review export: ${(err as Error).message}\n`);
    return err instanceof ReviewError ? 2 : 1;
  } finally {
    client?.destroy();
  }
}
