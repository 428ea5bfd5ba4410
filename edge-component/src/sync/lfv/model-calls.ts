/**
 * StartModel, StopModel, ListModels and DescribeModel over ModelControl. There is one model: the
 * component this agent serves; any other model_component is NOT_FOUND. StartModel returns at once with
 * STARTING (clients poll DescribeModel until RUNNING); StopModel returns at once with STOPPING (then
 * STOPPED). `lookout_vision_model_arn` is always empty; `status_message` says what serves.
 */
import type { Logger } from 'pino';
import { LfvCode, LfvError } from '../../errors.ts';
import type { InspectionService, ModelControl, ModelRunState } from '../inspection-service.ts';
import type {
  DescribeModelResponse,
  ListModelsResponse,
  ModelDescription,
  ModelRequest,
  StatusResponse,
} from './edge-agent-messages.ts';

export interface ModelCallDeps {
  readonly service: InspectionService;
  readonly control: ModelControl;
  readonly log: Logger;
}

/** The component name, or LfvError UnknownModel when `requested` is not it. */
export function requireOurModel(control: ModelControl, requested: string): string {
  const ours = control.componentName();
  if (ours === null || requested !== ours) {
    const served = ours === null ? 'no model component yet' : `only ${JSON.stringify(ours)}`;
    throw new LfvError(LfvCode.UnknownModel, `model_component ${JSON.stringify(requested)} is not served: ${served}`);
  }
  return ours;
}

function statusMessage(state: ModelRunState, service: InspectionService): string {
  const served = service.served();
  const what = served ? `${served.model.name} ${served.model.version} (${served.model.precision})` : 'the model';
  switch (state) {
    case 'RUNNING':
      return served ? `serving ${what}, sha256 ${served.model.sha256}` : 'running';
    case 'STARTING':
      return `loading ${what}`;
    case 'STOPPING':
      return `unloading ${what}`;
    case 'STOPPED':
      return 'stopped: StartModel loads it';
    case 'FAILED':
      return "the model failed to load (the agent's log has why): StartModel tries again";
  }
}

function describe(deps: ModelCallDeps, component: string): ModelDescription {
  const state = deps.control.state();
  const message = statusMessage(state, deps.service);
  return { model_component: component, lookout_vision_model_arn: '', status: state, status_message: message };
}

export function modelCalls(deps: ModelCallDeps) {
  const { control } = deps;
  return {
    async DescribeModel(req: ModelRequest): Promise<DescribeModelResponse> {
      return { model_description: describe(deps, requireOurModel(control, req.model_component)) };
    },
    async ListModels(): Promise<ListModelsResponse> {
      const component = control.componentName();
      return { models: component === null ? [] : [describe(deps, component)] };
    },
    async StartModel(req: ModelRequest): Promise<StatusResponse> {
      const component = requireOurModel(control, req.model_component);
      const state = control.state();
      if (state !== 'STOPPED' && state !== 'FAILED') {
        throw new LfvError(LfvCode.ModelState, `${component} is ${state}: StartModel needs STOPPED or FAILED`);
      }
      control.start();
      deps.log.info({ component }, 'StartModel: loading the model');
      return { status: control.state() };
    },
    async StopModel(req: ModelRequest): Promise<StatusResponse> {
      const component = requireOurModel(control, req.model_component);
      const state = control.state();
      if (state !== 'RUNNING') {
        throw new LfvError(LfvCode.ModelState, `${component} is ${state}: StopModel needs RUNNING`);
      }
      const stopped = control.stop();
      deps.log.info({ component }, 'StopModel: unloading the model');
      stopped.catch((err: unknown) => deps.log.error({ component, err }, 'StopModel: unloading failed'));
      return { status: control.state() };
    },
  };
}
