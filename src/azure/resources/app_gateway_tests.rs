use super::*;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

const GW: &str = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/applicationGateways/agw-katonic-demo";
const SUBNET: &str = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/snet-appgw";

fn design(frontend: Frontend, sku: GatewaySkuName) -> GatewayDesign {
    GatewayDesign {
        gateway_id: GW.into(),
        location: "eastus".into(),
        tags: super::super::install_tags("job-1"),
        zones: vec!["1".into(), "2".into(), "3".into()],
        sku,
        min_capacity: 2,
        max_capacity: 10,
        subnet_id: SUBNET.into(),
        frontend,
        backend_address: Ipv4Addr::new(10, 20, 0, 250),
        hosts: vec![
            "katonic.example.com".into(),
            "dash-katonic.example.com".into(),
            "connectors-katonic.example.com".into(),
        ],
        health_path: "/healthz".into(),
        certificate: GatewayCertificate {
            pfx_base64: SecretString::from("TUlJUGZ4RGF0YUJhc2U2NA==".to_string()),
            password: SecretString::from("Pfx0Password9".to_string()),
        },
        trusted_root_der_base64: Some("TUlJQ2VydA==".into()),
        firewall_policy_id: match sku {
            GatewaySkuName::WafV2 => Some("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies/waf-katonic-demo".into()),
            GatewaySkuName::StandardV2 => None,
        },
    }
}

fn public() -> Frontend {
    Frontend::Public {
        public_ip_id:
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/publicIPAddresses/pip"
                .into(),
    }
}

fn body(d: &GatewayDesign) -> Value {
    serde_json::to_value(ApplicationGateway::build(d)).unwrap()
}

