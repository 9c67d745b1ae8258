// What the admin and fix browser tests share: where screenshots go, the liveness bounds, and
// how a failed expectation, a log line and a numbered screenshot are made.

import { join, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
export const SHOTS = resolve(
  process.env.E2E_SCREENSHOTS_DIR ?? join(HERE, "..", "..", "target", "e2e-screenshots"),
);
// Liveness bounds (a hang fails instead of blocking CI), not speed checks.
export const STEP_TIMEOUT_MS = 60_000;
export const RUN_TIMEOUT_MS = 300_000;
export const WATCHDOG_MS = 600_000;

export function fail(message) {
  const err = new Error(message);
  err.e2e = true;
  throw err;
}

export function log(message) {
  process.stderr.write(`e2e: ${message}\n`);
}

// Screenshots numbered in order, as target/e2e-screenshots/<prefix>-NN-<name>.png.
export function screenshots(prefix) {
  let shot = 0;
  return async function screenshot(page, name, fullPage = true) {
    shot += 1;
    const file = join(SHOTS, `${prefix}-${String(shot).padStart(2, "0")}-${name}.png`);
    await page.screenshot({ path: file, fullPage });
    log(`screenshot ${file}`);
  };
}
