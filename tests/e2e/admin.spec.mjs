// An admin's first day, in a real browser (issue 16), against a `serve --simulate` console started
// by tests/it/browser.rs, which also queued an install that is running:
//
//   node tests/e2e/admin.spec.mjs <access URL> <install id>
//
// 1. Never locked out: open the install page while the install runs, Sign out (the console asks
//    first and names `katonic-console access-link`), find every page closed, then ask the
//    harness for a new link:
//      stdout: ACCESS_LINK              the harness runs `katonic-console access-link`
//      stdin:  LINK <url>               the link it printed
//    open it, and find the install still running (signing out touched nothing), to success.
// 2. Never an accidental re-creation: ask the harness to tear the install down,
//      stdout: TEAR_DOWN                the harness tears it down through the API
//      stdin:  TORN_DOWN
//    then the install page offers no Retry, Verify again or Resume, says why, and a Retry posted
//    anyway is refused (409, naming Clone).
// 3. The live page equals the reloaded page: for the run that succeeded above, one that fails at
//    once and one cancelled, the page followed live comes to show what a fresh load shows
//    (header, actions, steps, plan, timeline, DNS, verification, activity), without a reload:
//      stdout: DRAFT fail | DRAFT slow  the harness records a draft (the README-style sample on
//      stdin:  DRAFT <id>               1.30, which preflight refuses at once, or one that runs)
// Screenshots go to target/e2e-screenshots/admin-NN-name.png. Exits 1 with a clear message on
// any failed expectation, console error or uncaught page error.

import { createInterface } from "node:readline";
import {
  RUN_TIMEOUT_MS, STEP_TIMEOUT_MS, clearScreenshots, fail, launch, log, run, screenshots,
} from "./harness.mjs";

const problems = [];

const screenshot = screenshots("admin");

const stdinLines = (() => {
  const rl = createInterface({ input: process.stdin });
  const queue = [];
  const waiting = [];
  rl.on("line", (line) => (waiting.length ? waiting.shift()(line) : queue.push(line)));
  rl.on("close", () => waiting.splice(0).forEach((w) => w(null)));
  return {
    next: () => (queue.length ? Promise.resolve(queue.shift()) : new Promise((r) => waiting.push(r))),
    close: () => rl.close(),
  };
})();

/// Ask the harness for something and wait for its answer line.
async function ask(request, answerPrefix) {
  process.stdout.write(`${request}\n`);
  const line = await stdinLines.next();
  if (!line?.startsWith(answerPrefix)) fail(`asked ${request}, the harness answered ${line}`);
  return line.slice(answerPrefix.length).trim();
}

function watch(page) {
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`${page.url()}: console error: ${msg.text()}`);
  });
  page.on("pageerror", (err) => problems.push(`${page.url()}: uncaught page error: ${err.message}`));
}

async function statusOf(page) {
  return (await page.locator("#run-header .status").first().textContent())?.trim();
}

async function waitForStatus(page, wanted, timeout) {
  try {
    await page.waitForFunction(
      (want) => document.querySelector("#run-header .status")?.textContent.trim() === want,
      wanted,
      { timeout, polling: 100 },
    );
  } catch {
    fail(`the install page never showed status \`${wanted}\` (it shows \`${await statusOf(page)}\`)`);
  }
}

async function signOutAndBack(page, origin, installUrl) {
  await page.getByRole("link", { name: "Sign out" }).click();
  await page.waitForURL(`${origin}/logout`);
  const command = (await page.locator("#access-link-command").textContent()).trim();
  if (!command.startsWith("katonic-console access-link --data-dir ")) fail(`the sign-out page says ${command}`);
  if (!(await page.getByText("Installs keep running").isVisible())) fail("the sign-out page does not say installs keep running");
  await screenshot(page, "sign-out-asks");
  await page.locator("main").getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("heading", { name: "Signed out" }).waitFor();
  const again = (await page.locator("#access-link-command").textContent()).trim();
  if (again !== command) fail(`the signed-out page gives ${again}, the confirmation gave ${command}`);
  await screenshot(page, "signed-out");
  // Every page is closed now (read without navigating: a 401 would log a console error).
  const closed = await page.request.get(installUrl);
  if (closed.status() !== 401) fail(`after sign-out the install page answered ${closed.status()}`);

  const link = await ask("ACCESS_LINK", "LINK ");
  if (!link.startsWith(`${origin}/?token=`)) fail(`access-link printed ${link}`);
  await page.goto(link);
  await page.goto(installUrl);
  const status = await statusOf(page);
  if (!["running", "succeeded"].includes(status)) fail(`after signing in again the install is ${status}`);
  await screenshot(page, "back-in-install-still-running");
  log(`signed in again with access-link; the install is ${status}`);
}

