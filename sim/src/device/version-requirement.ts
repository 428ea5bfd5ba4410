/**
 * Greengrass VersionRequirement (npm-style semver ranges) for the forms recipes use:
 * `1.2.3`, `=1.2.3`, `>=1.0.0 <2.0.0`, `^1.2.0`, `~1.2.0`, `*`, and `||` alternatives. Pure.
 */
import { LocalDeviceError } from '../errors.ts';

type Triple = readonly [number, number, number];

function parse(version: string): Triple {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$/.exec(version.trim());
  if (!m) throw new LocalDeviceError('VERSION', `'${version}' is not a semantic version (expected 1.2.3)`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

export function compareVersions(a: string, b: string): number {
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return 0;
}

function satisfiesOne(version: string, comparator: string): boolean {
  if (comparator === '*' || comparator === '') return true;
  const m = /^(>=|<=|>|<|=|\^|~)?\s*(.+)$/.exec(comparator)!;
  const op = m[1] ?? '=';
  const target = m[2]!;
  const c = compareVersions(version, target);
  const [maj, min] = parse(target);
  const [vmaj, vmin] = parse(version);
  switch (op) {
    case '>=':
      return c >= 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    case '<':
      return c < 0;
    case '^':
      return c >= 0 && (maj > 0 ? vmaj === maj : vmaj === 0 && vmin === min);
    case '~':
      return c >= 0 && vmaj === maj && vmin === min;
    default:
      return c === 0;
  }
}

export function satisfies(version: string, requirement: string): boolean {
  return requirement.split('||').some((alt) =>
    alt
      .trim()
      .split(/\s+(?=[<>=^~*\d])/)
      .every((part) => satisfiesOne(version, part.trim())),
  );
}
