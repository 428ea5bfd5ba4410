/**
 * The configuration's publishing rules: the topic prefix AWS IoT accepts, plain mqtt:// only to
 * loopback unless mqtt.allowPlaintext, the message size limit, one detection cap shared with the
 * inspection schema, and a broker URL's password never in an error or a log.
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isLoopbackHost, parseBrokerUrl, redactUrl } from '../../src/adapters/mqtt-url.ts';
import { parseAgentConfig } from '../../src/config/schema.ts';
import { InspectionSchema, MAX_DETECTIONS } from '../../src/contracts/inspection.ts';
import { topicPrefixProblem } from '../../src/contracts/topics.ts';
import { AgentConfigError, messageOf } from '../../src/errors.ts';

const key = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
const base = { thingName: 'line-1', cameraDir: '/cam', trustedKeys: [key] };
const parse = (extra: Record<string, unknown>) => parseAgentConfig({ ...base, ...extra }, { baseDir: '/' });

function refusal(extra: Record<string, unknown>): string {
  try {
    parse(extra);
  } catch (err) {
    expect(err).toBeInstanceOf(AgentConfigError);
    return messageOf(err);
  }
  throw new Error('expected the configuration to be refused');
}

describe('topicPrefix: what AWS IoT topics allow', () => {
  it('accepts the default shape and prefixes of up to 244 bytes and 6 "/"', () => {
    expect(topicPrefixProblem('edgeqc/line-1')).toBeUndefined();
    expect(topicPrefixProblem('plant_2/hall.3/edgeqc/line:1')).toBeUndefined();
    expect(topicPrefixProblem('a/b/c/d/e/f/g')).toBeUndefined();
    expect(topicPrefixProblem('x'.repeat(244))).toBeUndefined();
    expect(parse({ topicPrefix: 'plant/edgeqc/line-1' }).topicPrefix).toBe('plant/edgeqc/line-1');
  });

  it.each([
    ['$aws/things/line-1', /"\$"/],
    ['x'.repeat(245), /at most 244 bytes/],
    ['a/b/c/d/e/f/g/h', /at most 6 "\/"/],
    ['edgeqc/', /empty level/],
    ['/edgeqc', /empty level/],
    ['edgeqc//line', /empty level/],
    ['edgeqc/+/line', /got level "\+"/],
    ['edgeqc/#', /got level "#"/],
    ['edgeqc/line 1', /got level "line 1"/],
    ['édgeqc/line', /got level "édgeqc"/],
    ['', /non-empty/],
  ])('refuses %j, naming the key and the value', (prefix, why) => {
    const message = refusal({ topicPrefix: prefix });
    expect(message).toMatch(why);
    expect(message).toContain('topicPrefix: ');
    expect(message).toContain(`got ${JSON.stringify(prefix).slice(0, 40)}`);
  });
});

describe('mqtt.url: plain mqtt:// only to loopback unless mqtt.allowPlaintext', () => {
  it('knows loopback hosts', () => {
    for (const h of ['localhost', '127.0.0.1', '127.1.2.3', '::1', '[::1]']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['10.0.0.5', 'broker.local', '128.0.0.1', '::2', 'localhost.example.com']) {
      expect(isLoopbackHost(h), h).toBe(false);
    }
  });

  it('accepts mqtt:// to loopback, mqtts:// anywhere, and mqtt:// elsewhere with allowPlaintext', () => {
    expect(parse({ mqtt: { url: 'mqtt://127.0.0.1:1883' } }).mqtt.url).toBe('mqtt://127.0.0.1:1883');
    expect(parse({ mqtt: { url: 'mqtt://localhost' } }).mqtt.allowPlaintext).toBe(false);
    expect(parse({ mqtt: { url: 'mqtts://abc-ats.iot.eu-west-1.amazonaws.com:8883' } }).mqtt.url).toMatch(/^mqtts/);
    expect(parse({ mqtt: { url: 'mqtt://10.0.0.5:1883', allowPlaintext: true } }).mqtt.allowPlaintext).toBe(true);
  });

  it('refuses mqtt:// to another host, naming mqtt.url, the value and the key that allows it', () => {
    const message = refusal({ mqtt: { url: 'mqtt://10.0.0.5:1883' } });
    expect(message).toContain('mqtt.url: ');
    expect(message).toContain('mqtt.allowPlaintext');
    expect(message).toContain('got "mqtt://10.0.0.5:1883"');
  });

  it('never shows the password of a refused URL', () => {
    const message = refusal({ mqtt: { url: 'mqtt://device:s3cret@10.0.0.5:1883' } });
    expect(message).toContain('got "mqtt://device:***@10.0.0.5:1883"');
    expect(message).not.toContain('s3cret');
  });
});

describe('broker URL credentials', () => {
  it('redactUrl hides the password wherever a URL sits in a text', () => {
    expect(redactUrl('mqtt://u:p@h:1883')).toBe('mqtt://u:***@h:1883');
    expect(redactUrl('connect to mqtts://dev:pa%40ss@broker:8883 failed')).toBe(
      'connect to mqtts://dev:***@broker:8883 failed',
    );
    expect(redactUrl('mqtt://u@h')).toBe('mqtt://u@h');
    expect(redactUrl('mqtt://h:1883')).toBe('mqtt://h:1883');
    expect(redactUrl('not a url: a:b@c')).toBe('not a url: a:b@c');
  });

  it('parseBrokerUrl passes the user name and password on, and its errors do not show them', () => {
    expect(parseBrokerUrl('mqtt://dev:pa%40ss@127.0.0.1:1884')).toEqual({
      host: '127.0.0.1',
      port: 1884,
      tls: false,
      username: 'dev',
      password: 'pa@ss',
    });
    expect(() => parseBrokerUrl('http://dev:s3cret@h')).toThrow(/http:\/\/dev:\*\*\*@h/);
    try {
      parseBrokerUrl('http://dev:s3cret@h');
    } catch (err) {
      expect(messageOf(err)).not.toContain('s3cret');
    }
  });
});

describe('message size and detection cap', () => {
  it("mqtt.maxMessageBytes defaults to AWS IoT Core's 128 KB", () => {
    expect(parse({}).mqtt.maxMessageBytes).toBe(128 * 1024);
    expect(parse({ mqtt: { maxMessageBytes: 4096 } }).mqtt.maxMessageBytes).toBe(4096);
    expect(refusal({ mqtt: { maxMessageBytes: 10 } })).toContain('mqtt.maxMessageBytes: ');
  });

  it('thresholds.maxDetections is capped by the one constant the inspection schema uses', () => {
    expect(parse({ thresholds: { maxDetections: MAX_DETECTIONS } }).thresholds.maxDetections).toBe(MAX_DETECTIONS);
    const message = refusal({ thresholds: { maxDetections: MAX_DETECTIONS + 1 } });
    expect(message).toContain('thresholds.maxDetections: ');
    expect(message).toContain(`got ${MAX_DETECTIONS + 1}`);
    const detections = InspectionSchema.shape.detections;
    expect(detections.safeParse(new Array(MAX_DETECTIONS + 1).fill(null)).success).toBe(false);
  });
});
