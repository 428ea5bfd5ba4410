/**
 * The Lookout for Vision edge agent's interface (edge-component/proto/edge-agent.proto, package
 * AWS.LookoutVision) as a protobufjs JSON descriptor, with the proto's field names (keepCase). It lives
 * in code because the agent ships as one esbuild bundle, where no .proto file sits beside main.js;
 * generated from the proto with protobufjs (`parse(source, { keepCase: true }).root.toJSON()`), and
 * edge-agent-descriptor.test.ts fails when the two disagree.
 * Methods carry an empty `comment` because protobufjs's IMethod type requires one.
 */
import type { fromJSON } from '@grpc/proto-loader';

/** protobufjs's INamespace, which proto-loader's fromJSON takes. */
type JsonDescriptor = Parameters<typeof fromJSON>[0];

export const EDGE_AGENT_PACKAGE = 'AWS.LookoutVision';
export const EDGE_AGENT_SERVICE = `${EDGE_AGENT_PACKAGE}.EdgeAgent`;

export const EDGE_AGENT_DESCRIPTOR: JsonDescriptor = {
  nested: {
    AWS: {
      nested: {
        LookoutVision: {
          options: { java_package: 'com.amazonaws.lookoutvision' },
          nested: {
            EdgeAgent: {
              methods: {
                DetectAnomalies: {
                  requestType: 'DetectAnomaliesRequest',
                  responseType: 'DetectAnomaliesResponse',
                  comment: '',
                },
                StartModel: { requestType: 'StartModelRequest', responseType: 'StartModelResponse', comment: '' },
                StopModel: { requestType: 'StopModelRequest', responseType: 'StopModelResponse', comment: '' },
                ListModels: { requestType: 'ListModelsRequest', responseType: 'ListModelsResponse', comment: '' },
                DescribeModel: {
                  requestType: 'DescribeModelRequest',
                  responseType: 'DescribeModelResponse',
                  comment: '',
                },
              },
            },
            ModelStatus: { values: { STOPPED: 0, STARTING: 1, RUNNING: 2, FAILED: 3, STOPPING: 4 } },
            SharedMemoryHandle: {
              fields: {
                name: { type: 'string', id: 1 },
                size: { type: 'uint64', id: 2 },
                offset: { type: 'uint64', id: 3 },
              },
            },
            Bitmap: {
              oneofs: { data: { oneof: ['byte_data', 'shared_memory_handle'] } },
              fields: {
                width: { type: 'int32', id: 1 },
                height: { type: 'int32', id: 2 },
                byte_data: { type: 'bytes', id: 3 },
                shared_memory_handle: { type: 'SharedMemoryHandle', id: 4 },
              },
            },
            AnomalyMaskParams: { fields: { shared_memory_handle: { type: 'SharedMemoryHandle', id: 2 } } },
            PixelAnomaly: {
              fields: { total_percentage_area: { type: 'float', id: 1 }, hex_color: { type: 'string', id: 2 } },
            },
            Anomaly: { fields: { name: { type: 'string', id: 1 }, pixel_anomaly: { type: 'PixelAnomaly', id: 2 } } },
            DetectAnomaliesRequest: {
              fields: {
                model_component: { type: 'string', id: 1 },
                bitmap: { type: 'Bitmap', id: 2 },
                anomaly_mask_params: { type: 'AnomalyMaskParams', id: 3 },
              },
            },
            DetectAnomalyResult: {
              fields: {
                is_anomalous: { type: 'bool', id: 1 },
                confidence: { type: 'float', id: 2 },
                anomaly_mask: { type: 'Bitmap', id: 3 },
                anomalies: { rule: 'repeated', type: 'Anomaly', id: 4 },
                anomaly_score: { type: 'float', id: 5 },
                anomaly_threshold: { type: 'float', id: 6 },
              },
            },
            DetectAnomaliesResponse: { fields: { detect_anomaly_result: { type: 'DetectAnomalyResult', id: 1 } } },
            ModelDescription: {
              fields: {
                model_component: { type: 'string', id: 1 },
                lookout_vision_model_arn: { type: 'string', id: 2 },
                status: { type: 'ModelStatus', id: 3 },
                status_message: { type: 'string', id: 4 },
              },
            },
            ModelMetadata: {
              fields: {
                model_component: { type: 'string', id: 1 },
                lookout_vision_model_arn: { type: 'string', id: 2 },
                status: { type: 'ModelStatus', id: 3 },
                status_message: { type: 'string', id: 4 },
              },
            },
            StartModelRequest: { fields: { model_component: { type: 'string', id: 1 } } },
            StartModelResponse: { fields: { status: { type: 'ModelStatus', id: 1 } } },
            StopModelRequest: { fields: { model_component: { type: 'string', id: 1 } } },
            StopModelResponse: { fields: { status: { type: 'ModelStatus', id: 1 } } },
            ListModelsRequest: { fields: {} },
            ListModelsResponse: { fields: { models: { rule: 'repeated', type: 'ModelMetadata', id: 1 } } },
            DescribeModelRequest: { fields: { model_component: { type: 'string', id: 1 } } },
            DescribeModelResponse: { fields: { model_description: { type: 'ModelDescription', id: 1 } } },
          },
        },
      },
    },
  },
};
