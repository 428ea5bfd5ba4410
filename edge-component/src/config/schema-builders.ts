/** Small typed zod builders for the configuration schema, whose every failure says what was expected. */
import { parsePublicKeyPem } from '@edgeqc/model-component/signature';
import { z } from 'zod';

export function int(what: string, min: number, max: number) {
  const error = `expected ${what}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}
export const posInt = (max = Number.MAX_SAFE_INTEGER) =>
  int(max === Number.MAX_SAFE_INTEGER ? 'a positive integer' : `an integer from 1 to ${max}`, 1, max);
export const fraction = () => {
  const error = 'expected a number from 0 to 1';
  return z.number({ error }).min(0, { error }).max(1, { error });
};
export const path = (what: string) =>
  z.string({ error: `expected ${what} (a path)` }).min(1, { error: `expected ${what} (a non-empty path)` });

export const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;
/** AWS IoT thing names: letters, digits, `:_-`, 1 to 128. */
export const THING_NAME = /^[a-zA-Z0-9:_-]{1,128}$/;

export function isPublicKeyPem(pem: string): boolean {
  try {
    parsePublicKeyPem(pem);
    return true;
  } catch {
    return false;
  }
}
