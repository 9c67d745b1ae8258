// End-to-end in a real browser: Debian's Chromium, driven by playwright-core, goes through the
// console as an admin would, against a `serve --simulate` console started by tests/it/browser.rs.
//
//   node tests/e2e/install.spec.mjs <url>
//
// <url> is the console's one-time access URL (`…/?token=…`) or, on a console without access
// control, its `Listening on` URL. The run: home → New install → every wizard page (the sample
// spec's answers, `tls: selfSigned`; the VM size picker's warnings for an unknown and a retired
// size, the static IP hidden with an external load balancer) → review → Queue install → install page, watching live
// progress until the AKS cluster step runs. Then it asks its harness to `kill -9` the console:
//
//   stdout: KILL_NOW                 the harness kills the console and starts it again
//   stdin:  RESTARTED <url>          the new console's access (or Listening) URL
//
// It opens the new URL, sees the install `interrupted`, clicks Resume, waits for `succeeded`,
// checks that the activity list shows every event sequence number exactly once (no gap, no
// duplicate, the same list the server renders) and that "what now" (links, DNS records, the
// kubeconfig download) leads the page without a reload, visits the history, and prints
//
//   stdout: EVENTS <install id> <number of events>
//
// for the harness to compare with the API. A screenshot of each page goes to
// target/e2e-screenshots/NN-name.png (E2E_SCREENSHOTS_DIR overrides). It exits 1 with a clear
// message on any failed expectation, console error, uncaught page error or CSP violation.

import { chromium } from "playwright-core";
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const SHOTS = resolve(process.env.E2E_SCREENSHOTS_DIR ?? join(HERE, "..", "..", "target", "e2e-screenshots"));
// Liveness bounds (a hang fails instead of blocking CI), not speed checks.
const STEP_TIMEOUT_MS = 60_000;
const RUN_TIMEOUT_MS = 300_000;
const WATCHDOG_MS = 600_000;

// The sample spec (tests/it/fixtures/sample.yaml) as the wizard's fields. The Kubernetes version
// is left at the wizard's default: the newest one the (simulated) region supports.
const ANSWERS = {
  azure: {
    name: "prod",
    "azure.subscriptionId": "3f2c1a9e-8b7d-4c6e-9f01-23456789abcd",
    "azure.tenantId": "0a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d",
    "azure.location": "eastus",
    "azure.resourceGroup": "rg-katonic-prod",
  },
  cluster: {
    "cluster.mode": "create",
    "cluster.name": "katonic-prod",
    "cluster.zones": ["1", "2"],
    "cluster.network.vnetCidr": "10.20.0.0/16",
    "cluster.network.aksSubnetCidr": "10.20.0.0/26",
    "cluster.network.jumphostSubnetCidr": "10.20.0.64/29",
    "cluster.network.plugin": "azure-overlay",
    "cluster.network.podCidr": "192.168.0.0/16",
    "cluster.network.serviceCidr": "172.16.0.0/16",
    "cluster.network.dnsServiceIp": "172.16.0.10",
  },
  pools: {
    "cluster.nodePools.platform.vmSize": "Standard_DS3_v2",
    "cluster.nodePools.platform.count": "2",
    "cluster.nodePools.compute.vmSize": "Standard_D8s_v3",
    "cluster.nodePools.compute.min": "1",
    "cluster.nodePools.compute.max": "4",
    "cluster.nodePools.gpu": true,
    "cluster.nodePools.gpu.vmSize": "Standard_NC4as_T4_v3",
    "cluster.nodePools.gpu.min": "0",
    "cluster.nodePools.gpu.max": "2",
  },
  domain: {
    "domain.fqdn": "katonic.example.com",
    "ingress.loadBalancer": "internal",
    "domain.tls": "selfSigned",
  },
  storage: {
    "storage.sharedFiles": true,
    "addons.superset": true,
    "addons.airbyte": true,
    "platform.version": "5.0.9",
  },
};

