//! Per-kind validation (what kube-apiserver answers 422 for) and defaulting.

use serde_json::{Value, json};

type Causes = Vec<(String, String)>;

fn required(causes: &mut Causes, field: impl Into<String>, why: &str) {
    causes.push((field.into(), format!("Required value: {why}")));
}

/// RFC 1123 host, optionally with a leading `*.` wildcard.
fn valid_host(h: &str) -> bool {
    let h = h.strip_prefix("*.").unwrap_or(h);
    super::routes::is_dns_subdomain(h) && h.contains('.')
}

// One piece: the per-kind validation table, one match arm per resource kind.
pub(crate) fn object(plural: &str, old: Option<&Value>, obj: &Value, causes: &mut Causes) {
    match plural {
        "storageclasses" => {
            if obj["provisioner"].as_str().unwrap_or("").is_empty() {
                required(causes, "provisioner", "");
            }
            if let Some(old) = old {
                for f in [
                    "parameters",
                    "provisioner",
                    "reclaimPolicy",
                    "volumeBindingMode",
                ] {
                    if old.get(f) != obj.get(f) {
                        causes.push((
                            f.into(),
                            format!("Forbidden: updates to {f} are forbidden."),
                        ));
                    }
                }
            }
        }
        "ingresses" => ingress(obj, causes),
        "networkpolicies" => network_policy(obj, causes),
        "clusterrolebindings" => {
            for f in ["apiGroup", "kind", "name"] {
                if obj["roleRef"][f].as_str().unwrap_or("").is_empty() {
                    required(causes, format!("roleRef.{f}"), "");
                }
            }
            // roleRef is immutable: a binding to another role is a new binding.
            if let Some(old) = old
                && old.get("roleRef") != obj.get("roleRef")
            {
                causes.push((
                    "roleRef".into(),
                    "Invalid value: cannot change roleRef".into(),
                ));
            }
        }
        "services" => {
            let ty = obj["spec"]["type"].as_str().unwrap_or("ClusterIP");
            let ports = obj["spec"]["ports"].as_array().map_or(0, Vec::len);
            if ty != "ExternalName" && ports == 0 && obj["spec"]["clusterIP"] != "None" {
                required(causes, "spec.ports", "");
            }
            if let Some(old) = old {
                let (a, b) = (&old["spec"]["clusterIP"], &obj["spec"]["clusterIP"]);
                if !b.is_null() && b != a {
                    causes.push((
                        "spec.clusterIPs[0]".into(),
                        format!("Invalid value: {b}: may not change once set"),
                    ));
                }
            }
        }
        "secrets" if obj["type"] == "kubernetes.io/tls" => {
            for k in ["tls.crt", "tls.key"] {
                if obj["data"].get(k).is_none() && obj["stringData"].get(k).is_none() {
                    required(causes, format!("data[{k}]"), "");
                }
            }
        }
        "jobs" => {
            let rp = obj["spec"]["template"]["spec"]["restartPolicy"].as_str();
            if !matches!(rp, Some("Never" | "OnFailure")) {
                causes.push((
                    "spec.template.spec.restartPolicy".into(),
                    "Required value: valid values: \"OnFailure\", \"Never\"".into(),
                ));
            }
            if obj["spec"]["template"]["spec"]["containers"]
                .as_array()
                .is_none_or(Vec::is_empty)
            {
                required(causes, "spec.template.spec.containers", "");
            }
            if let Some(old) = old
                && old["spec"]["template"]["spec"] != obj["spec"]["template"]["spec"]
            {
                causes.push((
                    "spec.template".into(),
                    "Invalid value: field is immutable".into(),
                ));
            }
        }
        "deployments" => {
            let sel = &obj["spec"]["selector"]["matchLabels"];
            if !sel.is_object() {
                required(causes, "spec.selector", "");
            } else if let Some(m) = sel.as_object() {
                let labels = &obj["spec"]["template"]["metadata"]["labels"];
                if m.iter().any(|(k, v)| labels.get(k) != Some(v)) {
                    causes.push((
                        "spec.template.metadata.labels".into(),
                        "Invalid value: `selector` does not match template `labels`".into(),
                    ));
                }
            }
        }
        "persistentvolumeclaims" => {
            if obj["spec"]["accessModes"]
                .as_array()
                .is_none_or(Vec::is_empty)
            {
                required(
                    causes,
                    "spec.accessModes",
                    "at least 1 access mode is required",
                );
            }
            if obj["spec"]["resources"]["requests"]["storage"].is_null() {
                required(causes, "spec.resources[storage]", "");
            }
        }
        _ => {}
    }
}

