/**
 * The README's pictures come from the e2e tests that reach those screens, but only when asked:
 * `EARCANDLE_UPDATE_SCREENSHOTS=1 npm test` rewrites docs/screenshots/; a plain test run leaves the checkout as it was.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const DIR = 'docs/screenshots';

export const updateScreenshots = process.env.EARCANDLE_UPDATE_SCREENSHOTS === '1';

/** Where a picture goes; undefined when pictures are not being updated. */
export function screenshotPath(name: string): string | undefined {
  if (!updateScreenshots) return undefined;
  mkdirSync(DIR, { recursive: true });
  return join(DIR, name);
}

/** Writes a picture taken another way (a canvas's pixels), when pictures are being updated. */
export function saveScreenshot(name: string, png: Buffer): void {
  const path = screenshotPath(name);
  if (path) writeFileSync(path, png);
}
