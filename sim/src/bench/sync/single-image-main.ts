/**
 * Entry of the single-image measurement's own process (single-image-process.ts): one argument, a
 * SingleImageJob as JSON; prints the SingleImageFigures as JSON on stdout.
 */
import { demoBundle } from '@edgeqc/edge-component/demo-bundle';
import { measureSingleImage } from './single-image.ts';
import type { SingleImageJob } from './single-image-process.ts';
import { demoSamplePaths, loadSyncSamples } from './sync-samples.ts';

const job = JSON.parse(process.argv[2] ?? '') as SingleImageJob;
const samples = await loadSyncSamples(await demoSamplePaths());
const figures = await measureSingleImage(await demoBundle({ precision: 'int8' }), samples, job.settings, job.rounds);
process.stdout.write(`${JSON.stringify(figures)}\n`);
