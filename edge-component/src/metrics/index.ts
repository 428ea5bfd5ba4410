/**
 * `@edgeqc/edge-component/metrics`: the pure measures the device's metrics and the rollout's quality
 * gate share (one copy: the gate compares what devices publish with the same arithmetic).
 */
export { PSI_EPSILON, populationStabilityIndex } from './psi.ts';
