/**
 * Which names in the camera folder are never images to inspect: hidden files and the temporary names
 * that cameras, copy tools, browsers and editors write before renaming a file into place.
 */
const TEMPORARY_SUFFIXES = ['.tmp', '.temp', '.part', '.partial', '.crdownload', '.download', '.swp', '.filepart', '~'];

export function isIgnoredCameraName(name: string): boolean {
  if (name.length === 0 || name.startsWith('.') || name.startsWith('~$')) return true;
  if (name.startsWith('#') && name.endsWith('#')) return true;
  const lower = name.toLowerCase();
  return TEMPORARY_SUFFIXES.some((suffix) => lower.endsWith(suffix));
}
