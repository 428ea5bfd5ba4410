export * from './artifact.ts';
export * from './model-recipe.ts';
export * from './recipe-schema.ts';
export * from './template.ts';
export * from './templates.ts';
