import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AGENT_CONFIG_FLAGS,
  CONFIG_KEYS,
  configFromEnv,
  configFromFlags,
  configHelp,
  loadAgentConfig,
  loadRawAgentConfig,
} from '../../src/config/load-config.ts';
import { AgentConfigError } from '../../src/errors.ts';

const pem = (type: 'ed25519' | 'ec') =>
  (type === 'ec'
    ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey
    : generateKeyPairSync('ed25519').publicKey
  )
    .export({ type: 'spki', format: 'pem' })
    .toString();
const keyA = pem('ed25519');
const keyB = pem('ec');
let dir: string;
let keyFileA: string;
let keyFileBoth: string;
let configFile: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgeqc-load-config-'));
  keyFileA = join(dir, 'a.pem');
  keyFileBoth = join(dir, 'both.pem');
  configFile = join(dir, 'agent.json');
  await writeFile(keyFileA, keyA);
  await writeFile(keyFileBoth, `# two keys\n${keyA}${keyB}`);
  await writeFile(
    configFile,
    JSON.stringify({
      cameraDir: 'from-file',
      thingName: 'file-thing',
      trustedKeys: [keyB],
      outbox: { capacity: 7, policy: 'drop-oldest' },
      mqtt: { url: 'mqtt://file:1883' },
    }),
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const flagsOf = (argv: string[]) =>
  parseArgs({ args: argv, options: AGENT_CONFIG_FLAGS, strict: true, allowNegative: true }).values;

describe('load-config', () => {
  it('derives an env name and a flag for every leaf key of the schema', () => {
    const byPath = new Map(CONFIG_KEYS.map((k) => [k.path.join('.'), k]));
    expect(byPath.get('outbox.capacity')).toMatchObject({
      env: 'EDGEQC_OUTBOX_CAPACITY',
      flag: 'outbox-capacity',
      kind: 'number',
      defaultValue: 10_000,
    });
    expect(byPath.get('model.dir')).toMatchObject({ env: 'EDGEQC_MODEL_DIR', flag: 'model-dir' });
    expect(byPath.get('thingName')).toMatchObject({ env: 'EDGEQC_THING_NAME', flag: 'thing-name' });
    expect(byPath.get('annotate')?.kind).toBe('boolean');
    expect(byPath.has('accessControl')).toBe(false);
    expect(configHelp()).toContain('--mqtt-url <value>\n      mqtt.url, EDGEQC_MQTT_URL: Broker URL');
  });

  it('merges file < env < flags (flags win), objects key by key', async () => {
    const raw = await loadRawAgentConfig({
      env: {
        EDGEQC_CONFIG: configFile,
        EDGEQC_OUTBOX_CAPACITY: '9',
        EDGEQC_MQTT_URL: 'mqtt://env:1883',
        EDGEQC_ANNOTATE: 'true',
      },
      flags: flagsOf(['--mqtt-url', 'mqtt://flag:1884', '--camera-dir', 'cam']),
    });
    expect(raw).toMatchObject({
      cameraDir: 'cam',
      thingName: 'file-thing',
      trustedKeys: [keyB],
      outbox: { capacity: 9, policy: 'drop-oldest' },
      mqtt: { url: 'mqtt://flag:1884' },
      annotate: true,
    });
  });

  it('runs the quick try from flags only (--model and --trusted-key aliases)', async () => {
    const config = await loadAgentConfig({
      baseDir: '/srv/x',
      flags: flagsOf([
        '--camera-dir',
        'camera',
        '--model',
        'bundle',
        '--mqtt-url',
        'mqtt://localhost:1883',
        '--thing-name',
        'line-1',
        '--trusted-key',
        keyFileA,
        `--trusted-key=${keyB}`,
        '--annotate',
      ]),
    });
    expect(config.cameraDir).toBe('/srv/x/camera');
    expect(config.model.dir).toBe('/srv/x/bundle');
    expect(config.thingName).toBe('line-1');
    expect(config.trustedKeys).toEqual([keyA, keyB]);
    expect(config.annotate).toBe(true);
  });

  it('takes the thing name from AWS_IOT_THING_NAME (Greengrass) unless EDGEQC_THING_NAME is set', async () => {
    expect((await configFromEnv({ AWS_IOT_THING_NAME: 'gg-thing' })).thingName).toBe('gg-thing');
    expect((await configFromEnv({ AWS_IOT_THING_NAME: 'gg-thing', EDGEQC_THING_NAME: 'mine' })).thingName).toBe('mine');
  });

  it('reads trusted keys from PEM text, a file with several keys, or a list of files', async () => {
    expect((await configFromEnv({ EDGEQC_TRUSTED_KEYS: keyA })).trustedKeys).toEqual([keyA]);
    expect((await configFromEnv({ EDGEQC_TRUSTED_KEYS: keyFileBoth })).trustedKeys).toEqual([keyA, keyB]);
    expect((await configFromEnv({ EDGEQC_TRUSTED_KEYS: `${keyFileA}:${keyFileBoth}` })).trustedKeys).toEqual([
      keyA,
      keyA,
      keyB,
    ]);
    await expect(configFromFlags({ 'trusted-key': [join(dir, 'missing.pem')] })).rejects.toThrow(
      /trustedKeys: expected PEM text or a readable PEM file \(--trusted-key\), got ".*missing\.pem"/,
    );
    await expect(configFromEnv({ EDGEQC_TRUSTED_KEYS: configFile })).rejects.toBeInstanceOf(AgentConfigError);
  });

  it('converts numbers and booleans, and keeps a bad value so that validation names it', async () => {
    expect(
      await configFromEnv({ EDGEQC_INFERENCE_IN_FLIGHT: '3', EDGEQC_ANNOTATE: 'no', EDGEQC_THRESHOLDS_DEFECT: '0.6' }),
    ).toEqual({
      inference: { inFlight: 3 },
      annotate: false,
      thresholds: { defect: 0.6 },
    });
    await expect(
      loadAgentConfig({
        env: { EDGEQC_OUTBOX_CAPACITY: 'abc' },
        flags: flagsOf(['--camera-dir', 'c', '--trusted-key', keyFileA]),
      }),
    ).rejects.toThrow('outbox.capacity: expected a positive integer, got "abc"');
    await expect(
      loadAgentConfig({
        env: { EDGEQC_ANNOTATE: 'maybe' },
        flags: flagsOf(['--camera-dir', 'c', '--trusted-key', keyFileA]),
      }),
    ).rejects.toThrow('annotate: expected true or false, got "maybe"');
    await expect(
      loadAgentConfig({
        flags: flagsOf(['--camera-dir', 'c', '--trusted-key', keyFileA, '--inference-pipeline-nice', '20']),
      }),
    ).rejects.toThrow('inference.pipelineNice: expected an integer from 0 to 19, got 20');
  });

  it('names an unreadable or invalid config file', async () => {
    await expect(loadRawAgentConfig({ file: join(dir, 'nope.json') })).rejects.toMatchObject({
      code: 'CONFIG_FILE_UNREADABLE',
    });
    const bad = join(dir, 'bad.json');
    await writeFile(bad, '{ cameraDir: ');
    await expect(loadRawAgentConfig({ flags: { config: bad } })).rejects.toMatchObject({
      code: 'CONFIG_FILE_INVALID_JSON',
    });
  });
});
