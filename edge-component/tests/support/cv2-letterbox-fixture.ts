/**
 * Random images letterboxed by the training code (cv2.resize INTER_LINEAR), made by
 * scripts/demo_model/letterbox_fixture.py: the reference both the letterbox port and the preparer are
 * checked against.
 */
import { readFileSync } from 'node:fs';

export interface Cv2Case {
  width: number;
  height: number;
  size: number;
  resized: [number, number];
  pad: [number, number];
  /** The source image, RGB888, base64. */
  pixels: string;
  /** The letterboxed canvas, RGB888, base64. */
  canvas: string;
}

export const cv2Cases: readonly Cv2Case[] = (
  JSON.parse(readFileSync(new URL('../core/cv2-letterbox.fixture.json', import.meta.url), 'utf8')) as {
    cases: Cv2Case[];
  }
).cases;
