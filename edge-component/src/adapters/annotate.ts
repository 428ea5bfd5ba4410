/**
 * Draws an inspection's boxes on its image (sharp + an SVG overlay): a copy for people to look at,
 * never an input to anything. The image is EXIF-oriented first, as the boxes are in oriented pixels;
 * the copy has the same size and format (JPEG or PNG) as the oriented original.
 */
import sharp from 'sharp';
import type { Inspection } from '../contracts/inspection.ts';

const COLOURS: Record<Inspection['verdict'], string> = { ok: '#2ecc40', unclear: '#ffb000', defect: '#ff2d2d' };

const escapeXml = (s: string) =>
  s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c);

/** The SVG overlay for an image of `width` x `height` oriented pixels. */
export function overlaySvg(inspection: Inspection, width: number, height: number): string {
  const stroke = Math.max(2, Math.round(Math.min(width, height) / 300));
  const fontPx = Math.max(12, stroke * 6);
  const shapes = inspection.detections.map((d) => {
    const colour = d.confidence >= inspection.thresholds.defect ? COLOURS.defect : COLOURS.unclear;
    const { x, y, width: w, height: h } = d.box;
    const label = escapeXml(`${d.label} ${(d.confidence * 100).toFixed(0)}%`);
    const textY = y >= fontPx + stroke ? y - stroke : y + h + fontPx;
    return (
      `<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="none" stroke="${colour}" stroke-width="${stroke}"/>` +
      `<text x="${x}" y="${textY}" font-family="sans-serif" font-size="${fontPx}" fill="${colour}" stroke="#000" stroke-width="${stroke / 2}" paint-order="stroke">${label}</text>`
    );
  });
  const banner = escapeXml(inspection.verdict.toUpperCase());
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<rect x="0" y="0" width="${width}" height="${stroke * 2}" fill="${COLOURS[inspection.verdict]}"/>` +
    `<text x="${stroke * 2}" y="${stroke * 3 + fontPx}" font-family="sans-serif" font-size="${fontPx}" fill="${COLOURS[inspection.verdict]}" stroke="#000" stroke-width="${stroke / 2}" paint-order="stroke">${banner}</text>` +
    `${shapes.join('')}</svg>`
  );
}

/** The annotated copy of `bytes` (a JPEG or PNG) as bytes of the same format. */
export async function annotateImage(
  bytes: Uint8Array,
  format: 'jpeg' | 'png',
  inspection: Inspection,
): Promise<Buffer> {
  const meta = await sharp(bytes).metadata();
  const swapped = (meta.orientation ?? 1) >= 5;
  const width = swapped ? meta.height : meta.width;
  const height = swapped ? meta.width : meta.height;
  if (!width || !height) throw new Error('image without a size');
  // rotate() (EXIF auto-orientation) runs before the composite in sharp's pipeline.
  const drawn = sharp(bytes)
    .rotate()
    .composite([{ input: Buffer.from(overlaySvg(inspection, width, height)), top: 0, left: 0 }]);
  return format === 'png' ? drawn.png().toBuffer() : drawn.jpeg({ quality: 85 }).toBuffer();
}
