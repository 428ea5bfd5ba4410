/** LifecycleReporter over Greengrass IPC UpdateState (RUNNING or ERRORED). */
import { greengrasscoreipc } from 'aws-iot-device-sdk-v2';
import type { LifecycleReporter } from '../../ports.ts';
import type { GreengrassIpcSession } from './ipc-session.ts';

const { ReportedLifecycleState } = greengrasscoreipc.model;

export function createIpcLifecycleReporter(session: GreengrassIpcSession): LifecycleReporter {
  return {
    async report(state) {
      const client = await session.client();
      await client.updateState({
        state: state === 'RUNNING' ? ReportedLifecycleState.RUNNING : ReportedLifecycleState.ERRORED,
      });
    },
  };
}