fn network_policy(obj: &Value, causes: &mut Causes) {
    let spec = &obj["spec"];
    for (i, t) in spec["policyTypes"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        if !matches!(t.as_str(), Some("Ingress" | "Egress")) {
            causes.push((
                format!("spec.policyTypes[{i}]"),
                format!("Unsupported value: {t}: supported values: \"Egress\", \"Ingress\""),
            ));
        }
    }
    for (dir, peers) in [("ingress", "from"), ("egress", "to")] {
        for (i, rule) in spec[dir].as_array().into_iter().flatten().enumerate() {
            for (j, port) in rule["ports"].as_array().into_iter().flatten().enumerate() {
                if let Some(p) = port["protocol"].as_str()
                    && !matches!(p, "TCP" | "UDP" | "SCTP")
                {
                    causes.push((
                        format!("spec.{dir}[{i}].ports[{j}].protocol"),
                        format!("Unsupported value: \"{p}\": supported values: \"SCTP\", \"TCP\", \"UDP\""),
                    ));
                }
                if port["port"].as_u64().is_some_and(|n| n == 0 || n > 65535) {
                    causes.push((
                        format!("spec.{dir}[{i}].ports[{j}].port"),
                        format!(
                            "Invalid value: {}: must be between 1 and 65535, inclusive",
                            port["port"]
                        ),
                    ));
                }
            }
            for (j, peer) in rule[peers].as_array().into_iter().flatten().enumerate() {
                if let Some(cidr) = peer["ipBlock"]["cidr"].as_str()
                    && cidr.parse::<ipnet::IpNet>().is_err()
                {
                    causes.push((
                        format!("spec.{dir}[{i}].{peers}[{j}].ipBlock.cidr"),
                        format!("Invalid value: \"{cidr}\": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"),
                    ));
                }
            }
        }
    }
}

// One piece: an Ingress's rules, paths and TLS checked in the API server's order, collecting
// causes.
fn ingress(obj: &Value, causes: &mut Causes) {
    let spec = &obj["spec"];
    let rules = spec["rules"].as_array().cloned().unwrap_or_default();
    if rules.is_empty() && spec["defaultBackend"].is_null() {
        required(
            causes,
            "spec.rules",
            "either `defaultBackend` or `rules` must be specified",
        );
    }
    for (i, rule) in rules.iter().enumerate() {
        if let Some(h) = rule["host"].as_str()
            && !valid_host(h)
        {
            causes.push((
                format!("spec.rules[{i}].host"),
                format!("Invalid value: \"{h}\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"),
            ));
        }
        for (j, p) in rule["http"]["paths"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let at = format!("spec.rules[{i}].http.paths[{j}]");
            match p["pathType"].as_str() {
                None => required(causes, format!("{at}.pathType"), "pathType must be specified"),
                Some("Exact" | "Prefix" | "ImplementationSpecific") => {}
                Some(other) => causes.push((
                    format!("{at}.pathType"),
                    format!("Unsupported value: \"{other}\": supported values: \"Exact\", \"ImplementationSpecific\", \"Prefix\""),
                )),
            }
            if let Some(path) = p["path"].as_str()
                && !path.starts_with('/')
            {
                causes.push((
                    format!("{at}.path"),
                    format!("Invalid value: \"{path}\": must be an absolute path"),
                ));
            }
            let svc = &p["backend"]["service"];
            let has_res = !p["backend"]["resource"].is_null();
            if svc.is_null() && !has_res {
                causes.push((
                    format!("{at}.backend"),
                    "Invalid value: \"\": one backend (`service` or `resource`) must be specified"
                        .into(),
                ));
            }
            if !svc.is_null() {
                if svc["name"].as_str().unwrap_or("").is_empty() {
                    required(causes, format!("{at}.backend.service.name"), "");
                }
                if svc["port"]["number"].is_null() && svc["port"]["name"].is_null() {
                    required(
                        causes,
                        format!("{at}.backend.service.port"),
                        "port name or number is required",
                    );
                }
            }
        }
    }
    for (i, tls) in spec["tls"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        for (j, h) in tls["hosts"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            if !h.as_str().is_some_and(valid_host) {
                causes.push((
                    format!("spec.tls[{i}].hosts[{j}]"),
                    format!("Invalid value: {h}: a lowercase RFC 1123 subdomain"),
                ));
            }
        }
    }
}

