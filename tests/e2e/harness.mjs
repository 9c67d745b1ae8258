// What the admin, fix and network browser tests share: where screenshots go, the liveness
// bounds, how a failed expectation, a log line and a numbered screenshot are made, the browser's
// launch, and the watchdog and exit around a test's main.

import { chromium } from "playwright-core";
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
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

// The screenshot folder, without the earlier run's `<prefix>-NN-*.png`.
export function clearScreenshots(prefix) {
  mkdirSync(SHOTS, { recursive: true });
  const earlier = new RegExp(`^${prefix}-\\d\\d-.*\\.png$`);
  for (const f of readdirSync(SHOTS)) if (earlier.test(f)) rmSync(join(SHOTS, f));
}

// Headless Chromium with the flags this machine needs (no background networking), on a
// throwaway profile; `close()` closes it and removes the profile.
export async function launch(prefix) {
  const profile = mkdtempSync(join(tmpdir(), `katonic-e2e-${prefix}-`));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    viewport: { width: 1280, height: 900 },
  });
  const close = async () => {
    await context.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
  };
  return { context, close };
}

// Run `main` under the watchdog: exit 0, or 1 with the failure and what the pages reported.
export function run(main, problems) {
  const watchdog = setTimeout(() => {
    process.stderr.write(`E2E FAILED: still running after ${WATCHDOG_MS / 1000} s\n`);
    process.exit(1);
  }, WATCHDOG_MS);
  watchdog.unref();
  main().then(
    () => process.exit(0),
    (err) => {
      process.stderr.write(`E2E FAILED: ${err.e2e ? err.message : err.stack ?? err}\n`);
      if (problems.length) process.stderr.write(`also reported by the pages:\n  ${problems.join("\n  ")}\n`);
      process.exit(1);
    },
  );
}
