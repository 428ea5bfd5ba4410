/** The review app's pure core: items, decisions with optimistic concurrency, undo, agreement, listing. */
export * from './agreement.ts';
export * from './box-check.ts';
export * from './decision.ts';
export * from './decision-record-schema.ts';
export * from './last-action.ts';
export * from './listing.ts';
export * from './review-item.ts';
