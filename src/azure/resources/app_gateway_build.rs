//! An Application Gateway's body from its design: every child named, and referenced by the
//! others through `{gateway id}/{collection}/{name}`.

use super::*;

fn sub(id: String) -> SubResource {
    SubResource { id }
}

impl GatewayDesign {
    /// `{gateway id}/{collection}/{name}`: how one child references another.
    fn child_id(&self, collection: &str, name: &str) -> SubResource {
        sub(format!("{}/{collection}/{name}", self.gateway_id))
    }

    fn frontend_name(&self) -> &'static str {
        match self.frontend {
            Frontend::Public { .. } => child::FRONTEND_PUBLIC,
            Frontend::Private { .. } => child::FRONTEND_PRIVATE,
        }
    }

    fn frontend(&self) -> Child<FrontendIpConfiguration> {
        let properties = match &self.frontend {
            Frontend::Public { public_ip_id } => FrontendIpConfiguration {
                public_ip_address: Some(sub(public_ip_id.clone())),
                private_ip_address: None,
                private_ip_allocation_method: None,
                subnet: None,
            },
            Frontend::Private { address } => FrontendIpConfiguration {
                public_ip_address: None,
                private_ip_address: Some(address.to_string()),
                private_ip_allocation_method: Some("Static"),
                subnet: Some(sub(self.subnet_id.clone())),
            },
        };
        child(self.frontend_name(), properties)
    }

    fn backend_settings(&self) -> Child<BackendHttpSettings> {
        let roots = self
            .trusted_root_der_base64
            .as_ref()
            .map(|_| self.child_id("trustedRootCertificates", child::BACKEND_ROOT))
            .into_iter()
            .collect();
        child(
            child::BACKEND_SETTINGS,
            BackendHttpSettings {
                port: 443,
                protocol: "Https",
                cookie_based_affinity: "Disabled",
                request_timeout: 120,
                pick_host_name_from_backend_address: false,
                probe: self.child_id("probes", child::PROBE),
                trusted_root_certificates: roots,
            },
        )
    }

    fn probe(&self) -> Child<Probe> {
        child(
            child::PROBE,
            Probe {
                protocol: "Https",
                host: self.hosts.first().cloned().unwrap_or_default(),
                path: self.health_path.clone(),
                interval: 30,
                timeout: 30,
                unhealthy_threshold: 3,
                pick_host_name_from_backend_http_settings: false,
                matches: ProbeMatch {
                    status_codes: vec!["200-399".to_string()],
                },
            },
        )
    }

    /// Per host: an HTTPS listener routed to the ingress, and an HTTP listener redirected to it.
    fn per_host(&self) -> PerHost {
        let mut out = PerHost::default();
        let frontend = self.child_id("frontendIPConfigurations", self.frontend_name());
        for (i, host) in self.hosts.iter().enumerate() {
            let (https, http) = (format!("https-{i}"), format!("http-{i}"));
            let https_id = self.child_id("httpListeners", &https);
            out.listeners.push(child(
                &https,
                HttpListener {
                    frontend_ip_configuration: frontend.clone(),
                    frontend_port: self.child_id("frontendPorts", child::PORT_HTTPS),
                    protocol: "Https",
                    host_name: host.clone(),
                    ssl_certificate: Some(self.child_id("sslCertificates", child::CERTIFICATE)),
                    require_server_name_indication: true,
                },
            ));
            out.listeners.push(child(
                &http,
                HttpListener {
                    frontend_ip_configuration: frontend.clone(),
                    frontend_port: self.child_id("frontendPorts", child::PORT_HTTP),
                    protocol: "Http",
                    host_name: host.clone(),
                    ssl_certificate: None,
                    require_server_name_indication: false,
                },
            ));
            let redirect = format!("redirect-{i}");
            out.redirects.push(child(
                &redirect,
                RedirectConfiguration {
                    redirect_type: "Permanent",
                    target_listener: https_id.clone(),
                    include_path: true,
                    include_query_string: true,
                },
            ));
            // Two rules per host, 10 apart: room to insert one between them later.
            let priority = 100 + 20 * i as u32;
            out.rules.push(child(
                format!("route-{i}"),
                RequestRoutingRule {
                    rule_type: "Basic",
                    priority,
                    http_listener: https_id,
                    backend_address_pool: Some(
                        self.child_id("backendAddressPools", child::BACKEND_POOL),
                    ),
                    backend_http_settings: Some(
                        self.child_id("backendHttpSettingsCollection", child::BACKEND_SETTINGS),
                    ),
                    redirect_configuration: None,
                },
            ));
            out.rules.push(child(
                format!("redirect-{i}"),
                RequestRoutingRule {
                    rule_type: "Basic",
                    priority: priority + 10,
                    http_listener: self.child_id("httpListeners", &http),
                    backend_address_pool: None,
                    backend_http_settings: None,
                    redirect_configuration: Some(
                        self.child_id("redirectConfigurations", &redirect),
                    ),
                },
            ));
        }
        out
    }
}

