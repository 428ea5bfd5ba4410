import { describe, expect, it } from 'vitest';
import { toDetectAnomalyResult } from '../../../src/sync/lfv/anomaly-result.ts';
import { CLASS_COLOURS, classHexColour } from '../../../src/sync/lfv/class-colours.ts';
import { inspectionOf } from './fakes.ts';

const image = { kind: 'rgb', width: 128, height: 96, pixels: new Uint8Array(128 * 96 * 3) } as const;
const PIXELS = 128 * 96;

describe('the Lookout for Vision result of an inspection', () => {
  it('maps a defect: anomalous, confident by its best score, areas of the unioned boxes per class', () => {
    const result = toDetectAnomalyResult(inspectionOf(image, 'defect'));
    expect(result).toMatchObject({ is_anomalous: true, anomaly_score: 0.8, anomaly_threshold: 0.5 });
    expect(result.confidence).toBeCloseTo(0.8);
    // Two 800-pixel scratches sharing 200 pixels cover 1400; the dent 100.
    expect(result.anomalies).toEqual([
      { name: 'background', pixel_anomaly: { total_percentage_area: (PIXELS - 1500) / PIXELS, hex_color: '#000000' } },
      { name: 'scratch', pixel_anomaly: { total_percentage_area: 1400 / PIXELS, hex_color: '#7ED321' } },
      { name: 'dent', pixel_anomaly: { total_percentage_area: 100 / PIXELS, hex_color: '#D0021B' } },
    ]);
  });

  it('maps unclear (a score in the review band, below the defect threshold) to not anomalous', () => {
    const result = toDetectAnomalyResult(inspectionOf(image, 'unclear'));
    expect(result).toMatchObject({ is_anomalous: false, anomaly_score: 0.3, anomaly_threshold: 0.5 });
    expect(result.confidence).toBeCloseTo(0.7);
    expect(result.anomalies.map((a) => [a.name, a.pixel_anomaly.total_percentage_area])).toEqual([
      ['background', (PIXELS - 400) / PIXELS],
      ['dent', 400 / PIXELS],
    ]);
  });

  it('maps ok to not anomalous with confidence 1, score 0 and only the background', () => {
    expect(toDetectAnomalyResult(inspectionOf(image, 'ok'))).toEqual({
      is_anomalous: false,
      confidence: 1,
      anomaly_score: 0,
      anomaly_threshold: 0.5,
      anomalies: [{ name: 'background', pixel_anomaly: { total_percentage_area: 1, hex_color: '#000000' } }],
    });
  });

  it('is anomalous exactly when the score reaches the threshold, as the newer agent documents', () => {
    for (const verdict of ['ok', 'unclear', 'defect'] as const) {
      const r = toDetectAnomalyResult(inspectionOf(image, verdict));
      expect(r.is_anomalous).toBe(r.anomaly_score >= r.anomaly_threshold);
    }
  });

  it('gives each class index a fixed "#RRGGBB" colour, never black, repeating after the palette', () => {
    for (const colour of CLASS_COLOURS) expect(colour).toMatch(/^#[0-9A-F]{6}$/);
    expect(CLASS_COLOURS).not.toContain('#000000');
    expect(new Set(CLASS_COLOURS).size).toBe(CLASS_COLOURS.length);
    expect(classHexColour(CLASS_COLOURS.length + 1)).toBe(classHexColour(1));
  });
});
