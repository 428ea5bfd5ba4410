/**
 * The colour of each class in the anomaly mask and in `pixel_anomaly.hex_color`: a fixed palette by
 * class index (classId modulo its length, so a model with more classes than colours repeats them),
 * upper-case "#RRGGBB" as the Lookout for Vision cloud API writes it ("#7ED321"). None is black: black
 * is the background.
 */
export const CLASS_COLOURS = [
  '#7ED321',
  '#D0021B',
  '#4A90E2',
  '#F5A623',
  '#BD10E0',
  '#50E3C2',
  '#F8E71C',
  '#8B572A',
  '#9013FE',
  '#417505',
  '#B8E986',
  '#FF6F91',
] as const;

/** The background's name and colour in `anomalies` (listed first) and in the mask. */
export const BACKGROUND = { name: 'background', hexColor: '#000000' } as const;

export function classHexColour(classId: number): string {
  return CLASS_COLOURS[classId % CLASS_COLOURS.length] as string;
}

/** "#RRGGBB" as its three bytes. */
export function rgbOfHex(hex: string): readonly [number, number, number] {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}
