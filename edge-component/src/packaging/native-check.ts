/**
 * Shipped as native-check.js beside the agent: loads every native module the way the agent does and
 * prints what loaded. Greengrass runs it at install (a broken artifact fails the deployment, not the
 * running device), and an engineer can run it by hand.
 */
import { io } from 'aws-crt';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';

const report = {
  node: process.version,
  platform: `${process.platform}-${process.arch}`,
  onnxruntime: typeof ort.InferenceSession.create === 'function' ? 'ok' : 'missing',
  libvips: sharp.versions.vips,
  awsCrt: typeof io.is_alpn_available() === 'boolean' ? 'ok' : 'missing',
};
process.stdout.write(`${JSON.stringify(report)}\n`);
