/**
 * The grpc-js service definition of `AWS.LookoutVision.EdgeAgent`, built from the embedded descriptor
 * with the loader options the message types in edge-agent-messages.ts describe.
 */
import type { ServiceDefinition } from '@grpc/grpc-js';
import { fromJSON, type Options } from '@grpc/proto-loader';
import { EDGE_AGENT_DESCRIPTOR, EDGE_AGENT_SERVICE } from './edge-agent-descriptor.ts';

export const LOADER_OPTIONS: Options = { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true };

/** The five unary methods, by their proto names. */
export const EDGE_AGENT_METHODS = [
  'DetectAnomalies',
  'StartModel',
  'StopModel',
  'ListModels',
  'DescribeModel',
] as const;
export type EdgeAgentMethod = (typeof EDGE_AGENT_METHODS)[number];

export function edgeAgentServiceDefinition(): ServiceDefinition {
  const definition = fromJSON(EDGE_AGENT_DESCRIPTOR, LOADER_OPTIONS)[EDGE_AGENT_SERVICE];
  if (definition === undefined || !('DetectAnomalies' in definition)) {
    throw new Error(`the embedded descriptor has no service ${EDGE_AGENT_SERVICE}`);
  }
  return definition as ServiceDefinition;
}
