#!/usr/bin/env python3
"""Regenerate azure.json (beside this file) from Microsoft's OpenAPI specs.

Usage: python3 generate.py /path/to/shared/azure-specs /path/to/repo/specs/extra > azure.json

The second root holds specs this repository keeps itself (see its README.md); a `$ref` from there
to a file it does not have resolves against the same relative path under the first root (so
`./network.json` from `extra/Microsoft.Network/2025-07-01/` reads the shared copy). Keeps, for the operations the simulator serves, the request-body and response schemas with
every $ref resolved into a flat "defs" table, allOf merged, and descriptions dropped.
"""
import json
import os
import sys

ROOT = os.path.normpath(sys.argv[1] if len(sys.argv) > 1 else ".")
EXTRA = os.path.normpath(sys.argv[2]) if len(sys.argv) > 2 else None
# Files under EXTRA (the repository's own specs/extra, provenance in a README beside each), with
# a prefix for their operation ids: Public and Private DNS share operation names.
EXTRA_FILES = [
    ("Microsoft.Network/2025-07-01/publicIpAddress.json", ""),
    ("Microsoft.Network/2018-05-01/dns.json", "Dns."),
    ("Microsoft.Network/2024-06-01/privatedns.json", "PrivateDns."),
    ("Microsoft.Network/2025-07-01/webapplicationfirewall.json", ""),
]
FILES = [
    "Microsoft.Resources/2025-04-01/resources.json",
    "Microsoft.Network/2025-07-01/virtualNetwork.json",
    "Microsoft.Network/2025-07-01/networkSecurityGroup.json",
    "Microsoft.Network/2025-07-01/applicationGateway.json",
    "Microsoft.ManagedIdentity/2023-01-31/ManagedIdentity.json",
    "Microsoft.Authorization/2022-04-01/authorization-RoleAssignmentsCalls.json",
    "Microsoft.Authorization/2022-04-01/authorization-RoleDefinitionsCalls.json",
    "Microsoft.Storage/2025-06-01/storage.json",
    "Microsoft.Storage/2025-06-01/blob.json",
    "Microsoft.Storage/2025-06-01/file.json",
    "Microsoft.ContainerRegistry/2025-04-01/containerregistry.json",
    "Microsoft.Compute/2025-04-01/computeRPCommon.json",
    "Microsoft.Compute/2021-07-01/skus.json",
    "Microsoft.ContainerService/2025-10-01/managedClusters.json",
]
OPS = {
    "ResourceGroups_CreateOrUpdate", "ResourceGroups_Get", "ResourceGroups_List", "Providers_Get",
    "Providers_Register", "VirtualNetworks_CreateOrUpdate", "VirtualNetworks_Get",
    "Subnets_CreateOrUpdate", "Subnets_Get", "NetworkSecurityGroups_CreateOrUpdate",
    "NetworkSecurityGroups_Get", "UserAssignedIdentities_CreateOrUpdate",
    "UserAssignedIdentities_Get", "RoleAssignments_Create", "RoleAssignments_Get",
    "RoleAssignments_ListForScope", "Permissions_ListForResourceGroup", "RoleDefinitions_Get",
    "RoleDefinitions_List",
    "StorageAccounts_CheckNameAvailability", "StorageAccounts_Create",
    "StorageAccounts_GetProperties", "StorageAccounts_ListKeys", "BlobContainers_Create",
    "BlobContainers_Get", "FileShares_Create", "FileShares_Get",
    "Registries_CheckNameAvailability", "Registries_Create", "Registries_Get", "Usage_List",
    "ResourceSkus_List", "ManagedClusters_ListKubernetesVersions",
    "ManagedClusters_CreateOrUpdate", "ManagedClusters_Get", "AgentPools_CreateOrUpdate",
    "AgentPools_Get", "AgentPools_List", "ManagedClusters_ListClusterAdminCredentials",
    "PublicIPAddresses_CreateOrUpdate", "PublicIPAddresses_Get",
    "Dns.Zones_CreateOrUpdate", "Dns.Zones_Get", "Dns.RecordSets_CreateOrUpdate", "Dns.RecordSets_Get",
    "Dns.RecordSets_Delete", "PrivateDns.PrivateZones_CreateOrUpdate", "PrivateDns.PrivateZones_Get",
    "PrivateDns.VirtualNetworkLinks_CreateOrUpdate", "PrivateDns.VirtualNetworkLinks_Get",
    "PrivateDns.VirtualNetworkLinks_List", "PrivateDns.RecordSets_CreateOrUpdate",
    "PrivateDns.RecordSets_Get", "PrivateDns.RecordSets_Delete",
    "ApplicationGateways_CreateOrUpdate", "ApplicationGateways_Get", "ApplicationGateways_List",
    "ApplicationGateways_BackendHealth",
    "WebApplicationFirewallPolicies_CreateOrUpdate", "WebApplicationFirewallPolicies_Get",
}
# Issue 14, item 5: the jumphost subnet's NAT gateway.
FILES += ["Microsoft.Network/2025-07-01/natGateway.json"]
OPS |= {"NatGateways_CreateOrUpdate", "NatGateways_Get"}