#[test]
fn a_waf_v2_gateway_autoscales_across_zones_with_a_listener_pair_per_host() {
    let b = body(&design(public(), GatewaySkuName::WafV2));
    let p = &b["properties"];
    assert_eq!(p["sku"], json!({"name": "WAF_v2", "tier": "WAF_v2"}));
    assert!(
        p["sku"].get("capacity").is_none(),
        "autoscaling, no fixed capacity"
    );
    assert_eq!(
        p["autoscaleConfiguration"],
        json!({"minCapacity": 2, "maxCapacity": 10})
    );
    assert_eq!(b["zones"], json!(["1", "2", "3"]));
    assert_eq!(
        p["firewallPolicy"]["id"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next(),
        Some("waf-katonic-demo")
    );
    assert_eq!(
        p["gatewayIPConfigurations"][0]["properties"]["subnet"]["id"],
        SUBNET
    );
    assert_eq!(
        p["frontendIPConfigurations"][0],
        json!({"name": "frontend-public", "properties": {"publicIPAddress": {"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/publicIPAddresses/pip"}}})
    );
    let ports: Vec<u64> = p["frontendPorts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["properties"]["port"].as_u64().unwrap())
        .collect();
    assert_eq!(ports, [443, 80]);
    // One HTTPS (SNI, the certificate) and one HTTP listener per host.
    let listeners = p["httpListeners"].as_array().unwrap();
    assert_eq!(listeners.len(), 6);
    for host in [
        "katonic.example.com",
        "dash-katonic.example.com",
        "connectors-katonic.example.com",
    ] {
        let of_host: Vec<&Value> = listeners
            .iter()
            .filter(|l| l["properties"]["hostName"] == host)
            .collect();
        assert_eq!(of_host.len(), 2, "{host}");
        let https = of_host
            .iter()
            .find(|l| l["properties"]["protocol"] == "Https")
            .unwrap();
        assert_eq!(https["properties"]["requireServerNameIndication"], true);
        assert_eq!(
            https["properties"]["sslCertificate"]["id"],
            format!("{GW}/sslCertificates/install-certificate")
        );
        assert_eq!(
            https["properties"]["frontendPort"]["id"],
            format!("{GW}/frontendPorts/port-443")
        );
        let http = of_host
            .iter()
            .find(|l| l["properties"]["protocol"] == "Http")
            .unwrap();
        assert!(http["properties"].get("sslCertificate").is_none());
    }
    // HTTP redirects, permanently, to the same host's HTTPS listener, path and query kept.
    let redirect = &p["redirectConfigurations"][1]["properties"];
    assert_eq!(redirect["redirectType"], "Permanent");
    assert_eq!(
        redirect["targetListener"]["id"],
        format!("{GW}/httpListeners/https-1")
    );
    assert_eq!(
        (
            redirect["includePath"].clone(),
            redirect["includeQueryString"].clone()
        ),
        (json!(true), json!(true))
    );
}

#[test]
fn every_rule_has_a_distinct_priority_and_https_goes_to_the_internal_ingress() {
    let b = body(&design(public(), GatewaySkuName::StandardV2));
    let p = &b["properties"];
    assert!(p.get("firewallPolicy").is_none());
    let rules = p["requestRoutingRules"].as_array().unwrap();
    assert_eq!(rules.len(), 6);
    let mut priorities: Vec<u64> = rules
        .iter()
        .map(|r| r["properties"]["priority"].as_u64().unwrap())
        .collect();
    priorities.sort();
    priorities.dedup();
    assert_eq!(priorities.len(), 6, "priorities must be unique on v2");
    assert!(priorities.iter().all(|p| (1..=20000).contains(p)));
    let route = &rules[0]["properties"];
    assert_eq!(route["ruleType"], "Basic");
    assert_eq!(
        route["backendAddressPool"]["id"],
        format!("{GW}/backendAddressPools/ingress")
    );
    assert_eq!(
        p["backendAddressPools"][0]["properties"]["backendAddresses"],
        json!([{"ipAddress": "10.20.0.250"}])
    );
    let settings = &p["backendHttpSettingsCollection"][0]["properties"];
    assert_eq!(settings["protocol"], "Https");
    assert_eq!(settings["port"], 443);
    assert_eq!(settings["pickHostNameFromBackendAddress"], false);
    assert!(
        settings.get("hostName").is_none(),
        "the request's host is kept"
    );
    assert_eq!(
        settings["probe"]["id"],
        format!("{GW}/probes/ingress-health")
    );
    assert_eq!(
        settings["trustedRootCertificates"],
        json!([{"id": format!("{GW}/trustedRootCertificates/ingress-root")}])
    );
    assert_eq!(
        p["trustedRootCertificates"][0]["properties"]["data"],
        "TUlJQ2VydA=="
    );
    let probe = &p["probes"][0]["properties"];
    assert_eq!(probe["protocol"], "Https");
    assert_eq!(probe["host"], "katonic.example.com");
    assert_eq!(probe["path"], "/healthz");
    assert_eq!(probe["match"]["statusCodes"], json!(["200-399"]));
    // Redirect rules carry no backend.
    let redirect_rule = &rules[1]["properties"];
    assert!(redirect_rule.get("backendAddressPool").is_none());
    assert_eq!(
        redirect_rule["redirectConfiguration"]["id"],
        format!("{GW}/redirectConfigurations/redirect-0")
    );
    // Without a private root to trust (a public CA's certificate), no trusted root is sent.
    let mut public_ca = design(public(), GatewaySkuName::StandardV2);
    public_ca.trusted_root_der_base64 = None;
    let b = body(&public_ca);
    assert!(b["properties"].get("trustedRootCertificates").is_none());
    assert!(
        b["properties"]["backendHttpSettingsCollection"][0]["properties"]
            .get("trustedRootCertificates")
            .is_none()
    );
}

#[test]
fn a_private_frontend_is_a_static_address_in_the_gateway_subnet_and_no_public_ip() {
    let d = design(
        Frontend::Private {
            address: Ipv4Addr::new(10, 20, 1, 10),
        },
        GatewaySkuName::StandardV2,
    );
    let b = body(&d);
    assert_eq!(
        b["properties"]["frontendIPConfigurations"],
        json!([{"name": "frontend-private", "properties": {
            "privateIPAddress": "10.20.1.10", "privateIPAllocationMethod": "Static",
            "subnet": {"id": SUBNET}}}])
    );
    assert_eq!(
        b["properties"]["httpListeners"][0]["properties"]["frontendIPConfiguration"]["id"],
        format!("{GW}/frontendIPConfigurations/frontend-private")
    );
    assert!(!b.to_string().contains("publicIPAddress"));
}

#[test]
fn the_pfx_and_its_password_are_only_in_the_request_body() {
    let d = design(public(), GatewaySkuName::WafV2);
    // The request body carries them (Azure needs them)...
    let b = body(&d);
    let cert = &b["properties"]["sslCertificates"][0];
    assert_eq!(cert["name"], "install-certificate");
    assert_eq!(cert["properties"]["data"], "TUlJUGZ4RGF0YUJhc2U2NA==");
    assert_eq!(cert["properties"]["password"], "Pfx0Password9");
    // ...but no Debug print of the design or the body shows them,
    for printed in [
        format!("{d:?}"),
        format!("{:?}", ApplicationGateway::build(&d)),
    ] {
        assert!(!printed.contains("TUlJUGZ4RGF0YUJhc2U2NA=="), "{printed}");
        assert!(!printed.contains("Pfx0Password9"), "{printed}");
    }
    // the shape compared with an existing gateway has neither,
    let shape = shape_without_secrets(&b).to_string();
    assert!(!shape.contains("TUlJUGZ4RGF0YUJhc2U2NA==") && !shape.contains("Pfx0Password9"));
    assert!(shape.contains("install-certificate"));
    // and once registered (the step registers both), every line the console writes hides them.
    let redactor = crate::redact::Redactor::new();
    redactor.add(&d.certificate.pfx_base64);
    redactor.add(&d.certificate.password);
    let line = format!("PUT {GW} failed; body was {b}");
    let redacted = redactor.redact(&line);
    assert!(!redacted.contains("TUlJUGZ4RGF0YUJhc2U2NA=="), "{redacted}");
    assert!(!redacted.contains("Pfx0Password9"), "{redacted}");
    assert!(redacted.contains(crate::redact::REDACTED));
}

#[test]
fn the_waf_policy_is_enabled_on_the_current_default_rule_set() {
    let p = serde_json::to_value(WafPolicy::new(
        "eastus".into(),
        Tags::new(),
        WafModeName::Detection,
    ))
    .unwrap();
    assert_eq!(
        p["properties"],
        json!({
            "policySettings": {"state": "Enabled", "mode": "Detection", "requestBodyCheck": true},
            "managedRules": {"managedRuleSets": [{"ruleSetType": "Microsoft_DefaultRuleSet", "ruleSetVersion": "2.2"}]}
        })
    );
}

#[test]
fn the_gateway_subnet_opens_what_v2_needs_and_nothing_wider() {
    let rules = |lb: &str| {
        let spec = spec_facing(lb);
        let plan = katonic_domain::plan::GatewayPlan::from_spec(&spec).unwrap();
        serde_json::to_value(gateway_subnet_rules(&plan.nsg_rules(), "10.20.1.0/24")).unwrap()
    };
    let (public, private) = (rules("external"), rules("internal"));
    let by_source = |rules: &Value, source: &str| -> Option<Value> {
        rules
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["properties"]["sourceAddressPrefix"] == source)
            .map(|r| r["properties"].clone())
    };
    let clients = by_source(&public, "Internet").unwrap();
    assert_eq!(clients["destinationPortRanges"], json!(["80", "443"]));
    assert_eq!(clients["destinationAddressPrefix"], "10.20.1.0/24");
    assert_eq!(clients["protocol"], "Tcp");
    let manager = by_source(&public, "GatewayManager").unwrap();
    assert_eq!(manager["destinationPortRanges"], json!(["65200-65535"]));
    assert!(by_source(&public, "AzureLoadBalancer").is_some());
    // A private-only gateway: clients from the VNet only, no GatewayManager, no Internet.
    assert!(by_source(&private, "Internet").is_none());
    assert!(by_source(&private, "GatewayManager").is_none());
    assert_eq!(
        by_source(&private, "VirtualNetwork").unwrap()["destinationPortRanges"],
        json!(["80", "443"])
    );
    for rules in [&public, &private] {
        for r in rules.as_array().unwrap() {
            let p = &r["properties"];
            assert_eq!(p["access"], "Allow");
            assert_eq!(p["direction"], "Inbound");
            assert_ne!(p["sourceAddressPrefix"], "*", "no rule from anywhere: {r}");
        }
    }
}

// --- The bodies against Microsoft's specs --------------------------------------------------

/// `shared/azure-specs` (or `KATONIC_AZURE_SPECS`), as the oav check finds it.
fn shared_specs() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let specs = std::env::var_os("KATONIC_AZURE_SPECS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/azure-specs"));
    if specs.is_dir() {
        return Some(specs);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must check the bodies against {}",
        specs.display()
    );
    eprintln!("bodies not checked: {} is missing", specs.display());
    None
}