const problems = []; // console errors, page errors, CSP violations: any one fails the run
let outage = false; // between KILL_NOW and opening the new console's URL
const outageNoise = []; // what the page said while its server was down (expected, reported)
let shot = 0;

function fail(message) {
  const err = new Error(message);
  err.e2e = true;
  throw err;
}

function log(message) {
  process.stderr.write(`e2e: ${message}\n`);
}

async function screenshot(page, name) {
  shot += 1;
  const file = join(SHOTS, `${String(shot).padStart(2, "0")}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  log(`screenshot ${file}`);
}

/// The console's stdin protocol: one line at a time.
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

function origin(url) {
  return new URL(url).origin;
}

async function fillPage(page, answers) {
  for (const [name, value] of Object.entries(answers)) {
    const inputs = page.locator(`form [name="${name}"]`);
    const n = await inputs.count();
    if (n === 0) fail(`${page.url()}: the wizard has no field \`${name}\``);
    if (Array.isArray(value)) {
      // A group of checkboxes (the zones): exactly these ticked.
      for (let i = 0; i < n; i++) {
        const box = inputs.nth(i);
        await box.setChecked(value.includes(await box.getAttribute("value")));
      }
      continue;
    }
    const input = inputs.first();
    const tag = await input.evaluate((e) => e.tagName.toLowerCase());
    const type = (await input.getAttribute("type")) ?? "";
    if (tag === "select") await input.selectOption(value);
    else if (type === "checkbox") await input.setChecked(value);
    else await input.fill(value);
    // The form checks each field on `change` (htmx): let it, as a person tabbing on would.
    await input.dispatchEvent("change");
  }
  await page.waitForLoadState("networkidle");
}

/// The note the wizard shows under the field `path`, once it reads `pattern`.
async function noteReads(page, path, pattern, what) {
  const id = `#note-f-${path.replaceAll(".", "-")}`;
  try {
    await page.waitForFunction(
      ([sel, src]) => new RegExp(src).test(document.querySelector(sel)?.textContent ?? ""),
      [id, pattern.source],
      { timeout: STEP_TIMEOUT_MS, polling: 100 },
    );
  } catch {
    fail(`${what}: the note under ${path} reads ${JSON.stringify(await page.locator(id).textContent())}`);
  }
}

