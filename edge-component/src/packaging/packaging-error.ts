/** Errors of the agent packager: `PackagingError` and its codes live with the workspace's other errors. */
export { PackagingCode, PackagingError } from '../errors.ts';
