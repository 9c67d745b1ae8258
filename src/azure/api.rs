//! The api-version used for each resource provider (the newest stable versions in
//! `shared/azure-specs`; see the Azure brief, §0).

pub const RESOURCES: &str = "2025-04-01";
pub const SUBSCRIPTIONS: &str = "2022-12-01";
pub const NETWORK: &str = "2025-07-01";
/// Application Gateways and their WAF policies: Microsoft.Network's, the newest GA version with
/// `applicationGateway.json` (shared) and `webapplicationfirewall.json` (`specs/extra`).
pub const APPLICATION_GATEWAY: &str = NETWORK;
/// Subscription features (`Microsoft.Features`), read for the gateway's network isolation.
pub const FEATURES: &str = "2021-07-01";
pub const CONTAINER_SERVICE: &str = "2025-10-01";
pub const STORAGE: &str = "2025-06-01";
pub const CONTAINER_REGISTRY: &str = "2025-04-01";
pub const MANAGED_IDENTITY: &str = "2023-01-31";
pub const AUTHORIZATION: &str = "2022-04-01";
pub const COMPUTE_USAGES: &str = "2025-04-01";
pub const COMPUTE_SKUS: &str = "2021-07-01";
/// Virtual machines (the console's own, read to find its network).
pub const COMPUTE_VMS: &str = "2025-04-01";
/// Public Azure DNS zones: 2018-05-01 is the newest stable version (`specs/extra`).
pub const DNS: &str = "2018-05-01";
/// Azure Private DNS zones (`specs/extra`).
pub const PRIVATE_DNS: &str = "2024-06-01";
