/**
 * Checks the tests run on synthesized stacks: cdk-nag's AwsSolutions pack (unacknowledged findings),
 * cfn-lint (the installed Python tool) and asl-validator.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Stack } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

/** Unacknowledged AwsSolutions findings as `rule @ construct path` lines (synthesize the stack first). */
export function nagFindings(stack: Stack): string[] {
  const report = new AwsSolutionsChecks().validateScope(stack);
  return report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} @ ${r.constructPath}`));
}

/**
 * cfn-lint on a template: its exit code and output. W3005 (a DependsOn that a Ref already implies) is
 * ignored: CDK itself adds those DependsOn (function -> role policy), they are harmless.
 */
export function cfnLint(template: unknown, name: string): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'edgeqc-cfn-lint-'));
  try {
    const file = join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify(template));
    const r = spawnSync('cfn-lint', ['--ignore-checks', 'W3005', '--', file], { encoding: 'utf8' });
    if (r.error)
      throw new Error(`cfn-lint could not run (install it: scripts/install-test-tools.sh): ${r.error.message}`);
    return { status: r.status, output: `${r.stdout}${r.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type AslValidator = (definition: unknown, options?: unknown) => { isValid: boolean; errors: unknown[] };

/** asl-validator's verdict (on a copy: the validator annotates its input). */
export function validateAsl(definition: unknown): { isValid: boolean; errors: unknown[] } {
  const validator = createRequire(import.meta.url)('asl-validator') as AslValidator;
  return validator(structuredClone(definition), { checkPaths: true, checkArn: true });
}