/// The VM size picker: catalogued sizes with their figures; an unknown and a retired size
/// warned beside the field as soon as they are typed; a known one described.
async function vmPickerGuides(page) {
  const labels = await page.$$eval("datalist#vm-sizes option", (os) => os.map((o) => `${o.value} ${o.label}`));
  const d8 = labels.find((l) => l.startsWith("Standard_D8s_v3 "));
  if (!d8 || !/8 vCPU · 32 GiB · \$0\.384\/h/.test(d8)) fail(`the VM size picker does not describe Standard_D8s_v3: ${d8}`);
  if (!labels.some((l) => l.startsWith("Standard_NC6s_v3 ") && /RETIRED/.test(l))) fail("the picker does not mark Standard_NC6s_v3 retired");
  const field = "cluster.nodePools.compute.vmSize";
  const input = page.locator(`form [name="${field}"]`);
  for (const [value, pattern, what] of [
    ["Standard_D8s_v9", /not in the console's catalogue/, "an unknown size"],
    ["Standard_NC6s_v3", /retired by Azure on 2025-09-30/, "a retired size"],
  ]) {
    await input.fill(value);
    await input.dispatchEvent("change");
    await noteReads(page, field, pattern, what);
    // Seen once under load (2026-12-07): the text read as expected while the warning's class was
    // not there yet; wait for the class as for the text (a missing warning still fails).
    const warned = await page
      .waitForSelector(`#note-f-${field.replaceAll(".", "-")}.warn`, { timeout: STEP_TIMEOUT_MS })
      .then(() => true, () => false);
    if (!warned) fail(`${what} (${value}) is not shown as a warning`);
    if (value === "Standard_D8s_v9") await screenshot(page, "wizard-pools-unknown-size");
  }
  await input.fill(ANSWERS.pools[field]);
  await input.dispatchEvent("change");
  await noteReads(page, field, /8 vCPUs · 32 GiB/, "a known size");
}

/// The static private IP is the cluster's internal load balancer's: shown with an internal load
/// balancer, and with an external one behind the Application Gateway (the default); hidden only
/// external without a gateway. Leaves the page as it found it (internal, gateway on).
async function staticIpFollowsTheLoadBalancer(page) {
  const lb = page.locator('form [name="ingress.loadBalancer"]');
  const gateway = page.locator('form [name="ingress.gateway"]');
  const ip = page.locator("#f-ingress-staticIp");
  const pick = async (select, value) => {
    await select.selectOption(value);
    await select.dispatchEvent("change");
  };
  if ((await gateway.inputValue()) !== "applicationGateway") fail("the Application Gateway is not the default front door");
  if (!(await ip.isVisible())) fail("the static private IP is hidden with an internal load balancer");
  await pick(lb, "external");
  if (!(await ip.isVisible())) fail("the static private IP is hidden with an external load balancer behind the gateway");
  await pick(gateway, "none");
  if (await ip.isVisible()) fail("the static private IP stays visible with an external load balancer and no gateway");
  await pick(lb, "internal");
  if (!(await ip.isVisible())) fail("the static private IP did not come back with the internal load balancer");
  await pick(gateway, "applicationGateway");
  await page.waitForLoadState("networkidle");
}

/// After the success, without a reload: what now leads the page (links to the platform and its
/// add-ons, the DNS records to publish), and the admin kubeconfig downloads.
async function whatNowLeads(page) {
  try {
    await page.waitForFunction(() => document.querySelector("#next-steps h2")?.textContent === "What now", null, {
      timeout: STEP_TIMEOUT_MS,
      polling: 100,
    });
  } catch {
    fail("the live page never showed the what-now section after the success");
  }
  for (const host of ["katonic.example.com", "dash-katonic.example.com", "connectors-katonic.example.com"]) {
    if (!(await page.locator(`#next-steps a[href="https://${host}/"]`).isVisible())) fail(`no visible link to https://${host}/ after the success`);
  }
  const rows = await page.locator("#next-steps table.dns-publish tbody tr").count();
  if (rows !== 3) fail(`the DNS records to publish show ${rows} rows, not 3, without a reload`);
  if (!(await page.locator("#next-steps pre.zone-file").isVisible())) fail("the zone-file lines are not visible");
  const top = await page.locator("#next-steps").boundingBox();
  const steps = await page.locator(".step-list").boundingBox();
  if (!top || !steps || top.y > steps.y) fail("what now is not above the steps");
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.locator("#next-steps").getByRole("button", { name: "Download the admin kubeconfig" }).click(),
  ]);
  if (download.suggestedFilename() !== "kubeconfig-katonic-prod-admin.yaml") {
    fail(`the kubeconfig downloads as ${download.suggestedFilename()}`);
  }
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

/// The activity list's sequence numbers, in page order (each `<li id="ev-N">`).
async function shownSeqs(page) {
  return page.$$eval("#log > li", (lis) => lis.map((li) => (li.id.startsWith("ev-") ? Number(li.id.slice(3)) : NaN)));
}

/// Sequence numbers 1..N, each exactly once and in order.
function checkExactlyOnce(seqs, where) {
  const seen = new Map();
  for (const s of seqs) seen.set(s, (seen.get(s) ?? 0) + 1);
  const dups = [...seen].filter(([, c]) => c > 1).map(([s]) => s);
  if (seqs.some(Number.isNaN)) fail(`${where}: an activity line without its event's sequence number`);
  if (dups.length) fail(`${where}: events shown more than once: ${dups.join(", ")}`);
  const missing = [];
  for (let s = 1; s <= Math.max(0, ...seqs); s++) if (!seen.has(s)) missing.push(s);
  if (missing.length) fail(`${where}: events missing from the activity list: ${missing.join(", ")}`);
  if (seqs.some((s, i) => s !== i + 1)) fail(`${where}: the activity list is out of order: ${seqs.join(",")}`);
}

