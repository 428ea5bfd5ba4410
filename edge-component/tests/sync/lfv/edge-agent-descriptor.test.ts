import { loadSync } from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import { EDGE_AGENT_SERVICE } from '../../../src/sync/lfv/edge-agent-descriptor.ts';
import { edgeAgentServiceDefinition } from '../../../src/sync/lfv/edge-agent-service.ts';
import { DECODE, PROTO_FILE } from './lfv-client.ts';

/** Each method's path and its request and response types as descriptor protos (names, numbers, types). */
function shape(service: object) {
  return Object.entries(service).map(([name, m]) => ({
    name,
    path: m.path,
    streams: [m.requestStream, m.responseStream],
    request: m.requestType.type,
    response: m.responseType.type,
  }));
}

describe('the embedded edge agent descriptor', () => {
  it('defines the same service, methods and messages as edge-component/proto/edge-agent.proto', () => {
    const fromProto = loadSync(PROTO_FILE, DECODE)[EDGE_AGENT_SERVICE];
    expect(fromProto).toBeDefined();
    expect(shape(edgeAgentServiceDefinition())).toEqual(shape(fromProto as object));
    expect(Object.values(edgeAgentServiceDefinition()).map((m) => m.path)).toEqual([
      '/AWS.LookoutVision.EdgeAgent/DetectAnomalies',
      '/AWS.LookoutVision.EdgeAgent/StartModel',
      '/AWS.LookoutVision.EdgeAgent/StopModel',
      '/AWS.LookoutVision.EdgeAgent/ListModels',
      '/AWS.LookoutVision.EdgeAgent/DescribeModel',
    ]);
  });
});
