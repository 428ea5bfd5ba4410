/**
 * Bundles the agent's entry (and a native self-check, and the detector's worker thread, which main.js
 * starts from the file beside it) with esbuild into ESM files for Node 24. The
 * packages in EXTERNAL_PACKAGES stay external (shipped in node_modules); everything else, aws-crt's
 * JavaScript included, is inlined. The banner gives bundled CommonJS code `require`, `__filename` and
 * `__dirname`, and points aws-crt at its shipped native binary.
 */
import { build } from 'esbuild';
import { PackagingError } from './packaging-error.ts';
import { EXTERNAL_PACKAGES } from './runtime-packages.ts';

/** Where the archive keeps aws-crt's native binary, relative to main.js. */
export const AWS_CRT_BINARY = 'native/aws-crt-nodejs.node';

const BANNER = [
  "import { createRequire as __edgeqcCreateRequire } from 'node:module';",
  "import { fileURLToPath as __edgeqcFileUrlToPath } from 'node:url';",
  "import { dirname as __edgeqcDirname, join as __edgeqcJoin } from 'node:path';",
  'const require = __edgeqcCreateRequire(import.meta.url);',
  'const __filename = __edgeqcFileUrlToPath(import.meta.url);',
  'const __dirname = __edgeqcDirname(__filename);',
  `process.env.AWS_CRT_NODEJS_BINARY_ABSOLUTE_PATH ??= __edgeqcJoin(__dirname, ${JSON.stringify(AWS_CRT_BINARY.split('/')[0])}, ${JSON.stringify(AWS_CRT_BINARY.split('/')[1])});`,
].join('\n');

export interface BundledFile {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** Bundles `entries` (output name -> source file) and returns the output files in memory. */
export async function bundleAgent(
  entries: Readonly<Record<string, string>>,
  absWorkingDir: string,
): Promise<BundledFile[]> {
  try {
    const result = await build({
      entryPoints: entries,
      absWorkingDir,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node24',
      outdir: 'out',
      write: false,
      external: [...EXTERNAL_PACKAGES],
      banner: { js: BANNER },
      minifyWhitespace: true,
      minifySyntax: true,
      legalComments: 'eof',
      logLevel: 'silent',
      splitting: false,
    });
    return result.outputFiles.map((f) => ({ name: f.path.split('/').at(-1) as string, bytes: f.contents }));
  } catch (cause) {
    throw new PackagingError(
      'BUNDLE_FAILED',
      `esbuild could not bundle ${Object.values(entries).join(', ')}: ${(cause as Error).message}`,
      { cause },
    );
  }
}