/// Reads spec files, each from `specs/extra` when the repository keeps it, else the shared root.
struct Specs {
    shared: PathBuf,
    extra: PathBuf,
}

impl Specs {
    fn load(&self, rel: &str) -> Value {
        let extra = self.extra.join(rel);
        let path = if extra.is_file() {
            extra
        } else {
            self.shared.join(rel)
        };
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
    }

    /// The schema a `$ref` names, and the file it lives in.
    fn resolve(&self, file: &str, reference: &str) -> (String, Value) {
        let (target, pointer) = reference.split_once('#').unwrap();
        let file = if target.is_empty() {
            file.to_string()
        } else {
            let dir = Path::new(file).parent().unwrap();
            dir.join(target.trim_start_matches("./"))
                .to_string_lossy()
                .into_owned()
        };
        let schema = self.load(&file).pointer(pointer).cloned().unwrap();
        (file, schema)
    }

    /// Properties, required names and enum of a schema, `$ref` and `allOf` followed.
    fn flatten(&self, file: &str, schema: &Value) -> (String, Value) {
        if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            let (f, s) = self.resolve(file, r);
            return self.flatten(&f, &s);
        }
        let mut merged = schema.clone();
        for part in schema
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (f, s) = self.flatten(file, part);
            let props = s.get("properties").cloned().unwrap_or(json!({}));
            for (k, v) in props.as_object().unwrap() {
                // Inherited properties keep their own file for further `$ref`s.
                let v = match v.get("$ref").and_then(Value::as_str) {
                    Some(r) if r.starts_with('#') => {
                        json!({"$ref": format!("{f}{r}"), "readOnly": v.get("readOnly")})
                    }
                    _ => v.clone(),
                };
                merged["properties"][k] = v;
            }
        }
        (file.to_string(), merged)
    }

    /// Every key of `value` is a writable property of the schema, enums hold, required are present.
    fn check(&self, file: &str, schema: &Value, value: &Value, at: &str, out: &mut Vec<String>) {
        let schema = match schema.get("$ref").and_then(Value::as_str) {
            Some(r) if r.contains(".json#") && !r.starts_with("./") => {
                let (f, p) = r.split_once('#').unwrap();
                let s = self.load(f).pointer(p).cloned().unwrap();
                return self.check(f, &s, value, at, out);
            }
            _ => schema,
        };
        let (file, s) = self.flatten(file, schema);
        match value {
            Value::Object(map) => {
                for req in s
                    .get("required")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if !map.contains_key(req.as_str().unwrap()) {
                        out.push(format!("{at}: required {req} missing"));
                    }
                }
                for (k, v) in map {
                    match s.pointer(&format!("/properties/{k}")) {
                        None if s.get("additionalProperties").is_some() => {}
                        None => out.push(format!("{at}.{k}: not in the spec")),
                        Some(p) if p.get("readOnly") == Some(&json!(true)) => {
                            out.push(format!("{at}.{k}: read-only"))
                        }
                        Some(p) => self.check(&file, p, v, &format!("{at}.{k}"), out),
                    }
                }
            }
            Value::Array(items) => {
                if let Some(item) = s.get("items") {
                    for (i, v) in items.iter().enumerate() {
                        self.check(&file, item, v, &format!("{at}[{i}]"), out);
                    }
                }
            }
            Value::String(text) => {
                if let Some(allowed) = s.get("enum").and_then(Value::as_array)
                    && !allowed.iter().any(|a| a == text)
                {
                    out.push(format!("{at}: {text} not in {allowed:?}"));
                }
            }
            Value::Number(n) => {
                let n = n.as_f64().unwrap();
                if s.get("minimum")
                    .and_then(Value::as_f64)
                    .is_some_and(|m| n < m)
                    || s.get("maximum")
                        .and_then(Value::as_f64)
                        .is_some_and(|m| n > m)
                {
                    out.push(format!("{at}: {n} out of range"));
                }
            }
            _ => {}
        }
    }

    /// Check `body` against the PUT body schema of `operation` in `file`.
    fn check_put(&self, file: &str, operation: &str, body: &Value) -> Vec<String> {
        let spec = self.load(file);
        let op = spec["paths"]
            .as_object()
            .unwrap()
            .values()
            .filter_map(|p| p.get("put"))
            .find(|p| p["operationId"] == operation)
            .unwrap_or_else(|| panic!("{operation} not in {file}"));
        let param = op["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["in"] == "body")
            .unwrap();
        let mut out = Vec::new();
        self.check(file, &param["schema"], body, "body", &mut out);
        out
    }
}

