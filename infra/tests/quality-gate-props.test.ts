import { EnvNames } from '@edgeqc/orchestrator/handlers';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { qualityGateEnv } from '../lib/constructs/rollout-functions.ts';
import { pipelineStackForSynth } from '../lib/synth.ts';

type Fn = { Type: string; Properties: { Description?: string; Environment?: { Variables?: Record<string, unknown> } } };

/** The environment of the VerifyCanary function in a synthesized pipeline stack. */
function verifyCanaryEnv(props: Parameters<typeof pipelineStackForSynth>[0]): Record<string, unknown> {
  const resources = Template.fromStack(pipelineStackForSynth(props)).toJSON().Resources as Record<string, Fn>;
  const fn = Object.values(resources).find(
    (r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Description === 'edgeqc rollout step VerifyCanary',
  );
  return fn?.Properties.Environment?.Variables ?? {};
}

describe("the canary's quality gate settings at synth", () => {
  it('puts the given limits in the VerifyCanary function environment', () => {
    const env = verifyCanaryEnv({ qualityGate: { minImages: 300, maxDefectRateIncrease: 0.05 } });
    expect(env).toMatchObject({ [EnvNames.GateMinImages]: '300', [EnvNames.GateMaxDefectRateIncrease]: '0.05' });
    expect(env).not.toHaveProperty(EnvNames.GateMaxScorePsi);
    // Synthesizing the stack takes long on a busy shared machine.
  }, 180_000);

  it('leaves the handlers their defaults when nothing is given, and turns the gate off on request', () => {
    expect(qualityGateEnv({})).toEqual({});
    expect(qualityGateEnv({ qualityGate: false })).toEqual({ [EnvNames.QualityGate]: 'off' });
  });

  it('refuses a limit out of range, naming the key and the value', () => {
    expect(() => pipelineStackForSynth({ qualityGate: { maxScorePsi: 0 } })).toThrow(/qualityGate\.maxScorePsi=0/);
    expect(() => pipelineStackForSynth({ qualityGate: { minImages: 2.5 } })).toThrow(/qualityGate\.minImages=2\.5/);
    expect(() => pipelineStackForSynth({ canaryBakeSeconds: 100_000 })).toThrow(/qualityGate\.minBakeSeconds=100000/);
  }, 180_000);
});
