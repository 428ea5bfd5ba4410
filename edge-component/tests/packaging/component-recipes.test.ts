import { generateKeyPairSync } from 'node:crypto';
import { gdkRecipeValidator } from '@edgeqc/model-component/gdk-schema';
import { loadRecipeTemplate, RecipeSchema } from '@edgeqc/model-component/recipe';
import { describe, expect, it } from 'vitest';
import { AgentConfigSchema } from '../../src/config/schema.ts';
import { defaultTopicPrefix, topicsFor } from '../../src/contracts/topics.ts';
import {
  INFERENCE_COMPONENT,
  MQTT_TOPIC_RESOURCES,
  renderInferenceRecipe,
  renderNodeRuntimeRecipe,
} from '../../src/packaging/component-recipes.ts';

const gdk = gdkRecipeValidator();
const trustedKey = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
const hex = (n: number) => n.toString(16).padStart(2, '0').repeat(32);
const platforms = [
  { platform: 'linux-x64' as const, file: { name: 'edgeqc-agent-linux-x64.zip', sha256: hex(1) } },
  { platform: 'linux-arm64' as const, file: { name: 'edgeqc-agent-linux-arm64.zip', sha256: hex(2) } },
];

describe('com.edgeqc.Inference recipe', async () => {
  const template = await loadRecipeTemplate('inference-component');
  const render = (agentConfig: Record<string, unknown> = { cameraDir: '/var/lib/edgeqc/camera' }) =>
    renderInferenceRecipe({
      template,
      version: '1.4.0',
      bucket: 'factory-artifacts',
      platforms,
      modelName: 'tag-scratch',
      modelVersionRequirement: '>=1.0.0 <2.0.0',
      runtimeVersion: '24.21.0',
      agentConfig,
    });

  it('depends HARD on the model component with a version requirement and on the exact Node runtime', () => {
    const { recipe } = render();
    expect(recipe.ComponentName).toBe(INFERENCE_COMPONENT);
    expect(recipe.ComponentDependencies).toEqual({
      'com.edgeqc.Model.tag-scratch': { VersionRequirement: '>=1.0.0 <2.0.0', DependencyType: 'HARD' },
      'com.edgeqc.NodeRuntime': { VersionRequirement: '=24.21.0', DependencyType: 'HARD' },
    });
  });

  it('runs the agent on the runtime component with the model path from the model component', () => {
    const { recipe } = render();
    const [x64, arm64] = recipe.Manifests;
    expect(x64?.Platform).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(arm64?.Platform).toEqual({ os: 'linux', architecture: 'aarch64' });
    expect(x64?.Lifecycle.Run?.Script).toBe(
      'exec "{com.edgeqc.NodeRuntime:artifacts:decompressedPath}/node-linux-x64/bin/node" --max-semi-space-size=4 "{artifacts:decompressedPath}/edgeqc-agent-linux-x64/main.js" agent --greengrass --model "{com.edgeqc.Model.tag-scratch:artifacts:path}"',
    );
    expect(arm64?.Lifecycle.Setenv?.EDGEQC_MODEL_DIR).toBe('{com.edgeqc.Model.tag-scratch:artifacts:path}');
    // The memory settings measured with `edgeqc bench` (recipes/README.md) reach the agent on every platform.
    for (const manifest of [x64, arm64]) {
      expect(manifest?.Lifecycle.Setenv).toMatchObject({
        MALLOC_ARENA_MAX: '2',
        MALLOC_MMAP_THRESHOLD_: '4194304',
        MALLOC_TRIM_THRESHOLD_: '8388608',
      });
    }
    expect(x64?.Lifecycle.Install?.Timeout).toBe(120);
    expect(x64?.Artifacts).toEqual([
      {
        Uri: 's3://factory-artifacts/components/com.edgeqc.Inference/1.4.0/edgeqc-agent-linux-x64.zip',
        Digest: Buffer.from(hex(1), 'hex').toString('base64'),
        Algorithm: 'SHA-256',
        Unarchive: 'ZIP',
        Permission: { Read: 'OWNER', Execute: 'NONE' },
      },
    ]);
  });

  it("allows MQTT publishing to exactly the device's own four edgeqc topics, no wildcard", () => {
    const config = render().recipe.ComponentConfiguration?.DefaultConfiguration as Record<string, unknown>;
    expect(config.cameraDir).toBe('/var/lib/edgeqc/camera');
    const exact = [
      'edgeqc/{iot:thingName}/inspections',
      'edgeqc/{iot:thingName}/status',
      'edgeqc/{iot:thingName}/errors',
      'edgeqc/{iot:thingName}/metrics',
    ];
    expect(config.accessControl).toEqual({
      'aws.greengrass.ipc.mqttproxy': {
        'com.edgeqc.Inference:mqttproxy:1': expect.objectContaining({
          operations: ['aws.greengrass#PublishToIoTCore'],
          resources: exact,
        }),
      },
    });
    expect(MQTT_TOPIC_RESOURCES).toEqual(exact);
    // The agent's own topics for a thing are these, with the thing name in place of the variable.
    const agentTopics = Object.values(topicsFor(defaultTopicPrefix('edgeqc-device-0')));
    expect(exact.map((t) => t.replace('{iot:thingName}', 'edgeqc-device-0'))).toEqual(agentTopics);
    for (const topic of MQTT_TOPIC_RESOURCES) expect(topic).not.toMatch(/[*#+]/);
  });

  it('exposes the metrics settings in its default configuration, as the agent schema fills them', () => {
    const config = render(
      AgentConfigSchema.parse({ cameraDir: '/var/lib/edgeqc/camera', trustedKeys: [trustedKey] }) as Record<
        string,
        unknown
      >,
    ).recipe.ComponentConfiguration?.DefaultConfiguration as Record<string, unknown>;
    expect(config.metrics).toEqual({
      intervalSeconds: 30,
      windowSeconds: 900,
      windowImages: 500,
      drift: { baselineImages: 200, psiLimit: 0.25 },
      prometheus: { port: 0, host: '127.0.0.1', allowRemote: false },
    });
  });

  it('refuses a topicPrefix in the agent configuration: the IPC policy allows only the default topics', () => {
    expect(() => render({ cameraDir: '/var/lib/edgeqc/camera', topicPrefix: 'plant-1/line-2' })).toThrow(
      /must not carry topicPrefix \(got "plant-1\/line-2"\)/,
    );
  });

  it('validates against our recipe schema and the GDK schema, under the size limit', () => {
    const { recipe, bytes } = render();
    expect(RecipeSchema.parse(JSON.parse(new TextDecoder().decode(bytes)))).toEqual(recipe);
    expect(gdk(recipe).errors).toEqual([]);
    expect(bytes.length).toBeLessThan(16_000);
  });

  it('refuses a configuration that tries to set its own accessControl', () => {
    expect(() => render({ accessControl: {} })).toThrow(/must not carry accessControl/);
  });
});

describe('com.edgeqc.NodeRuntime recipe', async () => {
  const template = await loadRecipeTemplate('node-runtime-component');
  it('ships the Node binary per platform as an executable ZIP artifact and validates in both schemas', () => {
    const { recipe } = renderNodeRuntimeRecipe({
      template,
      version: '24.21.0',
      bucket: 'factory-artifacts',
      platforms: [{ platform: 'linux-arm64', file: { name: 'node-linux-arm64.zip', sha256: hex(3) } }],
    });
    expect(recipe.ComponentVersion).toBe('24.21.0');
    expect(recipe.Manifests).toHaveLength(1);
    expect(recipe.Manifests[0]?.Artifacts[0]).toMatchObject({
      Uri: 's3://factory-artifacts/components/com.edgeqc.NodeRuntime/24.21.0/node-linux-arm64.zip',
      Unarchive: 'ZIP',
      Permission: { Execute: 'OWNER' },
    });
    expect(recipe.Manifests[0]?.Lifecycle.Run).toBeUndefined();
    expect(gdk(recipe).errors).toEqual([]);
  });
});