#[test]
fn the_bodies_are_what_microsofts_specs_describe() {
    let Some(shared) = shared_specs() else { return };
    let specs = Specs {
        shared,
        extra: Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/extra"),
    };
    let gateway = "Microsoft.Network/2025-07-01/applicationGateway.json";
    for d in [
        design(public(), GatewaySkuName::WafV2),
        design(
            Frontend::Private {
                address: Ipv4Addr::new(10, 20, 1, 10),
            },
            GatewaySkuName::StandardV2,
        ),
    ] {
        let problems = specs.check_put(gateway, "ApplicationGateways_CreateOrUpdate", &body(&d));
        assert!(problems.is_empty(), "{problems:#?}");
    }
    let waf = serde_json::to_value(WafPolicy::new(
        "eastus".into(),
        Tags::new(),
        WafModeName::Prevention,
    ))
    .unwrap();
    let problems = specs.check_put(
        "Microsoft.Network/2025-07-01/webapplicationfirewall.json",
        "WebApplicationFirewallPolicies_CreateOrUpdate",
        &waf,
    );
    assert!(problems.is_empty(), "{problems:#?}");
    // The checker itself fails a misspelt field and a wrong enum.
    let mut wrong = body(&design(public(), GatewaySkuName::WafV2));
    wrong["properties"]["frontendIpConfigurations"] = json!([]);
    wrong["properties"]["sku"]["tier"] = json!("WAF_v3");
    let problems = specs.check_put(gateway, "ApplicationGateways_CreateOrUpdate", &wrong);
    assert_eq!(problems.len(), 2, "{problems:#?}");
}

/// The test fixture's sample (gateway on by default), its load balancer facing `lb`.
fn spec_facing(lb: &str) -> katonic_domain::spec::InstallSpec {
    let text = include_str!("../../../tests/it/fixtures/sample.yaml")
        .replace("loadBalancer: internal", &format!("loadBalancer: {lb}"));
    let doc = katonic_domain::spec::from_yaml(&text).unwrap();
    katonic_domain::spec::InstallSpec::parse(&doc).unwrap()
}
