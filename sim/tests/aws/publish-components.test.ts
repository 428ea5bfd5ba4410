/**
 * publish-components: GDK-style packaging output into S3 (moto_server, started here) and Greengrass
 * (aws-sdk-client-mock, real API shapes).
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateComponentVersionCommand,
  DescribeComponentCommand,
  GreengrassV2Client,
} from '@aws-sdk/client-greengrassv2';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { createGreengrassComponentCatalog } from '@edgeqc/orchestrator/adapters/greengrass-component-catalog';
import { createS3ArtifactStore } from '@edgeqc/orchestrator/adapters/s3-artifact-store';
import { publishComponents, publishComponentsCommand } from '@edgeqc/orchestrator/cli/publish-components-command';
import { ErrorNames } from '@edgeqc/orchestrator/errors';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MotoServer, startMotoServer } from '../../src/aws/moto-server.ts';
import { captureIo } from '../support/capture-io.ts';

const gg = mockClient(GreengrassV2Client);
let moto: MotoServer;
let dir: string;
const BUCKET = 'edgeqc-components-pc';
const ZIP = new TextEncoder().encode('PK fake agent archive');

async function writeOutput(
  name: string,
  version: string,
  file: string,
  bytes: Uint8Array,
  digestOf: Uint8Array = bytes,
) {
  await mkdir(join(dir, 'artifacts', name, version), { recursive: true });
  await mkdir(join(dir, 'recipes'), { recursive: true });
  await writeFile(join(dir, 'artifacts', name, version, file), bytes);
  const recipe = {
    RecipeFormatVersion: '2020-01-25',
    ComponentName: name,
    ComponentVersion: version,
    Manifests: [
      {
        Platform: { os: 'linux', architecture: 'amd64' },
        Artifacts: [
          {
            Uri: `s3://${BUCKET}/components/${name}/${version}/${file}`,
            Digest: createHash('sha256').update(digestOf).digest('base64'),
            Algorithm: 'SHA-256',
            Unarchive: 'ZIP',
          },
        ],
      },
    ],
  };
  await writeFile(join(dir, 'recipes', `${name}-${version}.json`), `${JSON.stringify(recipe, null, 2)}\n`);
}

beforeAll(async () => {
  moto = await startMotoServer();
  await new S3Client({ ...moto.config, forcePathStyle: true }).send(new CreateBucketCommand({ Bucket: BUCKET }));
  dir = await mkdtemp(join(tmpdir(), 'edgeqc-pc-'));
}, 60_000);

afterAll(async () => {
  gg.restore();
  await moto?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('publish-components', () => {
  it('uploads the artifacts to the recipe URIs, creates the version and waits until DEPLOYABLE', async () => {
    await writeOutput('com.edgeqc.Inference', '0.1.0', 'edgeqc-agent-linux-x64.zip', ZIP);
    const arn = 'arn:aws:greengrass:us-east-1:123456789012:components:com.edgeqc.Inference:versions:0.1.0';
    gg.on(CreateComponentVersionCommand).resolves({
      arn,
      componentName: 'com.edgeqc.Inference',
      componentVersion: '0.1.0',
      creationTimestamp: new Date(),
      status: { componentState: 'REQUESTED', message: 'NONE', errors: {} },
    });
    gg.on(DescribeComponentCommand)
      .resolvesOnce({ arn, status: { componentState: 'INITIATED', message: 'NONE', errors: {} } })
      .resolves({ arn, status: { componentState: 'DEPLOYABLE', message: 'NONE', errors: {} } });
    // The logic function, with short polling (the command polls every 2 s).
    const store = createS3ArtifactStore(new S3Client({ ...moto.config, forcePathStyle: true }));
    const catalog = createGreengrassComponentCatalog(new GreengrassV2Client({ region: 'us-east-1' }), {
      arnOf: () => arn,
    });
    const out = await publishComponents({ store, catalog, pollMs: 1 }, dir);
    expect(out).toEqual([{ name: 'com.edgeqc.Inference', version: '0.1.0', arn, artifacts: 1, reused: false }]);
    const stored = await store.get(`s3://${BUCKET}/components/com.edgeqc.Inference/0.1.0/edgeqc-agent-linux-x64.zip`);
    expect(Buffer.from(stored).equals(Buffer.from(ZIP))).toBe(true);
    expect(gg.commandCalls(DescribeComponentCommand)).toHaveLength(2);
  });

  it('refuses an artifact whose bytes do not match the recipe Digest, before creating anything', async () => {
    gg.reset();
    await rm(join(dir, 'recipes'), { recursive: true });
    await writeOutput(
      'com.edgeqc.Inference',
      '0.2.0',
      'edgeqc-agent-linux-x64.zip',
      ZIP,
      new TextEncoder().encode('other'),
    );
    const io = captureIo({ ...moto.env });
    expect(await publishComponentsCommand.run([dir], io.io)).toBe(1);
    expect(io.err()).toContain(ErrorNames.VersionConflict);
    expect(io.err()).toContain('does not match the Digest');
    expect(gg.commandCalls(CreateComponentVersionCommand)).toHaveLength(0);
  });
});
