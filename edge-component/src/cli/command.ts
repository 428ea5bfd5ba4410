/** The `edgeqc` command shape is defined once, in the lowest workspace; every workspace's CLI uses it. */
export type { Command, CommandIo } from '@edgeqc/model-component/cli';
