/**
 * What a rollout did to the fleet, from the fleet itself (installed component versions, per-device
 * deployment status) and from what the devices published (inspections per model version, images
 * inspected twice). Pure over the observer's and the fleet's data.
 */
import type { Inspection } from '@edgeqc/edge-component/contracts';

export const MODEL_COMPONENT_PREFIX = 'com.edgeqc.Model.';

export interface DeviceSummary {
  readonly thingName: string;
  readonly thingGroups: readonly string[];
  /** Installed model component version (undefined when none). */
  readonly modelVersion: string | undefined;
  /** Model version the agent reports serving (retained status). */
  readonly servingVersion: string | undefined;
  readonly inspections: number;
  readonly byModelVersion: Readonly<Record<string, number>>;
  /** Image sha256s inspected more than once (must be empty). */
  readonly inspectedTwice: readonly string[];
  /** Distinct messageIds (one per inspection when nothing was published twice). */
  readonly distinctMessageIds: number;
  readonly lastDeployment: { readonly name: string; readonly status: string; readonly reason?: string } | undefined;
}

export function summarizeInspections(
  inspections: readonly Inspection[],
): Pick<DeviceSummary, 'inspections' | 'byModelVersion' | 'inspectedTwice' | 'distinctMessageIds'> {
  const byModelVersion: Record<string, number> = {};
  const seen = new Map<string, number>();
  for (const i of inspections) {
    byModelVersion[i.model.version] = (byModelVersion[i.model.version] ?? 0) + 1;
    seen.set(i.image.sha256, (seen.get(i.image.sha256) ?? 0) + 1);
  }
  return {
    inspections: inspections.length,
    byModelVersion,
    inspectedTwice: [...seen].filter(([, n]) => n > 1).map(([sha]) => sha),
    distinctMessageIds: new Set(inspections.map((i) => i.messageId)).size,
  };
}

export function formatDeviceLine(d: DeviceSummary): string {
  const versions = Object.entries(d.byModelVersion)
    .map(([v, n]) => `${n}x v${v}`)
    .join(', ');
  return (
    `${d.thingName.padEnd(10)} [${d.thingGroups.join(',')}]`.padEnd(22) +
    ` model ${d.modelVersion ?? '-'} (serving ${d.servingVersion ?? '-'}), ${d.inspections} inspections${versions ? ` (${versions})` : ''}, ` +
    `${d.inspectedTwice.length} inspected twice`
  );
}
