export * from './signature.ts';
export * from './signer.ts';
export * from './verify.ts';
