/**
 * The Lookout for Vision edge agent's messages as the server sees them: decoded with LOADER_OPTIONS
 * (proto field names, uint64 as number, enums as names, defaults filled, absent messages null, the
 * `data` oneof named), and the responses it writes. Field meanings: edge-component/proto/edge-agent.proto.
 */
import type { ModelRunState } from '../inspection-service.ts';

/** ModelStatus by name: the same five names as our ModelRunState. */
export type ModelStatus = ModelRunState;

export interface SharedMemoryHandle {
  readonly name: string;
  readonly size: number;
  readonly offset: number;
}

export interface BitmapIn {
  readonly width: number;
  readonly height: number;
  /** Which member of the `data` oneof is set; undefined when neither is. */
  readonly data?: 'byte_data' | 'shared_memory_handle';
  readonly byte_data?: Uint8Array;
  readonly shared_memory_handle?: SharedMemoryHandle | null;
}

export interface DetectAnomaliesRequest {
  readonly model_component: string;
  readonly bitmap: BitmapIn | null;
  /** Present (even empty) when the client asks for the anomaly mask. */
  readonly anomaly_mask_params: { readonly shared_memory_handle: SharedMemoryHandle | null } | null;
}

export interface BitmapOut {
  readonly width: number;
  readonly height: number;
  readonly byte_data?: Uint8Array;
  readonly shared_memory_handle?: SharedMemoryHandle;
}

export interface Anomaly {
  readonly name: string;
  readonly pixel_anomaly: { readonly total_percentage_area: number; readonly hex_color: string };
}

export interface DetectAnomalyResult {
  readonly is_anomalous: boolean;
  readonly confidence: number;
  readonly anomaly_mask?: BitmapOut;
  readonly anomalies: readonly Anomaly[];
  readonly anomaly_score: number;
  readonly anomaly_threshold: number;
}

export interface DetectAnomaliesResponse {
  readonly detect_anomaly_result: DetectAnomalyResult;
}

export interface ModelRequest {
  readonly model_component: string;
}

export interface ModelDescription {
  readonly model_component: string;
  /** We have no Lookout for Vision model ARN: always empty. */
  readonly lookout_vision_model_arn: string;
  readonly status: ModelStatus;
  readonly status_message: string;
}

export interface StatusResponse {
  readonly status: ModelStatus;
}

export interface ListModelsResponse {
  readonly models: readonly ModelDescription[];
}

export interface DescribeModelResponse {
  readonly model_description: ModelDescription;
}
