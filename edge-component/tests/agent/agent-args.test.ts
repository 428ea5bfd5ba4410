import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { agentHelp, parseAgentArgs } from '../../src/agent/agent-args.ts';
import { AGENT_VERSION } from '../../src/agent/agent-version.ts';
import { AgentConfigError } from '../../src/errors.ts';

describe('agent command line', () => {
  it('separates the run mode from the configuration flags', () => {
    const a = parseAgentArgs(['--greengrass', '--model', '/m', '--camera-dir', 'cam', '--validate-config']);
    expect(a).toMatchObject({ greengrass: true, validateOnly: true, help: false });
    expect(a.flags).toEqual({ model: '/m', 'camera-dir': 'cam' });
  });

  it('names an unknown flag', () => {
    expect(() => parseAgentArgs(['--camera-folder', 'x'])).toThrow(AgentConfigError);
    expect(() => parseAgentArgs(['--camera-folder', 'x'])).toThrow(/--camera-folder/);
  });

  it('help lists the quick-try flags and every configuration key', () => {
    const help = agentHelp();
    for (const flag of [
      '--greengrass',
      '--validate-config',
      '--camera-dir',
      '--mqtt-url',
      '--thing-name',
      '--outbox-policy',
    ])
      expect(help).toContain(flag);
  });

  it('reports the version of edge-component/package.json', async () => {
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(AGENT_VERSION).toBe(pkg.version);
  });
});
