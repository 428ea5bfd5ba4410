import { gdkRecipeValidator } from '@edgeqc/model-component/gdk-schema';
import { loadRecipeTemplate } from '@edgeqc/model-component/recipe';
import { describe, expect, it } from 'vitest';
import { UploadConfigSchema } from '../../src/config/schema.ts';
import { renderInferenceRecipe } from '../../src/packaging/component-recipes.ts';
import { TOKEN_EXCHANGE_COMPONENT } from '../../src/upload/upload-recipe.ts';

const hex = (n: number) => n.toString(16).padStart(2, '0').repeat(32);

describe('the inference recipe with uploads', async () => {
  const template = await loadRecipeTemplate('inference-component');
  const render = (upload: Record<string, unknown>) =>
    renderInferenceRecipe({
      template,
      version: '1.5.0',
      bucket: 'factory-artifacts',
      platforms: [{ platform: 'linux-x64', file: { name: 'edgeqc-agent-linux-x64.zip', sha256: hex(1) } }],
      modelName: 'tag-scratch',
      modelVersionRequirement: '>=1.0.0',
      runtimeVersion: '24.21.0',
      // As package-agent writes it: the section with the schema's defaults filled in.
      agentConfig: { cameraDir: '/var/lib/edgeqc/camera', upload: UploadConfigSchema.parse(upload) },
    }).recipe;

  it('exposes the upload keys, off, and needs no token exchange service by default', () => {
    const recipe = render({});
    const config = recipe.ComponentConfiguration?.DefaultConfiguration as { upload: Record<string, unknown> };
    expect(config.upload).toMatchObject({ enabled: false, target: 's3', prefix: 'inspections', okSampleRate: 0.02 });
    expect(recipe.ComponentDependencies).not.toHaveProperty(TOKEN_EXCHANGE_COMPONENT);
  });

  it('depends HARD on aws.greengrass.TokenExchangeService when it uploads to S3, and stays a valid recipe', () => {
    const recipe = render({ enabled: true, s3: { bucket: 'edgeqc-inspections-123456789012-eu-west-1' } });
    expect(recipe.ComponentDependencies?.[TOKEN_EXCHANGE_COMPONENT]).toEqual({
      VersionRequirement: '^2.0.0',
      DependencyType: 'HARD',
    });
    expect(gdkRecipeValidator()(recipe).errors).toEqual([]);
  });

  it('needs no credentials for the local folder target', () => {
    const recipe = render({ enabled: true, target: 'folder', folder: { dir: '/var/lib/edgeqc/store' } });
    expect(recipe.ComponentDependencies).not.toHaveProperty(TOKEN_EXCHANGE_COMPONENT);
  });
});
