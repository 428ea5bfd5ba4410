/** `edgeqc package-agent`: the inference component's artifacts and recipes for Greengrass. */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import type { Command, CommandIo } from '../cli/command.ts';
import { AgentConfigSchema, describeConfigIssues } from '../config/schema.ts';
import { errorCode, messageOf } from '../errors.ts';
import { type PackageAgentDeps, packageAgent } from './package-agent.ts';
import { PackagingError } from './packaging-error.ts';
import { parsePlatform } from './platform.ts';

const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const HELP = `usage: edgeqc package-agent --platform linux-x64|linux-arm64 [--platform ...] --out <dir> [options]

Bundles the agent (esbuild) with the production packages it loads at run time, keeping only the
target platform's native binaries, into <out>/artifacts/com.edgeqc.Inference/<version>/edgeqc-agent-<platform>.zip;
the Node binary into <out>/artifacts/com.edgeqc.NodeRuntime/<node>/node-<platform>.zip; and both recipes
into <out>/recipes/. A platform that is not the host's fetches its native packages with npm pack.

options:
  --version <semver>        inference component version (default: edge-component's package.json)
  --config <file.json>      the agent configuration for DefaultConfiguration (validated by the agent's schema)
  --model <name>            model component the agent depends on (default tag-scratch)
  --model-version <range>   its version requirement (default >=0.1.0)
  --bucket <name>           S3 bucket of the artifact URIs (default edgeqc-artifacts)
  --no-runtime              skip com.edgeqc.NodeRuntime
  --json                    print the result as JSON
`;

/** The agent's own schema validates the configuration written into the recipe (accessControl dropped). */
function defaultValidateConfig(): PackageAgentDeps['validateConfig'] {
  return (raw) => {
    const parsed = AgentConfigSchema.safeParse(raw);
    if (!parsed.success) {
      const problems = describeConfigIssues(parsed.error, raw).join('; ');
      throw new PackagingError('CONFIG_INVALID', `--config: invalid agent configuration: ${problems}`, {
        cause: parsed.error,
      });
    }
    return parsed.data as Record<string, unknown>;
  };
}

function fmtMb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      platform: { type: 'string', multiple: true },
      out: { type: 'string' },
      version: { type: 'string' },
      config: { type: 'string' },
      model: { type: 'string' },
      'model-version': { type: 'string' },
      bucket: { type: 'string' },
      'no-runtime': { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  if (!values.out) throw new PackagingError('USAGE', '--out <dir> is required (edgeqc package-agent --help)');
  if (!values.platform?.length) throw new PackagingError('USAGE', '--platform linux-x64|linux-arm64 is required');
  let agentConfig: unknown = {};
  if (values.config) {
    try {
      agentConfig = JSON.parse(await readFile(values.config, 'utf8'));
    } catch (cause) {
      throw new PackagingError('USAGE', `--config ${values.config} is not a readable JSON file`, { cause });
    }
  }
  const result = await packageAgent(
    { validateConfig: defaultValidateConfig() },
    {
      platforms: values.platform.map(parsePlatform),
      outDir: values.out,
      projectRoot: PROJECT_ROOT,
      version: values.version,
      agentConfig,
      modelName: values.model,
      modelVersionRequirement: values['model-version'],
      bucket: values.bucket,
      withRuntime: !values['no-runtime'],
    },
  );
  if (values.json) {
    io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  }
  for (const a of result.artifacts) {
    io.stdout.write(
      `${a.reused ? 'unchanged' : 'packaged '} ${a.component} ${a.version} ${a.platform}: ${fmtMb(a.sizeBytes)} download (${fmtMb(a.unpackedBytes)} unpacked)\n  ${a.path}\n`,
    );
  }
  io.stdout.write(
    `recipe ${result.inferenceRecipePath}\n${result.runtimeRecipePath ? `recipe ${result.runtimeRecipePath}\n` : ''}`,
  );
  return 0;
}

export const packageAgentCommand: Command = {
  name: 'package-agent',
  summary: 'bundle the agent and its native dependencies for one platform as Greengrass artifacts',
  async run(argv, io) {
    try {
      return await run(argv, io);
    } catch (err) {
      const code = errorCode(err);
      if (err instanceof PackagingError || code?.startsWith('ERR_PARSE_ARGS') || err instanceof z.ZodError) {
        io.stderr.write(`edgeqc package-agent: ${messageOf(err)}\n`);
        return 2;
      }
      throw err;
    }
  },
};