/// What the server renders for the install page now (the browser's session, no script).
async function serverSeqs(page, url) {
  const res = await page.request.get(url);
  if (!res.ok()) fail(`GET ${url}: ${res.status()}`);
  const html = await res.text();
  const log = html.slice(html.indexOf('id="log"'));
  return [...log.matchAll(/<li id="ev-(\d+)"/g)].map((m) => Number(m[1]));
}

function watch(page) {
  page.on("console", (msg) => {
    if (msg.type() !== "error") return;
    const where = msg.location()?.url ?? "";
    const text = `console error: ${msg.text()}${where ? ` (${where})` : ""}`;
    // With its server killed, the page's event stream breaks and htmx's SSE extension reports
    // each reconnect that fails: expected then, and only then.
    const streamDown = /^Failed to load resource: net::ERR_|^\[object Event\]$/.test(msg.text());
    (outage && streamDown ? outageNoise : problems).push(`${page.url()}: ${text}`);
  });
  page.on("pageerror", (err) => problems.push(`${page.url()}: uncaught page error: ${err.message}`));
}

// Records every CSP violation of every document; Playwright injects this out of band (over the
// DevTools protocol), so the page's CSP does not apply to it: `cspDetectorWorks` proves it runs.
const CSP_PROBE = () => {
  window.__csp = [];
  document.addEventListener("securitypolicyviolation", (e) => {
    const v = { directive: e.violatedDirective, blocked: e.blockedURI, source: e.sourceFile, line: e.lineNumber, sample: e.sample };
    window.__csp.push(v);
    window.__reportCsp?.(JSON.stringify(v));
  });
};

async function cspDetectorWorks(context, url) {
  const probe = await context.newPage(); // not watched: its violation is on purpose
  await probe.goto(url);
  await probe.evaluate(() => {
    const style = document.createElement("style"); // inline style: `style-src 'self'` refuses it
    style.textContent = "body { outline: 1px solid red }";
    document.head.append(style);
  });
  const recorded = await probe
    .waitForFunction(() => window.__csp.length > 0, null, { timeout: 5_000 })
    .then(() => true, () => false);
  await probe.close();
  if (!recorded) fail(`the CSP detector saw no violation for an inline <style> on ${url}: is the CSP header missing?`);
}