#[derive(Default)]
struct PerHost {
    listeners: Vec<Child<HttpListener>>,
    redirects: Vec<Child<RedirectConfiguration>>,
    rules: Vec<Child<RequestRoutingRule>>,
}

impl ApplicationGateway {
    /// The gateway `design` describes.
    pub fn build(design: &GatewayDesign) -> Self {
        let per_host = design.per_host();
        let name = design.sku.as_str();
        let properties = GatewayProperties {
            sku: GatewaySku { name, tier: name },
            ssl_policy: SslPolicy {
                policy_type: "Predefined",
                policy_name: "AppGwSslPolicy20220101",
            },
            autoscale_configuration: AutoscaleConfiguration {
                min_capacity: design.min_capacity,
                max_capacity: design.max_capacity,
            },
            gateway_ip_configurations: vec![child(
                child::GATEWAY_IP,
                SubnetRef {
                    subnet: sub(design.subnet_id.clone()),
                },
            )],
            frontend_ip_configurations: vec![design.frontend()],
            frontend_ports: vec![
                child(child::PORT_HTTPS, FrontendPort { port: 443 }),
                child(child::PORT_HTTP, FrontendPort { port: 80 }),
            ],
            ssl_certificates: vec![child(
                child::CERTIFICATE,
                SslCertificate {
                    data: design.certificate.pfx_base64.clone(),
                    password: design.certificate.password.clone(),
                },
            )],
            trusted_root_certificates: design
                .trusted_root_der_base64
                .iter()
                .map(|data| {
                    child(
                        child::BACKEND_ROOT,
                        TrustedRootCertificate { data: data.clone() },
                    )
                })
                .collect(),
            backend_address_pools: vec![child(
                child::BACKEND_POOL,
                BackendAddressPool {
                    backend_addresses: vec![BackendAddress {
                        ip_address: design.backend_address.to_string(),
                    }],
                },
            )],
            backend_http_settings_collection: vec![design.backend_settings()],
            probes: vec![design.probe()],
            http_listeners: per_host.listeners,
            redirect_configurations: per_host.redirects,
            request_routing_rules: per_host.rules,
            firewall_policy: design.firewall_policy_id.clone().map(sub),
            enable_http2: true,
        };
        ApplicationGateway {
            location: design.location.clone(),
            tags: design.tags.clone(),
            zones: design.zones.clone(),
            properties,
        }
    }
}

/// The body without the certificate's secrets: what an existing gateway is compared with
/// (Azure never returns `data` or `password`, so they cannot decide adoption).
pub fn shape_without_secrets(body: &serde_json::Value) -> serde_json::Value {
    let mut shape = body.clone();
    if let Some(certs) = shape
        .pointer_mut("/properties/sslCertificates")
        .and_then(serde_json::Value::as_array_mut)
    {
        for cert in certs {
            if let Some(props) = cert
                .get_mut("properties")
                .and_then(serde_json::Value::as_object_mut)
            {
                props.remove("data");
                props.remove("password");
            }
        }
    }
    if let Some(map) = shape.as_object_mut() {
        map.remove("tags");
    }
    shape
}
