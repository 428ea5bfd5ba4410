import { status } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import type { ModelRunState } from '../../../src/sync/inspection-service.ts';
import { COMPONENT, type FakeControl, fakeControl, fakeService } from './fakes.ts';
import { type Harness, rgbBitmap, startHarness, waitFor } from './lfv-client.ts';

interface Description {
  model_component: string;
  lookout_vision_model_arn: string;
  status: ModelRunState;
  status_message: string;
}

let h: Harness;
let control: FakeControl;
async function start(initial: ModelRunState) {
  control = fakeControl(initial, 300, 100);
  h = await startHarness({ service: fakeService(), control });
}
afterEach(() => h.close());

const model = { model_component: COMPONENT };
const describeModel = async () =>
  (await h.client.call<{ model_description: Description }>('DescribeModel', model)).model_description;
const detect = () =>
  h.client.call('DetectAnomalies', { ...model, bitmap: { width: 64, height: 64, byte_data: rgbBitmap(64, 64) } });

describe('the model lifecycle over StartModel, DescribeModel and StopModel', () => {
  it('starts a stopped model: StartModel answers STARTING, DescribeModel reaches RUNNING, then it inspects', async () => {
    await start('STOPPED');
    expect(await describeModel()).toMatchObject({ status: 'STOPPED', model_component: COMPONENT });
    expect((await h.client.refusal('DetectAnomalies', { ...model, bitmap: null })).code).toBe(
      status.FAILED_PRECONDITION,
    );
    expect(await h.client.call('StartModel', model)).toEqual({ status: 'STARTING' });
    const seen = new Set<ModelRunState>();
    await waitFor('RUNNING', async () => {
      const { status: now } = await describeModel();
      seen.add(now);
      return now === 'RUNNING';
    });
    expect(seen.has('STARTING')).toBe(true);
    const described = await describeModel();
    expect(described.status_message).toContain('fake-detector 1.2.3');
    expect(described.lookout_vision_model_arn).toBe('');
    await expect(detect()).resolves.toHaveProperty('detect_anomaly_result');
  });

  it('stops a running model: StopModel answers STOPPING, DescribeModel reaches STOPPED, inspections are refused', async () => {
    await start('RUNNING');
    expect(await h.client.call('StopModel', model)).toEqual({ status: 'STOPPING' });
    await waitFor('STOPPED', async () => (await describeModel()).status === 'STOPPED');
    const err = await h.client.refusal('DetectAnomalies', { ...model, bitmap: null });
    expect(err.code).toBe(status.FAILED_PRECONDITION);
  });

  it('reports FAILED when loading fails, and StartModel may try again from FAILED', async () => {
    await start('STOPPED');
    control.failNextLoad();
    await h.client.call('StartModel', model);
    await waitFor('FAILED', async () => (await describeModel()).status === 'FAILED');
    expect((await describeModel()).status_message).toContain('failed to load');
    expect(await h.client.call('StartModel', model)).toEqual({ status: 'STARTING' });
    await waitFor('RUNNING', async () => (await describeModel()).status === 'RUNNING');
  });

  it.each<ModelRunState>(['RUNNING', 'STARTING', 'STOPPING'])(
    'refuses StartModel while %s: FAILED_PRECONDITION',
    async (state) => {
      await start(state);
      const err = await h.client.refusal('StartModel', model);
      expect(err.code).toBe(status.FAILED_PRECONDITION);
      expect(err.details).toContain('StartModel needs STOPPED or FAILED');
    },
  );

  it.each<ModelRunState>(['STOPPED', 'STARTING', 'STOPPING', 'FAILED'])(
    'refuses StopModel while %s: FAILED_PRECONDITION',
    async (state) => {
      await start(state);
      const err = await h.client.refusal('StopModel', model);
      expect(err.code).toBe(status.FAILED_PRECONDITION);
      expect(err.details).toContain('StopModel needs RUNNING');
    },
  );

  it.each(['DescribeModel', 'StartModel', 'StopModel'] as const)(
    'answers NOT_FOUND to %s for another model',
    async (method) => {
      await start('RUNNING');
      const err = await h.client.refusal(method, { model_component: 'aws.iot.lookoutvision.SomeModel' });
      expect(err.code).toBe(status.NOT_FOUND);
      expect(err.details).toContain(COMPONENT);
    },
  );

  it('lists the one model with its status, and none before a model component is known', async () => {
    await start('RUNNING');
    const { models } = await h.client.call<{ models: Description[] }>('ListModels', {});
    expect(models).toEqual([
      {
        model_component: COMPONENT,
        lookout_vision_model_arn: '',
        status: 'RUNNING',
        status_message: `serving fake-detector 1.2.3 (int8), sha256 ${'ab'.repeat(32)}`,
      },
    ]);
    control.setComponent(null);
    expect(await h.client.call('ListModels', {})).toEqual({ models: [] });
    expect((await h.client.refusal('DescribeModel', model)).code).toBe(status.NOT_FOUND);
  });
});
