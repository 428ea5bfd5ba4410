/**
 * ThingGroups over AWS IoT ListThingGroupsForThing, each device's answer kept for a while (default
 * 10 min) so that a metrics message every few seconds per device does not become an IoT call each.
 * The cache holds at most `maxEntries` devices (oldest dropped first).
 */
import { IoTClient, ListThingGroupsForThingCommand } from '@aws-sdk/client-iot';
import type { ThingGroups } from '../ports.ts';
import { awsCall } from './aws-errors.ts';

export interface IotThingGroupsOptions {
  readonly ttlMs?: number;
  readonly maxEntries?: number;
  /** Epoch milliseconds; default Date.now. */
  readonly now?: () => number;
}

export function createIotThingGroups(
  iot: Pick<IoTClient, 'send'> = new IoTClient({}),
  o: IotThingGroupsOptions = {},
): ThingGroups {
  const ttlMs = o.ttlMs ?? 600_000;
  const maxEntries = o.maxEntries ?? 10_000;
  const now = o.now ?? Date.now;
  const cache = new Map<string, { groups: readonly string[]; until: number }>();
  return {
    async groupsOf(thingName) {
      const hit = cache.get(thingName);
      if (hit && hit.until > now()) return hit.groups;
      const groups: string[] = [];
      let nextToken: string | undefined;
      do {
        const out = await awsCall(`IoT ListThingGroupsForThing ${thingName}`, () =>
          iot.send(new ListThingGroupsForThingCommand({ thingName, maxResults: 250, nextToken })),
        );
        for (const g of out.thingGroups ?? []) if (g.groupName) groups.push(g.groupName);
        nextToken = out.nextToken;
      } while (nextToken);
      cache.delete(thingName);
      cache.set(thingName, { groups, until: now() + ttlMs });
      if (cache.size > maxEntries) cache.delete(cache.keys().next().value as string);
      return groups;
    },
  };
}
