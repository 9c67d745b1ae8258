//! What the replay sends but does not judge: operations the console never performs, and
//! interactions whose request carries what Azure answered at the time and cannot answer today.

/// Operations the console never performs and the simulator does not serve: sent (they may
/// change state as in Azure) but not judged. Matched against the operation name.
const OUT_OF_SCOPE: [&str; 27] = [
    // A provider's list of its RBAC operations (`az identity list-operations`).
    "Microsoft.ManagedIdentity/operations",
    // A VNet's address-availability check: the console plans its own address space.
    "/CheckIPAddressAvailability",
    // Registry usage and admin credentials: the console grants AcrPull to the kubelet identity
    // and never reads or rotates the admin user's passwords.
    "/listUsages",
    "/regenerateCredential",
    "/listCredentials",
    // Route tables and public IP prefixes: the console creates neither (it only reads the
    // route table a customer's subnet names, `src/steps/preflight/egress.rs`).
    "/routeTables",
    "/publicIPPrefixes",
    // VPN and NIC resources around the peering of `test_cli_mgmt_network_base`: the console
    // makes no NIC of its own, no VPN gateway, local gateway or connection.
    "/networkInterfaces",
    "/virtualNetworkGateways",
    "/localNetworkGateways",
    "Microsoft.Network/connections",
    "/ServiceAssociationLinks",
    "/ResourceNavigationLinks",
    // An NSG's rules as child resources: the console writes its rules inside the NSG.
    "/securityRules",
    // Around the blob container of azure-mgmt-storage 16.0.0's `test_cli_mgmt_storage`: the
    // console sets no private endpoint, encryption scope, lifecycle policy, immutability
    // policy, legal hold or lease, revokes no delegation keys, and leaves the blob and file
    // services' properties (`…/blobServices/default`, `…/fileServices/default`) as created.
    "Microsoft.Network/privateEndpoints",
    "/encryptionScopes",
    "/managementPolicies",
    "/privateEndpointConnections",
    "/privateLinkResources",
    "/immutabilityPolicies",
    "/setLegalHold",
    "/clearLegalHold",
    "/lease",
    "/revokeUserDelegationKeys",
    "/blobServices/{}$",
    "/fileServices/{}$",
    "/fileServices$",
];

/// Whether the operation is out of scope: a `$`-ended entry matches the name's end, any
/// other anywhere in it.
pub fn out_of_scope(op: &str) -> bool {
    OUT_OF_SCOPE.iter().any(|t| match t.strip_suffix('$') {
        Some(end) => op.ends_with(end),
        None => op.contains(t),
    })
}

/// Interactions whose request carries what Azure answered at the time and cannot answer today:
/// sent, not judged (the polls of their operations neither). (recording, interaction index).
pub const TIME_BOUND: [(&str, usize); 3] = [
    // `aks update` PUTs back the cluster as GET answered it in February 2022, with
    // kubernetesVersion 1.21.9 (then the default). The cluster the simulator made runs today's
    // default, so the PUT asks for a retired version and a downgrade; AKS refuses both
    // (K8sVersionNotSupported), as the simulator does.
    ("acs/test_aks_create_private_cluster_public_fqdn.yaml", 23),
    // In February 2021 AKS took a PUT naming availability zones for a pool made without them
    // and left them out (its answer has no zones); AKS refuses changing a pool's zones
    // (PropertyChangeNotAllowed), as the simulator does.
    ("test_mgmt_aks.test_agentPools.yaml", 7),
    // In September 2020 a new storage account allowed public blob access unless told
    // otherwise, and the container PATCH sets `publicAccess: Container`. Since the end of
    // 2023 Azure creates accounts with `allowBlobPublicAccess: false` (Azure CLI issue 27014,
    // checked 2026-12-07) and refuses it (PublicAccessNotPermitted), as the simulator does.
    ("test_cli_mgmt_storage.test_storage.yaml", 37),
];
