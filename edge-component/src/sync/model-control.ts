/**
 * The model lifecycle as the Lookout for Vision interface sees it (StartModel, StopModel, DescribeModel),
 * over the model manager: stopping retires the one served model for every path (the camera folder
 * pauses too: there is one model), starting loads the bundle folder again through the usual gate
 * (signature, hash, self-test). The states:
 *   RUNNING   a model serves          STOPPED   stopped on request
 *   STARTING  loading (at start, or after StartModel)
 *   STOPPING  StopModel under way      FAILED    no model serves and the last load was refused
 */
import type { Logger } from '../log.ts';
import type { ModelManager } from '../model/model-manager.ts';
import { modelComponentName } from './agent-inspection-service.ts';
import type { ModelControl, ModelRunState } from './inspection-service.ts';

export function createModelControl(manager: ModelManager, log: Logger): ModelControl {
  let transition: 'starting' | 'stopping' | null = null;
  let lastName: string | null = null;

  const name = (): string | null => {
    const serving = manager.status().model?.name;
    if (serving) lastName = serving;
    return lastName;
  };

  return {
    componentName() {
      const n = name();
      return n === null ? null : modelComponentName(n);
    },

    state(): ModelRunState {
      name();
      if (transition === 'stopping') return 'STOPPING';
      if (transition === 'starting') return 'STARTING';
      const s = manager.status();
      if (manager.current() !== null) return 'RUNNING';
      if (s.stopped) return 'STOPPED';
      if (s.state === 'loading') return 'STARTING';
      return s.lastRefusal ? 'FAILED' : 'STARTING';
    },

    start() {
      transition = 'starting';
      void manager
        .resumeServing()
        .then((outcome) => log.info({ outcome: outcome.outcome }, 'model started on request'))
        .catch((err: unknown) => log.error({ err }, 'model start failed'))
        .finally(() => {
          transition = null;
        });
    },

    async stop() {
      transition = 'stopping';
      try {
        await manager.stopServing();
      } finally {
        transition = null;
      }
    },
  };
}
