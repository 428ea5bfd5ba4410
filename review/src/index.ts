/** @edgeqc/review: the review app (API + page), its ports and its pure core. */
export { buildReviewApp, type ReviewApp, type ReviewAppDeps } from './app.ts';
export * from './domain/index.ts';
export * from './errors.ts';
export type * from './ports.ts';
export { ReviewService } from './review-service.ts';
