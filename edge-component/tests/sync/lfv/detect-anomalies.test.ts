import { readFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { COMPONENT, type FakeService, fakeControl, fakeService } from './fakes.ts';
import { type Harness, rgbBitmap, sharedMemorySegment, startHarness } from './lfv-client.ts';

interface Result {
  is_anomalous: boolean;
  confidence: number;
  anomaly_score: number;
  anomaly_threshold: number;
  anomalies: { name: string; pixel_anomaly: { total_percentage_area: number; hex_color: string } }[];
  anomaly_mask: {
    width: number;
    height: number;
    data?: string;
    byte_data?: Buffer;
    shared_memory_handle?: object;
  } | null;
}
const resultOf = (res: { detect_anomaly_result: Result }) => res.detect_anomaly_result;

const W = 128;
const H = 96;
const pixels = rgbBitmap(W, H);
const inline = (extra: object = {}) => ({
  model_component: COMPONENT,
  bitmap: { width: W, height: H, byte_data: pixels },
  ...extra,
});

let service: FakeService;
let h: Harness;
beforeEach(async () => {
  service = fakeService();
  h = await startHarness({ service, control: fakeControl('RUNNING') });
});
afterEach(() => h.close());

describe('DetectAnomalies over the Unix socket (grpc-js client generated from the proto)', () => {
  it('answers a defect: anomalous, best score and defect threshold, per-class areas and colours', async () => {
    service.answer('defect');
    const r = resultOf(await h.client.call('DetectAnomalies', inline()));
    expect(r.is_anomalous).toBe(true);
    expect(r.anomaly_score).toBeCloseTo(0.8, 6);
    expect(r.confidence).toBeCloseTo(0.8, 6);
    expect(r.anomaly_threshold).toBeCloseTo(0.5, 6);
    expect(r.anomalies.map((a) => a.name)).toEqual(['background', 'scratch', 'dent']);
    expect(r.anomalies.map((a) => a.pixel_anomaly.hex_color)).toEqual(['#000000', '#7ED321', '#D0021B']);
    expect(r.anomalies[1]?.pixel_anomaly.total_percentage_area).toBeCloseTo(1400 / (W * H), 6);
    expect(r.anomaly_mask).toBeNull();
  });

  it('answers unclear as not anomalous, with its score below the threshold', async () => {
    service.answer('unclear');
    const r = resultOf(await h.client.call('DetectAnomalies', inline()));
    expect(r).toMatchObject({ is_anomalous: false });
    expect(r.anomaly_score).toBeCloseTo(0.3, 6);
    expect(r.confidence).toBeCloseTo(0.7, 6);
    expect(r.anomalies.map((a) => a.name)).toEqual(['background', 'dent']);
  });

  it('answers ok as not anomalous with confidence 1 and only the background', async () => {
    service.answer('ok');
    const r = resultOf(await h.client.call('DetectAnomalies', inline()));
    expect(r).toMatchObject({ is_anomalous: false, confidence: 1, anomaly_score: 0 });
    expect(r.anomalies).toEqual([
      { name: 'background', pixel_anomaly: { total_percentage_area: 1, hex_color: '#000000' } },
    ]);
  });

  it('hands the inline bitmap to the inspection service as RGB pixels, byte for byte', async () => {
    await h.client.call('DetectAnomalies', inline());
    expect(service.images).toHaveLength(1);
    const [image] = service.images;
    expect(image).toMatchObject({ kind: 'rgb', width: W, height: H });
    expect(Buffer.from(image?.kind === 'rgb' ? image.pixels : [])).toEqual(pixels);
  });

  it('reads the bitmap from POSIX shared memory at an offset, named with or without the leading slash', async () => {
    const segment = await sharedMemorySegment(pixels, 4096, 100);
    try {
      for (const name of [segment.name, `/${segment.name}`]) {
        const handle = { name, size: pixels.length, offset: 4096 };
        await h.client.call('DetectAnomalies', {
          model_component: COMPONENT,
          bitmap: { width: W, height: H, shared_memory_handle: handle },
        });
      }
      expect(service.images).toHaveLength(2);
      for (const image of service.images) expect(Buffer.from(image.kind === 'rgb' ? image.pixels : [])).toEqual(pixels);
    } finally {
      await segment.remove();
    }
  });

  it('returns the anomaly mask inline only when the request has anomaly_mask_params', async () => {
    service.answer('defect');
    const r = resultOf(await h.client.call('DetectAnomalies', inline({ anomaly_mask_params: {} })));
    expect(r.anomaly_mask).toMatchObject({ width: W, height: H, data: 'byte_data' });
    const mask = r.anomaly_mask?.byte_data as Buffer;
    expect(mask.length).toBe(W * H * 3);
    expect([...mask.subarray(0, 3)]).toEqual([0x7e, 0xd3, 0x21]);
    expect([...mask.subarray((95 * W + 127) * 3, (95 * W + 127) * 3 + 3)]).toEqual([0, 0, 0]);
  });

  it("writes the mask into the client's shared memory segment and returns that handle", async () => {
    service.answer('defect');
    const segment = await sharedMemorySegment(Buffer.alloc(W * H * 3, 0xff), 64);
    try {
      const handle = { name: segment.name, size: W * H * 3, offset: 64 };
      const r = resultOf(
        await h.client.call('DetectAnomalies', inline({ anomaly_mask_params: { shared_memory_handle: handle } })),
      );
      expect(r.anomaly_mask).toMatchObject({
        width: W,
        height: H,
        data: 'shared_memory_handle',
        shared_memory_handle: handle,
      });
      const written = (await readFile(segment.path)).subarray(64);
      expect([...written.subarray(0, 3)]).toEqual([0x7e, 0xd3, 0x21]);
      expect([...written.subarray((105 + 55 * W) * 3, (105 + 55 * W) * 3 + 3)]).toEqual([0xd0, 0x02, 0x1b]);
      expect([...written.subarray(written.length - 3)]).toEqual([0, 0, 0]);
    } finally {
      await segment.remove();
    }
  });

  it("takes a 4096 x 4096 image inline (48 MiB, past gRPC's 4 MiB default limit)", async () => {
    const big = Buffer.alloc(4096 * 4096 * 3, 0x80);
    const r = resultOf(
      await h.client.call('DetectAnomalies', {
        model_component: COMPONENT,
        bitmap: { width: 4096, height: 4096, byte_data: big },
      }),
    );
    expect(r.is_anomalous).toBe(false);
    expect(service.images[0]).toMatchObject({ width: 4096, height: 4096 });
  });
});
