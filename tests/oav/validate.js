// Validates recorded ARM traffic (oav's live-traffic format, one JSON file per call) against
// Microsoft's OpenAPI specs, fully offline, with oav's LiveValidator.
//   node validate.js <specs-dir> <traffic-dir>
// Prints one line per call and a summary; exits 1 if any request or response is invalid, or if
// any call matched no operation (an unvalidated call must not pass silently).
"use strict";
const fs = require("fs");
const path = require("path");
const { LiveValidator } = require("oav");

async function main() {
  const [specsDir, trafficDir] = process.argv.slice(2);
  if (!specsDir || !trafficDir) {
    console.error("usage: node validate.js <specs-dir> <traffic-dir>");
    process.exit(2);
  }
  const validator = new LiveValidator({
    directory: path.resolve(specsDir),
    swaggerPathsPattern: ["**/*.json"],
    excludedSwaggerPathsPattern: ["**/_stub_*.json", "**/common-types/**", "**/common.json", "**/privatelinks.json"],
    git: { shouldClone: false },
    isPathCaseSensitive: false,
  });
  await validator.initialize();
  const files = fs.readdirSync(trafficDir).filter((f) => f.endsWith(".json")).sort();
  let failed = 0;
  let unmatched = 0;
  const unmatchedOk = [];
  for (const file of files) {
    const pair = JSON.parse(fs.readFileSync(path.join(trafficDir, file), "utf8"));
    const result = await validator.validateLiveRequestResponse(pair);
    const req = result.requestValidationResult;
    const res = result.responseValidationResult;
    const op = (req.operationInfo && req.operationInfo.operationId) || "?";
    const errors = [...(req.errors || []), ...(res.errors || [])];
    const label = `${pair.liveRequest.method} ${pair.liveRequest.url.split("?")[0]} -> ${pair.liveResponse.statusCode}`;
    if (op === "?" || errors.some((e) => e.code === "OPERATION_NOT_FOUND_IN_CACHE_WITH_PROVIDER" || e.code === "OPERATION_NOT_FOUND_IN_CACHE")) {
      unmatched++;
      unmatchedOk.push(label);
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
  console.log(JSON.stringify({ calls: files.length, invalid: failed, unmatched }));
  process.exit(failed > 0 || unmatched > 0 ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
