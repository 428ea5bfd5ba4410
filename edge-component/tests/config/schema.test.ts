import { generateKeyPairSync } from 'node:crypto';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AgentConfigSchema, parseAgentConfig, topicPrefixOf, workFolders } from '../../src/config/schema.ts';
import { AgentConfigError } from '../../src/errors.ts';

const ed25519Pem = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
const p256Pem = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  .publicKey.export({ type: 'spki', format: 'pem' })
  .toString();

function errorOf(raw: unknown): AgentConfigError {
  try {
    parseAgentConfig(raw, { baseDir: '/srv/gg' });
  } catch (err) {
    expect(err).toBeInstanceOf(AgentConfigError);
    return err as AgentConfigError;
  }
  throw new Error('expected the config to be refused');
}

describe('AgentConfigSchema', () => {
  it("accepts the demo rollout's config (camera folder relative to the component's work folder)", () => {
    const config = parseAgentConfig({ cameraDir: 'camera', trustedKeys: [ed25519Pem] }, { baseDir: '/srv/gg/work' });
    expect(config.cameraDir).toBe('/srv/gg/work/camera');
    expect(config.workDir).toBe('/srv/gg/work/camera.edgeqc');
    expect(config.outbox).toEqual({
      dir: '/srv/gg/work/camera.edgeqc/outbox',
      capacity: 10_000,
      maxBytes: 256 * 1024 * 1024,
      policy: 'pause-intake',
    });
    expect(config.inference).toEqual({
      intraOpThreads: 1,
      interOpThreads: 1,
      inFlight: 2,
      detectorThread: 'worker',
      allowSpinning: false,
      pipelineNice: 10,
    });
    expect(config.limits).toEqual({
      maxFileBytes: 20 * 1024 * 1024,
      maxPixels: 4096 * 4096,
      minFreeBytes: 64 * 1024 * 1024,
    });
    expect(config.mqtt).toEqual({ version: '5', keepAliveSec: 30, allowPlaintext: false, maxMessageBytes: 128 * 1024 });
    expect(config.thresholds).toEqual({});
    expect(config.annotate).toBe(false);
    expect(config.statusIntervalSec).toBe(10);
    expect(config.seenCapacity).toBe(20_000);
    expect(config.thingName).toBeUndefined();
    expect(workFolders(config)).toEqual({
      done: '/srv/gg/work/camera.edgeqc/done',
      quarantine: '/srv/gg/work/camera.edgeqc/quarantine',
      state: '/srv/gg/work/camera.edgeqc/state',
    });
  });

  it('accepts and drops the accessControl block the Greengrass recipe adds', () => {
    const accessControl = {
      'aws.greengrass.ipc.mqttproxy': { x: { operations: ['aws.greengrass#PublishToIoTCore'] } },
    };
    const parsed = AgentConfigSchema.parse({ cameraDir: 'camera', trustedKeys: [ed25519Pem], accessControl });
    expect('accessControl' in parsed).toBe(false);
    const config = parseAgentConfig({ cameraDir: 'camera', trustedKeys: [ed25519Pem], accessControl });
    expect('accessControl' in config).toBe(false);
  });

  it('is pure: the schema keeps paths as given, so package-agent can write its output into the recipe', () => {
    const parsed = AgentConfigSchema.parse({ cameraDir: 'camera', trustedKeys: [p256Pem], outbox: { dir: 'ob' } });
    expect(parsed.cameraDir).toBe('camera');
    expect(parsed.outbox.dir).toBe('ob');
    expect(parsed.workDir).toBeUndefined();
    // parsing its own output again gives the same object (the recipe round-trips through Greengrass)
    expect(AgentConfigSchema.parse(JSON.parse(JSON.stringify(parsed)))).toEqual(parsed);
  });

  it('resolves every relative path against baseDir and keeps absolute ones', () => {
    const config = parseAgentConfig(
      {
        cameraDir: '/data/cam',
        workDir: 'w',
        trustedKeys: [ed25519Pem, p256Pem],
        model: { dir: 'models/current', minVersion: '1.2.0' },
        mqtt: { url: 'mqtts://abc-ats.iot.eu-west-1.amazonaws.com:8883', certFile: 'c.pem', keyFile: '/k/key.pem' },
        outbox: { dir: '../ob', capacity: 5, policy: 'drop-oldest' },
      },
      { baseDir: '/srv/base' },
    );
    expect(config.cameraDir).toBe('/data/cam');
    expect(config.workDir).toBe('/srv/base/w');
    expect(config.model).toEqual({ dir: '/srv/base/models/current', minVersion: '1.2.0' });
    expect(config.mqtt.certFile).toBe('/srv/base/c.pem');
    expect(config.mqtt.keyFile).toBe('/k/key.pem');
    expect(config.outbox.dir).toBe('/srv/ob');
    expect(config.outbox.policy).toBe('drop-oldest');
  });

  it('returns a deep-frozen config', () => {
    const config = parseAgentConfig({ cameraDir: 'c', trustedKeys: [ed25519Pem] });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.outbox)).toBe(true);
    expect(Object.isFrozen(config.trustedKeys)).toBe(true);
    expect(config.cameraDir).toBe(resolve('c'));
  });

  it('names the key path and the value of a bad value', () => {
    const err = errorOf({ cameraDir: 'c', trustedKeys: [ed25519Pem], outbox: { capacity: 'abc' } });
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toContain('outbox.capacity: expected a positive integer, got "abc"');
  });

  it.each([
    [{ inference: { inFlight: 0 } }, 'inference.inFlight: expected an integer from 1 to 16, got 0'],
    [{ inference: { intraOpThreads: 1.5 } }, 'inference.intraOpThreads: expected an integer from 0 to 64, got 1.5'],
    [{ inference: { detectorThread: 'gpu' } }, 'inference.detectorThread: expected "worker" or "main", got "gpu"'],
    [
      { inference: { allowSpinning: 'yes please' } },
      'inference.allowSpinning: expected true or false, got "yes please"',
    ],
    [{ thresholds: { defect: 1.5 } }, 'thresholds.defect: expected a number from 0 to 1, got 1.5'],
    [
      { thresholds: { review: 0.8, defect: 0.5 } },
      'thresholds: expected review <= defect, got {"review":0.8,"defect":0.5}',
    ],
    [
      { outbox: { policy: 'drop-newest' } },
      'outbox.policy: expected "pause-intake" or "drop-oldest", got "drop-newest"',
    ],
    [
      { mqtt: { url: 'http://broker' } },
      'mqtt.url: expected a broker URL mqtt://host:port or mqtts://host:port, got "http://broker"',
    ],
    [{ mqtt: { certFile: 'c.pem' } }, 'mqtt: expected certFile and keyFile together (mutual TLS) or neither'],
    [{ model: { minVersion: 'v2' } }, 'model.minVersion: expected a semantic version such as 1.2.3, got "v2"'],
    [
      { thingName: 'line 1' },
      'thingName: expected a thing name: letters, digits, ":", "_" or "-", at most 128, got "line 1"',
    ],
    [{ annotate: 'yes' }, 'annotate: expected true or false, got "yes"'],
    [
      { topicPrefix: 'edgeqc/#' },
      'topicPrefix: expected topic levels of letters, digits, "_", "-", ":" or "." (no wildcards, spaces or other characters), got level "#", got "edgeqc/#"',
    ],
    [{ outbux: {} }, 'outbux: unknown key (expected one of thingName, cameraDir'],
    [{ outbox: { size: 3 } }, 'outbox.size: unknown key, got 3'],
  ])('refuses %j', (patch, expected) => {
    const err = errorOf({ cameraDir: 'c', trustedKeys: [ed25519Pem], ...patch });
    expect(err.message).toContain(expected);
  });

  it('refuses a missing camera folder and missing, empty or non-key trustedKeys', () => {
    expect(errorOf({ trustedKeys: [ed25519Pem] }).message).toContain(
      'cameraDir: expected the camera folder (a path), got nothing (the key is missing)',
    );
    expect(errorOf({ cameraDir: 'c' }).message).toContain(
      'trustedKeys: expected a list of PEM public keys, got nothing',
    );
    expect(errorOf({ cameraDir: 'c', trustedKeys: [] }).message).toContain(
      'trustedKeys: expected at least one trusted public key, got []',
    );
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' });
    expect(errorOf({ cameraDir: 'c', trustedKeys: [ed25519Pem, String(rsa)] }).message).toContain(
      'trustedKeys[1]: expected a PEM public key (SPKI, Ed25519 or ECDSA P-256), got "-----BEGIN PUBLIC KEY-----\\nMIG..."',
    );
    expect(errorOf({ cameraDir: 'c', trustedKeys: ['not a key'] }).message).toContain('trustedKeys[0]: expected a PEM');
  });

  it('lists every problem at once', () => {
    const err = errorOf({ cameraDir: 3, trustedKeys: [ed25519Pem], limits: { maxPixels: -1 } });
    expect(err.message).toContain('cameraDir: expected the camera folder (a path), got 3');
    expect(err.message).toContain('limits.maxPixels: expected a positive integer, got -1');
  });

  it('refuses a work folder equal to the camera folder', () => {
    expect(errorOf({ cameraDir: 'c', workDir: '/srv/gg/c/', trustedKeys: [ed25519Pem] }).message).toContain(
      'workDir: expected a folder other than the camera folder',
    );
  });

  it('derives the topic prefix from the thing name unless configured', () => {
    const base = { cameraDir: 'c', trustedKeys: [ed25519Pem] };
    expect(topicPrefixOf(parseAgentConfig({ ...base, thingName: 'line-1' }))).toBe('edgeqc/line-1');
    expect(topicPrefixOf(parseAgentConfig({ ...base, thingName: 'line-1', topicPrefix: 'plant/a' }))).toBe('plant/a');
    expect(() => topicPrefixOf(parseAgentConfig(base))).toThrow(/thingName: expected a thing name/);
  });

  it('describes every top-level key', () => {
    for (const [key, schema] of Object.entries(AgentConfigSchema.shape)) {
      expect(schema.description, key).toBeTruthy();
    }
  });
});
