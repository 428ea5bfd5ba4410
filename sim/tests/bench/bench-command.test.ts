/**
 * `edgeqc bench` refuses bad options before anything runs (the benchmark itself is run by hand, not
 * in the tests): exit 2, the option and its value named, then the usage.
 */
import { describe, expect, it } from 'vitest';
import { benchCommand } from '../../src/bench/bench-command.ts';
import { captureIo } from '../support/capture-io.ts';

async function bench(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const c = captureIo();
  const code = await benchCommand.run(argv, c.io);
  return { code, out: c.out(), err: c.err() };
}

describe('edgeqc bench options', () => {
  it('--help prints the usage with --pipeline-nice and the inference-thread figures', async () => {
    const r = await bench(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/usage: edgeqc bench/);
    expect(r.out).toContain('--pipeline-nice <n>');
    expect(r.out).toContain("inference thread(s)' CPU time per image");
  });

  it.each([
    [['--pipeline-nice', '25'], '--pipeline-nice "25": expected a nice value from 0 to 19'],
    [['--pipeline-nice', 'high'], '--pipeline-nice "high": expected a whole number >= 0'],
    [['--precision', 'int4'], '--precision "int4": expected int8 or fp32'],
    [['--detector-thread', 'gpu'], '--detector-thread "gpu": expected worker, main or worker,main'],
    [['--images', '0'], '--images "0": expected a whole number >= 1'],
  ])('refuses %j naming the option and value', async (argv, message) => {
    const r = await bench(argv);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`edgeqc bench: ${message}`);
    expect(r.err).toMatch(/usage: edgeqc bench/);
    expect(r.out).toBe('');
  });

  it.each(['--accuracy', '--inspect'])('%s --help prints its own usage', async (mode) => {
    const help = await bench([mode, '--help']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(new RegExp(`usage: edgeqc bench ${mode}`));
  });

  it.each([
    [['--accuracy', '--letterbox', 'pil'], '--letterbox "pil": expected agent or cv2'],
    [['--accuracy', '--precision', 'int4'], '--precision "int4": expected int8 or fp32'],
    [['--inspect', '--rounds', '0'], '--rounds "0": expected a whole number >= 1'],
    [['--inspect', '--precision', 'int4'], '--precision "int4": expected int8 or fp32'],
    [
      ['--inspect', '--dir', '/nonexistent/edgeqc-images'],
      '--dir /nonexistent/edgeqc-images: expected a folder with at least 2 .jpg/.png images',
    ],
  ])('refuses %j with exit 2, naming the option and value', async (argv, message) => {
    const r = await bench(argv);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
    expect(r.out).toBe('');
  });
});
