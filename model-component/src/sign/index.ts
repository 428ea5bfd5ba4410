export * from './signature.ts';
export * from './verify.ts';
