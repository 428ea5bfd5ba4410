import { status } from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ImageRejectedCode, ImageRejectedError, SyncCode, SyncInspectionError } from '../../../src/errors.ts';
import type { ModelRunState } from '../../../src/sync/inspection-service.ts';
import { COMPONENT, type FakeControl, type FakeService, fakeControl, fakeService } from './fakes.ts';
import { type Harness, rgbBitmap, sharedMemorySegment, startHarness, waitFor } from './lfv-client.ts';

const W = 64;
const H = 64;
const SIZE = W * H * 3;
const inline = (extra: object = {}) => ({
  model_component: COMPONENT,
  bitmap: { width: W, height: H, byte_data: rgbBitmap(W, H) },
  ...extra,
});
const edgeqcCode = (err: { metadata: { get(key: string): unknown[] } }) => err.metadata.get('edgeqc-code')[0];

let service: FakeService;
let control: FakeControl;
let h: Harness;
beforeEach(async () => {
  service = fakeService(750);
  control = fakeControl('RUNNING');
  h = await startHarness({ service, control });
});
afterEach(() => h.close());

describe('DetectAnomalies refusals carry the documented status codes', () => {
  it('NOT_FOUND for a model_component we do not serve', async () => {
    const err = await h.client.refusal('DetectAnomalies', inline({ model_component: 'com.example.OtherModel' }));
    expect(err.code).toBe(status.NOT_FOUND);
    expect(err.details).toContain('com.example.OtherModel');
    expect(service.images).toHaveLength(0);
  });

  it.each<ModelRunState>(['STOPPED', 'STARTING', 'STOPPING', 'FAILED'])(
    'FAILED_PRECONDITION while the model is %s',
    async (state) => {
      control.set(state);
      const err = await h.client.refusal('DetectAnomalies', inline());
      expect(err.code).toBe(status.FAILED_PRECONDITION);
      expect(err.details).toContain(state);
      expect(service.images).toHaveLength(0);
    },
  );

  it('FAILED_PRECONDITION when the service finds no model serving (SYNC_NO_MODEL)', async () => {
    service.reject(new SyncInspectionError(SyncCode.NoModel, 'no model serves'));
    const err = await h.client.refusal('DetectAnomalies', inline());
    expect(err.code).toBe(status.FAILED_PRECONDITION);
    expect(edgeqcCode(err)).toBe('SYNC_NO_MODEL');
  });

  const bitmapCases: [string, object, string][] = [
    ['no bitmap', { bitmap: null }, 'bitmap is missing'],
    ['a width below 64', { bitmap: { width: 63, height: H, byte_data: Buffer.alloc(63 * H * 3) } }, 'bitmap.width 63'],
    ['a height above 4096', { bitmap: { width: W, height: 4097, byte_data: Buffer.alloc(3) } }, 'bitmap.height 4097'],
    ['neither bytes nor a handle', { bitmap: { width: W, height: H } }, 'neither byte_data nor shared_memory_handle'],
    [
      'bytes of the wrong length',
      { bitmap: { width: W, height: H, byte_data: Buffer.alloc(SIZE - 1) } },
      'bitmap.byte_data',
    ],
    [
      'a handle whose size is not width x height x 3',
      { bitmap: { width: W, height: H, shared_memory_handle: { name: 'x', size: SIZE + 3, offset: 0 } } },
      'bitmap.shared_memory_handle.size',
    ],
    [
      'a handle name with a slash inside',
      { bitmap: { width: W, height: H, shared_memory_handle: { name: '/a/../../etc/passwd', size: SIZE, offset: 0 } } },
      'bitmap.shared_memory_handle.name',
    ],
    [
      'a segment that does not exist',
      { bitmap: { width: W, height: H, shared_memory_handle: { name: '/edgeqc-lfv-missing', size: SIZE, offset: 0 } } },
      'no such segment',
    ],
    [
      'a mask handle of the wrong size',
      { anomaly_mask_params: { shared_memory_handle: { name: 'x', size: 12, offset: 0 } } },
      'anomaly_mask_params.shared_memory_handle.size',
    ],
    [
      'a mask segment that does not exist',
      { anomaly_mask_params: { shared_memory_handle: { name: 'edgeqc-lfv-missing', size: SIZE, offset: 0 } } },
      'anomaly_mask_params.shared_memory_handle.name',
    ],
  ];
  it.each(bitmapCases)('INVALID_ARGUMENT naming the field for %s', async (_, fields, message) => {
    const err = await h.client.refusal('DetectAnomalies', inline(fields));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toContain(message);
    expect(edgeqcCode(err)).toBe('SYNC_BAD_BITMAP');
    expect(service.images).toHaveLength(0);
  });

  it('INVALID_ARGUMENT for a region past the end of the segment', async () => {
    const segment = await sharedMemorySegment(rgbBitmap(W, H));
    try {
      const handle = { name: segment.name, size: SIZE, offset: 1 };
      const err = await h.client.refusal(
        'DetectAnomalies',
        inline({ bitmap: { width: W, height: H, shared_memory_handle: handle } }),
      );
      expect(err.code).toBe(status.INVALID_ARGUMENT);
      expect(err.details).toContain(`past the end of the ${SIZE}-byte segment`);
    } finally {
      await segment.remove();
    }
  });

  it('INVALID_ARGUMENT for an image the service rejects, with its quarantine code', async () => {
    service.reject(new ImageRejectedError(ImageRejectedCode.TooManyPixels, 'too many pixels'));
    const err = await h.client.refusal('DetectAnomalies', inline());
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(edgeqcCode(err)).toBe('IMAGE_TOO_MANY_PIXELS');
  });

  it('RESOURCE_EXHAUSTED beyond the queue, with the retry delay in grpc-retry-pushback-ms; the queued calls finish', async () => {
    service.hold(2);
    const calls = Array.from({ length: 4 }, () =>
      h.client.call('DetectAnomalies', inline()).then(
        () => 'ok',
        (err: { code: number; metadata: { get(key: string): unknown[] } }) => err,
      ),
    );
    await waitFor('two calls queued and two refused', () => service.waiting() === 2 && service.images.length === 4);
    service.release('ok');
    const outcomes = await Promise.all(calls);
    const refused = outcomes.filter((o) => o !== 'ok');
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(2);
    expect(refused).toHaveLength(2);
    for (const err of refused) {
      expect(err).toMatchObject({ code: status.RESOURCE_EXHAUSTED });
      if (typeof err === 'string') continue;
      expect(err.metadata.get('grpc-retry-pushback-ms')).toEqual(['750']);
      expect(edgeqcCode(err)).toBe('SYNC_QUEUE_FULL');
    }
  });

  it('DEADLINE_EXCEEDED when the service times out (SYNC_TIMEOUT)', async () => {
    service.reject(new SyncInspectionError(SyncCode.Timeout, 'waited 5000 ms'));
    expect((await h.client.refusal('DetectAnomalies', inline())).code).toBe(status.DEADLINE_EXCEEDED);
  });

  it('UNAVAILABLE while the agent shuts down (SYNC_STOPPING)', async () => {
    service.reject(new SyncInspectionError(SyncCode.Stopping, 'agent stopping'));
    expect((await h.client.refusal('DetectAnomalies', inline())).code).toBe(status.UNAVAILABLE);
  });

  it('INTERNAL for anything else, without the internal message', async () => {
    service.reject(new Error('secret detail of a crash'));
    const err = await h.client.refusal('DetectAnomalies', inline());
    expect(err.code).toBe(status.INTERNAL);
    expect(err.details).toContain('INSPECTION_FAILED');
    expect(err.details).not.toContain('secret');
  });
});
