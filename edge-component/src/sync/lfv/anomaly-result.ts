/**
 * Our inspection as a Lookout for Vision DetectAnomalyResult (without the mask: anomaly-mask.ts).
 * The mapping, written down in docs/migration-lookout-for-vision.md:
 * - anomaly_score: the best detection score (0 without detections); anomaly_threshold: the defect
 *   threshold in force. is_anomalous: the verdict is `defect`, which is exactly score >= threshold, the
 *   rule the newer agent documents; `unclear` (a score in the review band) is not anomalous.
 * - confidence: the confidence of that prediction: the score when anomalous, 1 - score otherwise.
 * - anomalies: the background first (the share of the image no box covers, "#000000"), then one entry
 *   per class with at least one detection, in class order: its label, the share of the image the union
 *   of its boxes covers (a fraction 0..1, like the cloud API), its palette colour.
 */
import type { Inspection } from '../../contracts/inspection.ts';
import { BACKGROUND, classHexColour } from './class-colours.ts';
import type { Anomaly, DetectAnomalyResult } from './edge-agent-messages.ts';
import { type PixelRect, pixelRect, unionPixelCount } from './pixel-rects.ts';

export type InspectionForResult = Pick<Inspection, 'verdict' | 'image' | 'detections' | 'thresholds'>;

export function toDetectAnomalyResult(inspection: InspectionForResult): DetectAnomalyResult {
  const score = inspection.detections.reduce((best, d) => Math.max(best, d.confidence), 0);
  const isAnomalous = inspection.verdict === 'defect';
  return {
    is_anomalous: isAnomalous,
    confidence: isAnomalous ? score : 1 - score,
    anomaly_score: score,
    anomaly_threshold: inspection.thresholds.defect,
    anomalies: anomaliesOf(inspection),
  };
}

function anomaliesOf({ image, detections }: InspectionForResult): Anomaly[] {
  const imagePixels = image.width * image.height;
  const byClass = new Map<number, { label: string; rects: PixelRect[] }>();
  for (const d of detections) {
    const entry = byClass.get(d.classId) ?? { label: d.label, rects: [] };
    entry.rects.push(pixelRect(d.box, image.width, image.height));
    byClass.set(d.classId, entry);
  }
  const covered = unionPixelCount([...byClass.values()].flatMap((c) => c.rects));
  const background: Anomaly = {
    name: BACKGROUND.name,
    pixel_anomaly: { total_percentage_area: (imagePixels - covered) / imagePixels, hex_color: BACKGROUND.hexColor },
  };
  const classes = [...byClass.entries()]
    .sort(([a], [b]) => a - b)
    .map(([classId, { label, rects }]) => ({
      name: label,
      pixel_anomaly: {
        total_percentage_area: unionPixelCount(rects) / imagePixels,
        hex_color: classHexColour(classId),
      },
    }));
  return [background, ...classes];
}
