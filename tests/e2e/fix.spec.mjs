// Check before queueing and fix and resume (issue 16), in a real browser, against a
// `serve --simulate` console started by tests/it/browser_fix.rs:
//
//   node tests/e2e/fix.spec.mjs <access URL> <failed install id> <draft id>
//
// Both installs are the README-style sample on Kubernetes 1.30 with the default tier, which
// preflight refuses (long-term support only). 1. The draft's review page: Run checks shows the
// refusal and its fix before Queue install, and the draft stays a draft. 2. The failed install:
// Edit and resume, tier standard → premium, Save and resume, and the install succeeds.
// 3. Settings: Test connection says Connected.
// Screenshots go to target/e2e-screenshots/fix-NN-name.png. Exits 1 with a clear message on any
// failed expectation, console error or uncaught page error.

import {
  RUN_TIMEOUT_MS, STEP_TIMEOUT_MS, clearScreenshots, fail, launch, log, run, screenshots,
} from "./harness.mjs";

const problems = [];

// The review page is ~10 000 px tall: its shot is the viewport (the checks are at the top), which
// keeps Chromium's memory low when browser tests run side by side.
const screenshot = screenshots("fix");

function watch(page) {
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`${page.url()}: console error: ${msg.text()}`);
  });
  page.on("pageerror", (err) => problems.push(`${page.url()}: uncaught page error: ${err.message}`));
}

async function waitForStatus(page, wanted, timeout) {
  try {
    await page.waitForFunction(
      (want) => document.querySelector("#run-header .status")?.textContent.trim() === want,
      wanted,
      { timeout, polling: 100 },
    );
  } catch {
    const now = (await page.locator("#run-header .status").first().textContent())?.trim();
    fail(`the install page never showed status \`${wanted}\` (it shows \`${now}\`)`);
  }
}

async function checksBeforeQueueing(page, origin, draft) {
  await page.goto(`${origin}/installs/${draft}/review`);
  await page.getByRole("button", { name: "Run checks" }).click();
  const result = page.locator("#preflight-result");
  await result.getByText("Preflight would refuse this install").waitFor();
  const text = await result.textContent();
  if (!text.includes("long-term support") || !text.includes("cluster.tier: premium")) fail(`the checks say: ${text}`);
  if (!(await page.getByRole("button", { name: "Queue install" }).isVisible())) fail("Queue install is gone");
  await screenshot(page, "review-checks-refuse", false);
  const detail = await (await page.request.get(`${origin}/api/v1/installs/${draft}`)).json();
  if (detail.status !== "draft") fail(`after Run checks the draft is ${detail.status}`);
}

async function editAndResume(page, origin, id) {
  await page.goto(`${origin}/installs/${id}`);
  await waitForStatus(page, "failed", STEP_TIMEOUT_MS);
  await page.getByRole("link", { name: "Edit and resume" }).click();
  await page.waitForURL(`${origin}/installs/${id}/edit`);
  const area = page.locator("textarea#spec");
  const yaml = await area.inputValue();
  if (!yaml.includes("tier: standard")) fail(`the spec shown has no \`tier: standard\`:\n${yaml}`);
  await area.fill(yaml.replace("tier: standard", "tier: premium"));
  await screenshot(page, "edit-tier-premium");
  await page.getByRole("button", { name: "Save and resume" }).click();
  await page.waitForURL(`${origin}/installs/${id}`);
  await waitForStatus(page, "succeeded", RUN_TIMEOUT_MS);
  await screenshot(page, "resumed-succeeded");
}

async function testConnection(page, origin) {
  await page.goto(`${origin}/settings`);
  await page.getByRole("button", { name: "Test connection" }).click();
  const result = page.locator("#connection-test");
  await result.getByText("Connected", { exact: false }).first().waitFor();
  const text = await result.textContent();
  if (text.includes("Not connected")) fail(`Test connection says: ${text}`);
  await screenshot(page, "settings-test-connection");
}

async function main() {
  const [url, failed, draft] = process.argv.slice(2);
  if (!url || !failed || !draft) fail("usage: node tests/e2e/fix.spec.mjs <access URL> <failed install id> <draft id>");
  clearScreenshots("fix");
  const origin = new URL(url).origin;
  const { context, close } = await launch("fix");
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    watch(page);
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    await page.goto(url);
    await checksBeforeQueueing(page, origin, draft);
    await editAndResume(page, origin, failed);
    await testConnection(page, origin);
    if (problems.length) fail(`${problems.length} problem(s):\n  ${problems.join("\n  ")}`);
  } finally {
    await close();
  }
}

run(main, problems);
