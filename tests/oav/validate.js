// Validates recorded ARM traffic (oav's live-traffic format, one JSON file per call) against
// Microsoft's OpenAPI specs, fully offline, with oav's LiveValidator.
//   node validate.js <specs-dir> <traffic-dir> [<extra-specs-dir>...]
// Extra spec trees (the repository's specs/extra: public IP, DNS, Private DNS) are laid over a
// copy of the first, so their relative $refs (./network.json) resolve as upstream.
// Prints one line per call and a summary; exits 1 if any request or response is invalid, or if
// a call matched no operation, unless it is one of the UNSPECIFIED calls below (an unvalidated
// call must not pass silently).
"use strict";

// Calls the saved specs cannot validate, each with the reason:
const UNSPECIFIED = [
  // Microsoft.Resources subscriptions (Subscriptions_Get, Subscriptions_ListLocations): spec not saved.
  [/^\/subscriptions\/[^/]+$/i, "subscription (spec not saved)"],
  [/^\/subscriptions\/[^/]+\/locations$/i, "subscription locations (spec not saved)"],
  // Providers_Get / Providers_Register: oav 4.0.3 indexes them under the namespace in the URL and
  // finds no operation (shared/azure-specs/README.md).
  [/^\/subscriptions\/[^/]+\/providers\/[^/]+(\/register)?$/i, "provider registration (oav limitation)"],
  // A Private DNS zone's virtual network link: oav 4.0.3 also matches the {recordType}/{name}
  // record-set template and validates neither (MULTIPLE_OPERATIONS_FOUND). The simulator checks
  // its body against the same spec (crates/katonic-sim/src/schema). Only the tests create links.
  [/\/privateDnsZones\/[^/]+\/virtualNetworkLinks\/[^/]+$/i, "private DNS zone link (oav: ambiguous path)"],
  // Microsoft.Features (Features_Get/Features_Register: the preflight's read of
  // EnableApplicationGatewayNetworkIsolation for a private-only Application Gateway): the
  // resources spec folder saved in shared/azure-specs has no Microsoft.Features.
  [/\/providers\/Microsoft\.Features\/providers\/[^/]+\/features\/[^/]+(\/register)?$/i, "subscription feature (spec not saved)"],
  // Long-running operation status URLs are opaque: no spec defines them as operations.
  [/\/providers\/[^/]+\/locations\/[^/]+\/(operations|asyncoperations|operationresults)\/[^/]+$/i, "operation status"],
];

function unspecified(url) {
  const path = new URL(url).pathname;
  const hit = UNSPECIFIED.find(([re]) => re.test(path));
  return hit ? hit[1] : null;
}
const fs = require("fs");
const path = require("path");
const { LiveValidator } = require("oav");

async function main() {
  const [specsDir, trafficDir, ...extraDirs] = process.argv.slice(2);
  if (!specsDir || !trafficDir) {
    console.error("usage: node validate.js <specs-dir> <traffic-dir> [<extra-specs-dir>...]");
    process.exit(2);
  }
  let directory = path.resolve(specsDir);
  if (extraDirs.length > 0) {
    const merged = fs.mkdtempSync(path.join(require("os").tmpdir(), "oav-specs-"));
    fs.cpSync(directory, merged, { recursive: true });
    for (const extra of extraDirs) fs.cpSync(path.resolve(extra), merged, { recursive: true });
    process.on("exit", () => fs.rmSync(merged, { recursive: true, force: true }));
    directory = merged;
  }
  const validator = new LiveValidator({
    directory,
    swaggerPathsPattern: ["**/*.json"],
    excludedSwaggerPathsPattern: ["**/_stub_*.json", "**/common-types/**", "**/common.json", "**/privatelinks.json"],
    git: { shouldClone: false },
    isPathCaseSensitive: false,
  });
  await validator.initialize();
  const files = fs.readdirSync(trafficDir).filter((f) => f.endsWith(".json")).sort();
  let failed = 0;
  let unmatched = 0;
  let skipped = 0;
  for (const file of files) {
    const pair = JSON.parse(fs.readFileSync(path.join(trafficDir, file), "utf8"));
    const label = `${pair.liveRequest.method} ${pair.liveRequest.url.split("?")[0]} -> ${pair.liveResponse.statusCode}`;
    const reason = unspecified(pair.liveRequest.url);
    if (reason) {
      skipped++;
      console.log(`skipped ${file} (${reason}) ${label}`);
      continue;
    }
    const result = await validator.validateLiveRequestResponse(pair);
    const req = result.requestValidationResult;
    const op = (req.operationInfo && req.operationInfo.operationId) || "unknownOperationId";
    // A 404 answers a "does it exist?" GET with ARM's error envelope, which most specs do not
    // declare: the request is validated, the response is not.
    const probe = String(pair.liveResponse.statusCode) === "404" && pair.liveRequest.method === "GET";
    const res = probe ? { isSuccessful: true, errors: [] } : result.responseValidationResult;
    const errors = [...(req.errors || []), ...(res.errors || [])];
    if (op === "unknownOperationId") {
      unmatched++;
      console.log(`UNMATCHED ${file} ${label}`);
      continue;
    }
    if (!req.isSuccessful || !res.isSuccessful) {
      failed++;
      console.log(`INVALID ${file} ${op} ${label}`);
      for (const e of errors) console.log(`    ${e.code}: ${e.message} ${e.jsonPathsInPayload || ""}`);
    } else {
      console.log(`ok ${file} ${op}`);
    }
  }
  console.log(JSON.stringify({ calls: files.length, validated: files.length - skipped - unmatched, invalid: failed, unmatched, skipped }));
  process.exit(failed > 0 || unmatched > 0 ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