async function main() {
  const url = process.argv[2];
  if (!url) fail("usage: node tests/e2e/install.spec.mjs <access or Listening URL>");
  mkdirSync(SHOTS, { recursive: true });
  for (const f of readdirSync(SHOTS)) if (/^\d\d-.*\.png$/.test(f)) rmSync(join(SHOTS, f));

  const profile = mkdtempSync(join(tmpdir(), "katonic-e2e-chromium-"));
  // Flags this machine needs: no sandbox as root, no GPU, and no calls home (a closed network
  // refuses them, noisily).
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1280, height: 900 },
  });
  try {
    await context.addInitScript(CSP_PROBE);
    const page = context.pages()[0] ?? (await context.newPage());
    // Reports reach the test at once, even from a page that is navigating away.
    await page.exposeFunction("__reportCsp", (v) => problems.push(`${page.url()}: CSP violation: ${v}`));
    watch(page);
    page.setDefaultTimeout(STEP_TIMEOUT_MS);

    // Sign in with the access URL (or just open the console), then the home page.
    let base = origin(url);
    await page.goto(url);
    await cspDetectorWorks(context, `${base}/installs`);
    await page.goto(`${base}/`);
    if (!new URL(page.url()).pathname.startsWith("/installs")) fail(`home went to ${page.url()}, not the history`);
    await screenshot(page, "home");

    // New install → the wizard's pages.
    await page.locator('header form[action="/installs/new"] button').click();
    await page.waitForURL(/\/wizard\/azure$/);
    const id = page.url().match(/\/installs\/([^/]+)\/wizard/)[1];
    log(`install ${id}`);
    for (const [step, answers] of Object.entries(ANSWERS)) {
      if (!page.url().endsWith(`/wizard/${step}`)) fail(`expected the wizard's ${step} page, got ${page.url()}`);
      await fillPage(page, answers);
      if (step === "pools") await vmPickerGuides(page);
      if (step === "domain") await staticIpFollowsTheLoadBalancer(page);
      // Leaving the last field fires its htmx check, whose swap may replace the buttons: let
      // it finish before clicking Next, as a person would.
      await page.evaluate(() => document.activeElement && document.activeElement.blur());
      await page.waitForLoadState("networkidle");
      await screenshot(page, `wizard-${step}`);
      // The POST answers with the next page (303) or this one with its errors (422): either
      // way a navigation, which must be awaited before reading the URL (a busy machine may
      // not have started it when the click returns).
      await Promise.all([
        page.waitForNavigation({ waitUntil: "load" }),
        page.locator('button[name="_action"][value="next"]').click(),
      ]);
      if (page.url().endsWith(`/wizard/${step}`)) {
        const errors = await page.locator(".field-error, .step-errors").allTextContents();
        fail(`the wizard's ${step} page refused its answers: ${errors.join(" | ").replace(/\s+/g, " ")}`);
      }
    }

    // Review: the plan, no field to fix, Queue install.
    await page.waitForURL(/\/review$/);
    await screenshot(page, "review");
    const toFix = await page.locator(".step-errors.has-errors").count();
    if (toFix) fail(`the review lists fields to fix: ${(await page.locator(".step-errors").textContent()).replace(/\s+/g, " ")}`);
    await page.getByRole("button", { name: "Queue install" }).click();
    await page.waitForURL(new RegExp(`/installs/${id}$`));
    const queued = (await shownSeqs(page)).length;
    await screenshot(page, "install-queued");

    // Live progress: the page follows the run over SSE until the AKS cluster is being created.
    try {
      await page.waitForFunction(
        () => document.querySelector("#head-aks-cluster .status")?.textContent.trim() === "running",
        null,
        { timeout: RUN_TIMEOUT_MS, polling: 50 },
      );
    } catch {
      fail(`the AKS cluster step never showed running (install status \`${await statusOf(page)}\`)`);
    }
    const live = await shownSeqs(page);
    checkExactlyOnce(live, "live, before the crash");
    if (live.length <= queued) fail(`no event arrived live (${queued} shown when the page opened, ${live.length} now)`);
    log(`the cluster step runs; ${live.length - queued} events arrived live`);
    await screenshot(page, "install-cluster-running");

    // kill -9 and restart, while the page is open.
    outage = true;
    process.stdout.write("KILL_NOW\n");
    const reply = await stdinLines.next();
    const next = reply?.match(/^RESTARTED (\S+)$/)?.[1];
    if (!next) fail(`expected \`RESTARTED <url>\` from the harness, got ${JSON.stringify(reply)}`);
    await screenshot(page, "install-server-gone");
    base = origin(next);
    await page.goto(next); // the new console's access URL: a fresh session
    outage = false;
    await page.goto(`${base}/installs/${id}`);
    await waitForStatus(page, "interrupted", STEP_TIMEOUT_MS);
    const aks = (await page.locator("#head-aks-cluster .status").textContent()).trim();
    if (aks !== "interrupted") fail(`after the crash the AKS cluster step shows \`${aks}\`, not interrupted`);
    checkExactlyOnce(await shownSeqs(page), "after the restart");
    await screenshot(page, "install-interrupted");

    // Resume, and follow it live to the end.
    await page.locator("#run-header").getByRole("button", { name: "Resume" }).click();
    await page.waitForURL(new RegExp(`/installs/${id}$`));
    await screenshot(page, "install-resumed");
    await waitForStatus(page, "succeeded", RUN_TIMEOUT_MS);
    // The last events may trail the header by a moment: wait until the page has what the
    // server has, then hold it to exactly once.
    let server = [];
    let shown = [];
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    for (;;) {
      server = await serverSeqs(page, page.url());
      shown = await shownSeqs(page);
      if (shown.length >= server.length || Date.now() > deadline) break;
      await page.waitForTimeout(200);
    }
    checkExactlyOnce(shown, "live, after the resume");
    checkExactlyOnce(server, "as the server renders it");
    if (shown.join() !== server.join()) {
      fail(`the live page shows events ${shown.length ? `1..${shown.at(-1)}` : "none"}, the server has 1..${server.at(-1)}`);
    }
    const failedSteps = await page.locator(".step-head .status-failed").count();
    if (failedSteps) fail(`${failedSteps} step(s) show failed on a succeeded install`);
    await screenshot(page, "install-succeeded");
    await whatNowLeads(page);

    // History: the install, succeeded.
    await page.goto(`${base}/installs`);
    const row = page.locator("tr", { has: page.locator(`a[href="/installs/${id}"]`) });
    const rowText = (await row.first().textContent().catch(() => "")) ?? "";
    if (!/succeeded/.test(rowText)) fail(`the history does not show install ${id} succeeded: ${rowText.replace(/\s+/g, " ")}`);
    await screenshot(page, "history");

    // Clone: a new draft named prod-2 (listed, as it holds answers); a draft is deleted from
    // the history once the admin confirms.
    await page.goto(`${base}/installs/${id}`);
    await Promise.all([
      page.waitForURL(/\/wizard\/azure$/),
      page.locator("#run-header").getByRole("button", { name: "Clone" }).click(),
    ]);
    const cloneId = page.url().match(/\/installs\/([^/]+)\/wizard/)[1];
    const cloneName = await page.locator('form [name="name"]').inputValue();
    if (cloneName !== "prod-2") fail(`the clone is named \`${cloneName}\`, not prod-2`);
    await page.goto(`${base}/installs`);
    const cloneRow = page.locator("tr", { has: page.locator(`a[href="/installs/${cloneId}"]`) });
    if (!/draft/.test((await cloneRow.first().textContent()) ?? "")) fail("the clone is not listed as a draft");
    await screenshot(page, "history-with-clone");
    let asked = "";
    page.once("dialog", (d) => {
      asked = d.message();
      d.accept();
    });
    await Promise.all([
      page.waitForNavigation({ waitUntil: "load" }),
      cloneRow.getByRole("button", { name: "Delete draft" }).click(),
    ]);
    if (!asked.includes("Delete the draft prod-2")) fail(`deleting asked ${JSON.stringify(asked)}`);
    if (await page.locator(`a[href="/installs/${cloneId}"]`).count()) fail("the deleted draft is still listed");
    if (!(await page.locator(`a[href="/installs/${id}"]`).count())) fail("the install went with the draft");

    if (outageNoise.length) log(`while the console was down the page said (expected):\n  ${outageNoise.join("\n  ")}`);
    if (problems.length) fail(`the pages reported ${problems.length} problem(s):\n  ${problems.join("\n  ")}`);
    process.stdout.write(`EVENTS ${id} ${shown.length}\n`);
    log("passed");
  } finally {
    await context.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
    stdinLines.close();
  }
}

const watchdog = setTimeout(() => {
  process.stderr.write(`E2E FAILED: still running after ${WATCHDOG_MS / 1000} s\n`);
  process.exit(1);
}, WATCHDOG_MS);
watchdog.unref();

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`E2E FAILED: ${err.e2e ? err.message : err.stack ?? err}\n`);
    if (problems.length && !String(err.message).includes("problem(s)")) {
      process.stderr.write(`also reported by the pages:\n  ${problems.join("\n  ")}\n`);
    }
    process.exit(1);
  },
);
