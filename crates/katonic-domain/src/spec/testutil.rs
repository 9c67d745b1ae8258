//! Fixtures shared by the spec's tests: the issue's sample document and small builders.
// Test fixtures only (the `testutil` feature): a sample that does not parse is a failed test.
#![allow(clippy::expect_used)]

use super::{InstallDocument, InstallSpec, from_yaml};

pub const SUBSCRIPTION: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";
pub const TENANT: &str = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

/// The issue's sample document, with real-looking GUIDs.
pub fn sample_yaml() -> String {
    format!(
        r#"apiVersion: katonic.ai/v1
kind: Install
name: prod
azure: {{ subscriptionId: {SUBSCRIPTION}, tenantId: {TENANT}, location: eastus, resourceGroup: rg-katonic-prod }}
cluster:
  mode: create
  name: katonic-prod
  kubernetesVersion: "1.30"
  zones: ["1", "2"]
  network: {{ vnetCidr: 10.20.0.0/16, aksSubnetCidr: 10.20.0.0/26, jumphostSubnetCidr: 10.20.0.64/29,
             plugin: azure-overlay, podCidr: 192.168.0.0/16, serviceCidr: 172.16.0.0/16, dnsServiceIp: 172.16.0.10 }}
  nodePools:
    platform: {{ vmSize: Standard_DS3_v2, count: 2 }}
    compute:  {{ vmSize: Standard_D8s_v3, min: 1, max: 4 }}
    gpu:      {{ vmSize: Standard_NC4as_T4_v3, min: 0, max: 2 }}
domain: {{ fqdn: katonic.example.com }}
ingress: {{ loadBalancer: internal }}
storage: {{ sharedFiles: true }}
addons: {{ superset: true, airbyte: true }}
platform: {{ version: 5.0.9 }}
"#
    )
}

pub fn sample_doc() -> InstallDocument {
    from_yaml(&sample_yaml()).expect("the sample document reads")
}

pub fn sample_spec() -> InstallSpec {
    InstallSpec::parse(&sample_doc()).expect("the sample document parses")
}
