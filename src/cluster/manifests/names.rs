//! Names of the namespaces and objects the console creates; one place so steps, verification
//! and the simulator's tests agree.

/// The platform's own namespace (web, API, Superset and Airbyte front ends).
pub const PLATFORM_NAMESPACE: &str = "katonic";
/// The installer Job, its ConfigMap and the console's bookkeeping.
pub const SYSTEM_NAMESPACE: &str = "katonic-system";
/// The ingress controller and its load-balancer service.
pub const INGRESS_NAMESPACE: &str = "katonic-ingress";

/// TLS secret with the platform certificate, in [`PLATFORM_NAMESPACE`] (an Ingress can only
/// reference secrets of its own namespace).
pub const TLS_SECRET: &str = "katonic-tls";
/// The load-balancer service in front of the ingress controller.
pub const LB_SERVICE: &str = "katonic-ingress-lb";
/// Ingress class of the controller the platform installs.
pub const INGRESS_CLASS: &str = "nginx";
/// Label that selects the ingress controller's pods.
pub const INGRESS_CONTROLLER_SELECTOR: (&str, &str) =
    ("app.kubernetes.io/name", "katonic-ingress-nginx");

/// The platform installer Job and its settings ConfigMap, in [`SYSTEM_NAMESPACE`].
pub const INSTALLER_JOB: &str = "katonic-platform-installer";
pub const INSTALLER_CONFIG: &str = "katonic-install-settings";
/// `app.kubernetes.io/name` of the installer's pods (the simulator keys its health endpoint on it).
pub const INSTALLER_APP: &str = "katonic-platform-installer";

/// Where the platform answers its health check (`GET https://<fqdn>/healthz`).
pub const HEALTH_PATH: &str = "/healthz";
