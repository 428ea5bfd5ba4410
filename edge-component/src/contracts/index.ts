export * from './error-event.ts';
export * from './inspection.ts';
export * from './metrics.ts';
export * from './status.ts';
export * from './topics.ts';
