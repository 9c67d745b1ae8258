// The wizard's network page offers the VNet the console runs in first (issue 14), in a real
// browser, against a `serve --simulate` console placed in vnet-jump/snet-jump by
// tests/it/browser_network.rs:
//
//   node tests/e2e/network.spec.mjs <access URL> <draft id>
//
// 1. The draft's Cluster & network page: "Install into the VNet this console runs in" comes
// before the fields, names vnet-jump and rg-jump, lists its subnets (snet-jump the console's own,
// snet-cluster free) and says the cluster is then reached directly, a new VNet through Run
// Command. 2. Install into vnet-jump: the fields take Azure's ranges. 3. Review, Queue install,
// and the install succeeds reaching the cluster directly.
// Screenshots go to target/e2e-screenshots/network-NN-name.png. Exits 1 with a clear message on
// any failed expectation, console error or uncaught page error.

import {
  RUN_TIMEOUT_MS, STEP_TIMEOUT_MS, clearScreenshots, fail, launch, log, run, screenshots,
} from "./harness.mjs";

const problems = [];
const screenshot = screenshots("network");

function watch(page) {
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`${page.url()}: console error: ${msg.text()}`);
  });
  page.on("pageerror", (err) => problems.push(`${page.url()}: uncaught page error: ${err.message}`));
}

async function text(locator) {
  return ((await locator.textContent()) ?? "").replace(/\s+/g, " ").trim();
}

async function offered(page, origin, id) {
  await page.goto(`${origin}/installs/${id}/wizard/cluster`);
  const section = page.locator("#console-network");
  await section.waitFor();
  const choice = page.locator("#console-vnet-choice");
  if (!(await choice.isVisible())) fail(`no console VNet offered: ${await text(section)}`);
  const first = await page.evaluate(() => {
    const offer = document.querySelector("#console-vnet-choice");
    const form = document.querySelector("#wizard-form");
    return Boolean(offer.compareDocumentPosition(form) & Node.DOCUMENT_POSITION_FOLLOWING);
  });
  if (!first) fail("the console's VNet is not offered before the new-VNet fields");
  const heading = await text(choice.locator("h3"));
  if (!heading.includes("Install into the VNet this console runs in")) fail(`the first choice reads: ${heading}`);
  if ((await choice.locator("[data-console-vnet]").getAttribute("data-console-vnet")) !== "vnet-jump") fail("not vnet-jump");
  if ((await choice.locator("[data-console-vnet-group]").getAttribute("data-console-vnet-group")) !== "rg-jump") fail("not rg-jump");
  const own = choice.locator('tr[data-subnet="snet-jump"]');
  const free = choice.locator('tr[data-subnet="snet-cluster"]');
  if ((await own.getAttribute("data-status")) !== "console") fail(`snet-jump: ${await text(own)}`);
  if ((await free.getAttribute("data-status")) !== "free") fail(`snet-cluster: ${await text(free)}`);
  if (!(await text(free)).includes("10.250.1.0/24")) fail(`snet-cluster's range: ${await text(free)}`);
  if ((await page.locator("#console-vnet-aks").inputValue()) !== "snet-cluster") fail("AKS subnet not proposed");
  if ((await page.locator("#console-vnet-jumphost").inputValue()) !== "snet-jump") fail("jumphost subnet not proposed");
  // vnet-jump has no free subnet besides snet-cluster: no room for the Application Gateway.
  if ((await page.locator("#console-vnet-gateway").inputValue()) !== "none") fail("a gateway subnet was proposed in a VNet with none free");
  const here = await page.locator("#reach-console-vnet [data-reach]").getAttribute("data-reach");
  if (here !== "direct") fail(`in the console's VNet the cluster would be reached: ${here}`);
  const elsewhere = await page.locator("#new-vnet-choice [data-reach]").getAttribute("data-reach");
  if (elsewhere !== "runCommand") fail(`in a new VNet the cluster would be reached: ${elsewhere}`);
  await screenshot(page, "offered");
}

async function choose(page, origin, id) {
  await page.getByRole("button", { name: "Install into vnet-jump" }).click();
  await page.waitForURL(new RegExp(`/installs/${id}/wizard/cluster#console-network$`));
  await page.locator("#console-vnet-chosen").waitFor();
  const value = (path) => page.locator(`[name="${path}"]`).first().inputValue();
  const want = {
    "cluster.network.vnetCidr": "10.250.0.0/16",
    "cluster.network.aksSubnetCidr": "10.250.1.0/24",
    "cluster.network.jumphostSubnetCidr": "10.250.0.0/24",
    "cluster.network.existingVnet.resourceGroup": "rg-jump",
    "cluster.network.existingVnet.name": "vnet-jump",
    "cluster.network.existingVnet.aksSubnet": "snet-cluster",
    "cluster.network.existingVnet.jumphostSubnet": "snet-jump",
  };
  for (const [path, expected] of Object.entries(want)) {
    const got = await value(path);
    if (got !== expected) fail(`${path} is ${got}, not ${expected}`);
  }
  if (!(await page.locator('[name="cluster.network.existingVnet"]').first().isChecked())) fail("existing VNet not ticked");
  await screenshot(page, "chosen");
}

async function installs(page, origin, id) {
  await page.goto(`${origin}/installs/${id}/review`);
  await page.getByRole("button", { name: "Queue install" }).click();
  await page.waitForURL(new RegExp(`/installs/${id}$`));
  try {
    await page.waitForFunction(
      () => document.querySelector("#run-header .status")?.textContent.trim() === "succeeded",
      null,
      { timeout: RUN_TIMEOUT_MS, polling: 200 },
    );
  } catch {
    fail(`the install never succeeded (it shows \`${await text(page.locator("#run-header .status").first())}\`)`);
  }
  await page.reload();
  const mode = await page.locator("#cluster-access [data-cluster-access]").getAttribute("data-cluster-access");
  if (mode !== "direct") fail(`the install page says the cluster is reached: ${mode}`);
  await page.locator("#cluster-access").scrollIntoViewIfNeeded();
  await screenshot(page, "succeeded-direct", false);
}

async function main() {
  const [url, id] = process.argv.slice(2);
  if (!url || !id) fail("usage: node tests/e2e/network.spec.mjs <access URL> <draft id>");
  clearScreenshots("network");
  const origin = new URL(url).origin;
  const { context, close } = await launch("network");
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    watch(page);
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    await page.goto(url);
    await offered(page, origin, id);
    await choose(page, origin, id);
    await installs(page, origin, id);
    log("the console's VNet was offered first and the install reached the cluster directly");
    if (problems.length) fail(`${problems.length} problem(s):\n  ${problems.join("\n  ")}`);
  } finally {
    await close();
  }
}

run(main, problems);