async function tornDownOffersNothing(page, installUrl) {
  await ask("TEAR_DOWN", "TORN_DOWN");
  await page.goto(installUrl);
  const offered = await page.locator("form[action$='/retry'], form[action$='/resume']").count();
  if (offered !== 0) fail(`a torn-down install offers ${offered} Retry/Resume action(s)`);
  const why = (await page.locator("#run-header .run-locked").textContent()) ?? "";
  if (!why.includes("was torn down") || !why.includes("clone")) fail(`the header says: ${why}`);
  await screenshot(page, "torn-down-offers-no-retry", false);
  // The page hid it; the server refuses it too, as a hand-made form post would see.
  const res = await page.request.post(`${installUrl}/steps/resource-group/retry`, { maxRedirects: 0 });
  const body = await res.text();
  if (res.status() !== 409) fail(`Retry on a torn-down install answered ${res.status()}`);
  if (!body.includes("was torn down") || !body.includes("clone")) fail(`the 409 says: ${body}`);
  log(`Retry posted anyway: 409 ${body.match(/Install [^<]*clone[^<]*/)?.[0] ?? ""}`);
}

/// What the install page shows of its run's state: compared between the live page and a fresh
/// load of the same URL.
async function runState(page) {
  return page.evaluate(() => {
    const texts = (sel) => [...document.querySelectorAll(sel)].map((e) => e.textContent.trim().replace(/\s+/g, " "));
    const attrs = (sel, a) => [...document.querySelectorAll(sel)].map((e) => e.getAttribute(a));
    return {
      header: texts("#run-header .status, #run-header .badge, #run-header .run-error, #run-header .run-locked"),
      actions: attrs("#run-header form", "action"),
      clocks: document.querySelectorAll("time.elapsed").length,
      steps: [...document.querySelectorAll(".step-head")].map((h) => `${h.id}=${h.querySelector(".status")?.textContent.trim()}`),
      stepActions: attrs(".step-head form", "action"),
      plan: texts("table.steps .status"),
      timeline: texts("#timeline"),
      dns: texts("#dns"),
      verification: texts("#verification, table.verification td"),
      activity: document.querySelectorAll("#log > li").length,
      live: document.querySelectorAll("[sse-connect]").length,
    };
  });
}

/// The live page comes to show what a fresh load shows, without a reload (a liveness bound).
async function liveEqualsReload(page, context, what) {
  const fresh = await context.newPage();
  watch(fresh);
  let live, loaded;
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  for (;;) {
    await fresh.goto(page.url());
    [live, loaded] = [await runState(page), await runState(fresh)];
    if (JSON.stringify(live) === JSON.stringify(loaded)) break;
    if (Date.now() > deadline) {
      await screenshot(page, `${what}-live-stale`);
      const diff = Object.keys(live).filter((k) => JSON.stringify(live[k]) !== JSON.stringify(loaded[k]));
      fail(`${what}: the live page differs from a fresh load in ${diff.join(", ")}:\n` +
        diff.map((k) => `  ${k}: live ${JSON.stringify(live[k])}\n  ${k}: load ${JSON.stringify(loaded[k])}`).join("\n"));
    }
    await page.waitForTimeout(200); // polling an eventual state, not a timing assumption
  }
  await fresh.close();
  if (live.live !== 0) fail(`${what}: the ended run's page still holds a stream`);
  await screenshot(page, `${what}-live-equals-reload`, false);
  log(`${what}: the live page equals a fresh load (${live.steps.length} steps, ${live.activity} events)`);
}

/// Queue a draft from its page (Queue install) and stay on the install page it leads to.
async function queueDraft(page, origin, kind) {
  const id = await ask(`DRAFT ${kind}`, "DRAFT ");
  await page.goto(`${origin}/installs/${id}`);
  await Promise.all([
    page.waitForEvent("framenavigated"),
    page.getByRole("button", { name: "Queue install" }).click(),
  ]);
  await page.waitForLoadState("load");
  return id;
}

async function endsLive(page, context, origin) {
  await queueDraft(page, origin, "fail");
  await waitForStatus(page, "failed", STEP_TIMEOUT_MS);
  await liveEqualsReload(page, context, "failed-at-once");
  await queueDraft(page, origin, "slow");
  await waitForStatus(page, "running", STEP_TIMEOUT_MS);
  await page.locator("#run-header").getByRole("button", { name: "Cancel" }).click();
  await waitForStatus(page, "cancelled", RUN_TIMEOUT_MS);
  await liveEqualsReload(page, context, "cancelled");
}

async function main() {
  const [url, id] = process.argv.slice(2);
  if (!url || !id) fail("usage: node tests/e2e/admin.spec.mjs <access URL> <install id>");
  clearScreenshots("admin");
  const origin = new URL(url).origin;
  const installUrl = `${origin}/installs/${id}`;
  const { context, close } = await launch("admin");
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    watch(page);
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    await page.goto(url);
    await page.goto(installUrl);
    await waitForStatus(page, "running", STEP_TIMEOUT_MS);
    await screenshot(page, "install-running");
    await signOutAndBack(page, origin, installUrl);
    await waitForStatus(page, "succeeded", RUN_TIMEOUT_MS);
    await liveEqualsReload(page, context, "succeeded");
    await tornDownOffersNothing(page, installUrl);
    await endsLive(page, context, origin);
    if (problems.length) fail(`${problems.length} problem(s):\n  ${problems.join("\n  ")}`);
  } finally {
    await close();
    stdinLines.close();
  }
}

run(main, problems);