KEEP = ["type", "enum", "pattern", "minimum", "maximum", "minLength", "maxLength",
        "minItems", "maxItems", "format", "readOnly", "x-nullable"]

cache = {}
defs = {}


def locate(path):
    """A file under EXTRA that is not there falls back to the same relative path under ROOT."""
    path = os.path.normpath(path)
    if EXTRA and not os.path.exists(path) and path.startswith(EXTRA + os.sep):
        return os.path.join(ROOT, os.path.relpath(path, EXTRA))
    return path


def load(path):
    path = locate(path)
    if path not in cache:
        with open(path) as f:
            cache[path] = json.load(f)
    return cache[path]


def key_of(path, name):
    path = locate(path)
    base = EXTRA if EXTRA and path.startswith(EXTRA + os.sep) else ROOT
    rel = os.path.relpath(path, base)
    stem = rel.split("/")[0].replace("Microsoft.", "") + ":" + os.path.basename(rel).replace(".json", "")
    return stem + "#" + name


def resolve_ref(base, ref):
    file, _, frag = ref.partition("#")
    path = locate(os.path.join(os.path.dirname(base), file)) if file else base
    parts = [p for p in frag.split("/") if p]
    node = load(path)
    for p in parts:
        node = node[p]
    return path, parts, node


def conv(base, node):
    """Convert a schema node; definitions become {"ref": key}."""
    if "$ref" in node:
        path, parts, target = resolve_ref(base, node["$ref"])
        if len(parts) == 2 and parts[0] == "definitions":
            k = key_of(path, parts[1])
            if k not in defs:
                defs[k] = None  # placeholder against cycles
                defs[k] = conv_def(path, target)
            out = {"ref": k}
            if node.get("readOnly"):
                out["readOnly"] = True
            return out
        if parts and parts[0] == "parameters":
            return conv(path, target.get("schema", target))
        return conv(path, target)
    return conv_def(base, node)


def conv_def(base, node):
    out = {k: node[k] for k in KEEP if k in node}
    if node.get("x-ms-enum", {}).get("modelAsString"):
        out["mas"] = True
    props = {}
    required = list(node.get("required", []))
    for sub in node.get("allOf", []):
        s = conv(base, sub)
        s = defs.get(s["ref"]) if "ref" in s else s
        merged = flatten(s)
        props.update(merged.get("properties", {}))
        required += merged.get("required", [])
        if "additionalProperties" in merged and "additionalProperties" not in out:
            out["additionalProperties"] = merged["additionalProperties"]
        if "type" in merged and "type" not in out:
            out["type"] = merged["type"]
    for name, p in node.get("properties", {}).items():
        props[name] = conv(base, p)
    if props:
        out["properties"] = props
        out.setdefault("type", "object")
    if required:
        out["required"] = sorted(set(required))
    if "items" in node:
        out["items"] = conv(base, node["items"])
    ap = node.get("additionalProperties")
    if isinstance(ap, dict):
        out["additionalProperties"] = conv(base, ap)
    elif ap is True:
        out["additionalProperties"] = True
    return out


def flatten(d):
    """Follow allOf-merged parents already converted (they carry their own properties)."""
    if d is None:
        return {}
    if "ref" in d:
        return flatten(defs.get(d["ref"]))
    return d


if EXTRA is None:
    sys.exit("usage: generate.py <shared/azure-specs> <specs/extra>")
ops = {}
for f, path, prefix in [(f, os.path.join(ROOT, f), "") for f in FILES] + [
    ("extra/" + f, os.path.join(EXTRA, f), prefix) for f, prefix in EXTRA_FILES
]:
    path = os.path.normpath(path)
    spec = load(path)
    for p, methods in spec.get("paths", {}).items():
        shared_params = methods.get("parameters", [])
        for m, op in methods.items():
            if m == "parameters" or prefix + op.get("operationId", "") not in OPS:
                continue
            entry = {"file": f, "path": p, "method": m.upper(), "responses": {}}
            for param in shared_params + op.get("parameters", []):
                if "$ref" in param:
                    _, _, param = resolve_ref(path, param["$ref"])
                if param.get("in") == "body":
                    entry["request"] = conv(path, param["schema"])
                    entry["requestRequired"] = bool(param.get("required"))
            for code, resp in op.get("responses", {}).items():
                if "$ref" in resp:
                    _, _, resp = resolve_ref(path, resp["$ref"])
                entry["responses"][code] = conv(path, resp["schema"]) if "schema" in resp else None
            ops[prefix + op["operationId"]] = entry

missing = OPS - set(ops)
if missing:
    sys.exit("missing operations: %s" % sorted(missing))
json.dump({"defs": defs, "ops": ops}, sys.stdout, separators=(",", ":"), sort_keys=True)
