import { ListThingGroupsForThingCommand } from '@aws-sdk/client-iot';
import { describe, expect, it } from 'vitest';
import { createIotDeploymentJobs } from '../../src/adapters/iot-deployment-jobs.ts';
import { createIotThingGroups } from '../../src/adapters/iot-thing-groups.ts';

describe('thing groups of a device (the metrics ingest)', () => {
  it('asks IoT once per device per TTL, following pages, and again when the answer is old', async () => {
    const calls: { thingName?: string; nextToken?: string }[] = [];
    const iot = {
      send: async (command: unknown) => {
        if (!(command instanceof ListThingGroupsForThingCommand)) throw new Error('unexpected command');
        calls.push(command.input);
        return command.input.nextToken
          ? { thingGroups: [{ groupName: 'fleet' }] }
          : { thingGroups: [{ groupName: 'edgeqc-devices' }], nextToken: 'page-2' };
      },
    };
    let now = 0;
    const groups = createIotThingGroups(iot as never, { ttlMs: 1000, now: () => now });
    expect(await groups.groupsOf('line-1')).toEqual(['edgeqc-devices', 'fleet']);
    now = 999;
    expect(await groups.groupsOf('line-1')).toEqual(['edgeqc-devices', 'fleet']);
    expect(calls).toHaveLength(2);
    now = 1001;
    await groups.groupsOf('line-1');
    expect(calls).toHaveLength(4);
  });

  it('keeps at most maxEntries devices, dropping the oldest', async () => {
    let count = 0;
    const iot = { send: async () => ({ thingGroups: [{ groupName: `g-${++count}` }] }) };
    const groups = createIotThingGroups(iot as never, { maxEntries: 2, now: () => 0 });
    await groups.groupsOf('a');
    await groups.groupsOf('b');
    await groups.groupsOf('c');
    expect(await groups.groupsOf('b')).toEqual(['g-2']);
    expect(await groups.groupsOf('a')).toEqual(['g-4']);
  });
});

describe("a deployment's IoT job as counts", () => {
  it('maps DescribeJob jobProcessDetails, missing counts as 0', async () => {
    const iot = {
      send: async () => ({
        job: { status: 'IN_PROGRESS', jobProcessDetails: { numberOfSucceededThings: 7, numberOfTimedOutThings: 1 } },
      }),
    };
    expect(await createIotDeploymentJobs(iot as never).jobProgress('job-1')).toEqual({
      status: 'IN_PROGRESS',
      counts: { succeeded: 7, failed: 0, timedOut: 1, rejected: 0, canceled: 0, removed: 0, queued: 0, inProgress: 0 },
    });
  });
});
