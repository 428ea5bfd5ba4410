/**
 * The inspection store's key layout (REVIEW-SPEC.md), shared by the S3 catalog and anything that lists
 * the store by key: `<prefix>/<thing>/<yyyy>/<mm>/<dd>/<verdict>/<messageId>.<ext>`, the image (jpg,
 * jpeg or png) and the `edgeqc.inspection.v1` message (`.json`, written last: its presence means
 * "complete"). Pure.
 */

export type InspectionObjectKind = 'message' | 'image';

export interface InspectionKey {
  readonly key: string;
  readonly thingName: string;
  /** `yyyy/mm/dd` of capturedAt (UTC). */
  readonly day: string;
  readonly verdict: string;
  readonly messageId: string;
  readonly kind: InspectionObjectKind;
  /** The extension without the dot, lower case (`json`, `jpg`, `png`). */
  readonly ext: string;
}

const IMAGE_EXTS = new Set(['jpg', 'jpeg', 'png']);

/** Content types of the image extensions. */
export const IMAGE_CONTENT_TYPES: Readonly<Record<string, string>> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
};

/** The prefix with exactly one trailing slash (`inspections` -> `inspections/`). */
export function normalizePrefix(prefix: string): string {
  const p = prefix.replace(/^\/+|\/+$/g, '');
  return p === '' ? '' : `${p}/`;
}

/** Parses an object key of the layout under `prefix` (normalized); undefined for any other key. */
export function parseInspectionKey(prefix: string, key: string): InspectionKey | undefined {
  if (!key.startsWith(prefix)) return undefined;
  const parts = key.slice(prefix.length).split('/');
  if (parts.length !== 6) return undefined;
  const [thingName, yyyy, mm, dd, verdict, file] = parts as [string, string, string, string, string, string];
  if (!/^\d{4}$/.test(yyyy) || !/^\d{2}$/.test(mm) || !/^\d{2}$/.test(dd)) return undefined;
  const dot = file.lastIndexOf('.');
  if (dot <= 0 || thingName === '' || verdict === '') return undefined;
  const ext = file.slice(dot + 1).toLowerCase();
  const kind: InspectionObjectKind | undefined = ext === 'json' ? 'message' : IMAGE_EXTS.has(ext) ? 'image' : undefined;
  if (kind === undefined) return undefined;
  return { key, thingName, day: `${yyyy}/${mm}/${dd}`, verdict, messageId: file.slice(0, dot), kind, ext };
}

/** The `yyyy/mm/dd` (UTC) of an ISO timestamp. */
export function dayOf(iso: string): string {
  return new Date(iso).toISOString().slice(0, 10).replaceAll('-', '/');
}

/** True when a day (`yyyy/mm/dd`) can hold captures within [from, to) (either bound optional). */
export function dayInRange(day: string, from: string | undefined, to: string | undefined): boolean {
  if (from !== undefined && day < dayOf(from)) return false;
  if (to !== undefined && day > dayOf(to)) return false;
  return true;
}
