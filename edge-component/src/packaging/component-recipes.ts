/**
 * Renders the recipes of com.edgeqc.Inference and com.edgeqc.NodeRuntime from the templates in
 * recipes/. In both templates `Manifests` holds ONE platform manifest that is rendered once per
 * packaged platform (its artifacts differ: native binaries).
 */
import { modelComponentName } from '@edgeqc/model-component/manifest';
import {
  type ArtifactFile,
  artifactEntry,
  type Recipe,
  recipeBytes,
  renderTemplate,
  type TemplateParams,
} from '@edgeqc/model-component/recipe';
import { defaultTopicPrefix, topicsFor } from '../contracts/topics.ts';
import { withUploadDependencies } from '../upload/upload-recipe.ts';
import { PackagingError } from './packaging-error.ts';
import { greengrassArch, type Platform } from './platform.ts';

export const INFERENCE_COMPONENT = 'com.edgeqc.Inference';
export const NODE_RUNTIME_COMPONENT = 'com.edgeqc.NodeRuntime';

export interface PlatformArtifact {
  readonly platform: Platform;
  /** A ZIP (Unarchive: ZIP): Greengrass unpacks it into {artifacts:decompressedPath}/<name without .zip>/. */
  readonly file: ArtifactFile;
}

export const archiveFolder = (zipName: string) => zipName.replace(/\.zip$/, '');
export const agentArchiveName = (p: Platform) => `edgeqc-agent-${p}.zip`;
export const runtimeArchiveName = (p: Platform) => `node-${p}.zip`;

function renderPerPlatform(
  template: unknown,
  label: string,
  top: TemplateParams,
  platforms: readonly PlatformArtifact[],
  perPlatform: (a: PlatformArtifact) => TemplateParams,
): unknown {
  if (platforms.length === 0) throw new PackagingError('NO_PLATFORM', `${label}: no platform artifacts to render`);
  const t = template as { Manifests?: unknown[] };
  if (!Array.isArray(t.Manifests) || t.Manifests.length !== 1) {
    throw new PackagingError('TEMPLATE_SHAPE', `${label}: Manifests must hold exactly one platform manifest template`);
  }
  const { Manifests, ...rest } = t;
  const manifests = platforms.map((a) =>
    renderTemplate(Manifests[0], perPlatform(a), `${label} Manifests[0] (${a.platform})`),
  );
  return { ...(renderTemplate(rest, top, label) as object), Manifests: manifests };
}

export interface NodeRuntimeRecipeInput {
  readonly template: unknown;
  /** Node version, e.g. 24.21.0 (the component version). */
  readonly version: string;
  readonly bucket: string;
  readonly platforms: readonly PlatformArtifact[];
}

export function renderNodeRuntimeRecipe(input: NodeRuntimeRecipeInput): { recipe: Recipe; bytes: Uint8Array } {
  const rendered = renderPerPlatform(
    input.template,
    'recipes/node-runtime-component.recipe.json',
    { componentVersion: input.version },
    input.platforms,
    (a) => ({
      architecture: greengrassArch(a.platform),
      archiveFolder: archiveFolder(a.file.name),
      artifacts: [
        artifactEntry(input.bucket, NODE_RUNTIME_COMPONENT, input.version, {
          ...a.file,
          unarchive: 'ZIP',
          execute: 'OWNER',
        }),
      ],
    }),
  );
  return recipeBytes(rendered);
}

export interface InferenceRecipeInput {
  readonly template: unknown;
  readonly version: string;
  readonly bucket: string;
  readonly platforms: readonly PlatformArtifact[];
  readonly modelName: string;
  /** Greengrass version requirement on the model component, e.g. `>=1.0.0 <2.0.0`. */
  readonly modelVersionRequirement: string;
  /** The exact Node runtime version the agent was built and tested on. */
  readonly runtimeVersion: string;
  /** The agent's configuration, already validated by the agent's own schema. */
  readonly agentConfig: Readonly<Record<string, unknown>>;
}

/**
 * The Greengrass recipe variable of the core device's thing name. In a component's configuration (here
 * the `accessControl` policy) the nucleus replaces it only when its `interpolateComponentConfiguration`
 * option is true (nucleus 2.6.0+); the EC2 devices set it at install (infra device-user-data.ts) and in
 * the fleet's nucleus deployment. On a nucleus without it the policy names the literal text and every
 * publish is refused (NOT_AUTHORIZED), loudly, never to a broader topic.
 */
export const THING_NAME_RECIPE_VARIABLE = '{iot:thingName}';

/**
 * Exactly this device's four topics (edge-component's contract `topicsFor(edgeqc/<thing>)`):
 * inspections, status, errors and metrics. No wildcard, so a component cannot publish to a topic the
 * agent does not use; a new topic is a recipe change, reviewed like code.
 */
export const MQTT_TOPIC_RESOURCES: readonly string[] = Object.values(
  topicsFor(defaultTopicPrefix(THING_NAME_RECIPE_VARIABLE)),
);

export function renderInferenceRecipe(input: InferenceRecipeInput): { recipe: Recipe; bytes: Uint8Array } {
  if (!/^[<>=^~]*\s*\d/.test(input.modelVersionRequirement)) {
    throw new PackagingError(
      'VERSION_REQUIREMENT',
      `model version requirement '${input.modelVersionRequirement}': expected e.g. '>=1.0.0 <2.0.0'`,
    );
  }
  if ('accessControl' in input.agentConfig) {
    throw new PackagingError('CONFIG_KEY', 'the agent configuration must not carry accessControl: the recipe sets it');
  }
  if ('topicPrefix' in input.agentConfig) {
    throw new PackagingError(
      'CONFIG_KEY',
      `the agent configuration must not carry topicPrefix (got ${JSON.stringify(input.agentConfig.topicPrefix)}): under Greengrass the agent may publish only to ${MQTT_TOPIC_RESOURCES.join(', ')}`,
    );
  }
  const defaultConfiguration = {
    ...input.agentConfig,
    accessControl: {
      'aws.greengrass.ipc.mqttproxy': {
        [`${INFERENCE_COMPONENT}:mqttproxy:1`]: {
          policyDescription: "Publish inspections, status, errors and metrics to this device's own edgeqc topics only.",
          operations: ['aws.greengrass#PublishToIoTCore'],
          resources: [...MQTT_TOPIC_RESOURCES],
        },
      },
    },
  };
  const runtimeFolder = (p: Platform) => archiveFolder(runtimeArchiveName(p));
  const rendered = renderPerPlatform(
    input.template,
    'recipes/inference-component.recipe.json',
    {
      componentVersion: input.version,
      modelComponent: modelComponentName(input.modelName),
      modelVersionRequirement: input.modelVersionRequirement,
      runtimeVersionRequirement: `=${input.runtimeVersion}`,
      defaultConfiguration,
    },
    input.platforms,
    (a) => ({
      architecture: greengrassArch(a.platform),
      archiveFolder: archiveFolder(a.file.name),
      runtimeArchiveFolder: runtimeFolder(a.platform),
      modelComponent: modelComponentName(input.modelName),
      artifacts: [artifactEntry(input.bucket, INFERENCE_COMPONENT, input.version, { ...a.file, unarchive: 'ZIP' })],
    }),
  );
  return recipeBytes(withUploadDependencies(rendered, input.agentConfig));
}