/// Fields the API server fills in on create.
pub(crate) fn defaults(plural: &str, obj: &mut Value) {
    match plural {
        "namespaces" => {
            obj["status"] = json!({"phase": "Active"});
            obj["spec"]["finalizers"] = json!(["kubernetes"]);
            let name = obj["metadata"]["name"].clone();
            obj["metadata"]["labels"]["kubernetes.io/metadata.name"] = name;
        }
        "services" => {
            if obj["spec"]["type"].is_null() {
                obj["spec"]["type"] = json!("ClusterIP");
            }
            if obj["spec"]["clusterIP"].is_null() {
                let n = uuid::Uuid::new_v4().as_u128();
                let ip = format!("172.16.{}.{}", (n >> 8) % 250 + 1, n % 250 + 2);
                obj["spec"]["clusterIP"] = json!(ip);
                obj["spec"]["clusterIPs"] = json!([ip]);
            }
            obj["spec"]["sessionAffinity"]
                .is_null()
                .then(|| obj["spec"]["sessionAffinity"] = json!("None"));
            obj["status"] = json!({"loadBalancer": {}});
        }
        "secrets" if obj["type"].is_null() => obj["type"] = json!("Opaque"),
        "pods" if obj["status"]["phase"].is_null() => {
            obj["status"] = json!({"phase": "Pending"});
        }
        "jobs" => {
            for (k, v) in [("backoffLimit", 6), ("completions", 1), ("parallelism", 1)] {
                if obj["spec"][k].is_null() {
                    obj["spec"][k] = json!(v);
                }
            }
            // The job controller finds its pods by these labels, as kubectl logs job/<name> does.
            let uid = obj["metadata"]["uid"].clone();
            let name = obj["metadata"]["name"].clone();
            if obj["spec"]["selector"].is_null() {
                obj["spec"]["selector"] =
                    json!({"matchLabels": {"batch.kubernetes.io/controller-uid": uid}});
            }
            let labels = &mut obj["spec"]["template"]["metadata"]["labels"];
            if !labels.is_object() {
                *labels = json!({});
            }
            for (k, v) in [
                ("batch.kubernetes.io/controller-uid", &uid),
                ("controller-uid", &uid),
                ("batch.kubernetes.io/job-name", &name),
                ("job-name", &name),
            ] {
                labels[k] = v.clone();
            }
            obj["status"] = json!({});
        }
        "deployments" => {
            if obj["spec"]["replicas"].is_null() {
                obj["spec"]["replicas"] = json!(1);
            }
            obj["status"] = json!({});
        }
        "persistentvolumeclaims" => {
            obj["status"] = json!({"phase": "Pending"});
        }
        _ => {}
    }
}
