/**
 * Letterbox geometry as Ultralytics computes it (and as the demo model was trained, see
 * scripts/demo_model/letterbox.py): scale r = min(inW / w, inH / h); resized size round(w * r) x
 * round(h * r) with Python's round (half to even); the image is centred and the left/top padding is
 * round(d - 0.1) of the half-gap d, so an odd gap puts the extra pixel on the right/bottom.
 */
import type { LetterboxGeometry } from './types.ts';

/** Python's round(): to the nearest integer, exact halves to the even neighbour. */
export function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const diff = value - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor + 0; // + 0 turns -0 into 0
  return floor % 2 === 0 ? floor + 0 : floor + 1;
}

function checkSize(name: string, value: number): void {
  if (!Number.isInteger(value) || value <= 0) {
    throw new RangeError(`letterbox ${name} must be a positive integer, got ${value}`);
  }
}

/** Where an image of `sourceWidth` x `sourceHeight` pixels goes inside an `inputWidth` x `inputHeight` input. */
export function letterboxGeometry(
  sourceWidth: number,
  sourceHeight: number,
  inputWidth: number,
  inputHeight: number,
): LetterboxGeometry {
  checkSize('sourceWidth', sourceWidth);
  checkSize('sourceHeight', sourceHeight);
  checkSize('inputWidth', inputWidth);
  checkSize('inputHeight', inputHeight);
  const scale = Math.min(inputWidth / sourceWidth, inputHeight / sourceHeight);
  const resizedWidth = Math.min(inputWidth, Math.max(1, roundHalfEven(sourceWidth * scale)));
  const resizedHeight = Math.min(inputHeight, Math.max(1, roundHalfEven(sourceHeight * scale)));
  return {
    sourceWidth,
    sourceHeight,
    inputWidth,
    inputHeight,
    scale,
    resizedWidth,
    resizedHeight,
    padLeft: roundHalfEven((inputWidth - resizedWidth) / 2 - 0.1),
    padTop: roundHalfEven((inputHeight - resizedHeight) / 2 - 0.1),
  };
}

/** Maps an x in input pixels back to source pixels (not clamped). */
export function toSourceX(g: LetterboxGeometry, x: number): number {
  return (x - g.padLeft) / g.scale;
}

/** Maps a y in input pixels back to source pixels (not clamped). */
export function toSourceY(g: LetterboxGeometry, y: number): number {
  return (y - g.padTop) / g.scale;
}
