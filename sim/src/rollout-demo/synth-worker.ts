/**
 * The pipeline stack synthesized in a worker thread (see synthInWorker): the CDK app's synth is seconds of
 * synchronous work, which the demo does beside packaging the agent instead of before or after it.
 */
import { parentPort } from 'node:worker_threads';
import { stateMachineDefinitionFrom, synthPipelineTemplate } from '@edgeqc/infra/synth';

const template = synthPipelineTemplate();
parentPort?.postMessage({ template, definition: stateMachineDefinitionFrom(template) });
