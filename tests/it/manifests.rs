//! `katonic-console manifests`: every object the console applies, for internal and external
//! mode, shared storage and add-ons on and off; each one validated by `kubernetes-validate
//! --strict` for Kubernetes 1.29 (PyPI; `.ci/run` installs it, CI fails without it).

use crate::helpers::sample_path;
use std::process::Command;

struct Variant {
    name: &'static str,
    edits: &'static [(&'static str, &'static str)],
}

const VARIANTS: &[Variant] = &[
    Variant {
        name: "internal-shared-addons",
        edits: &[],
    },
    Variant {
        name: "external-direct",
        edits: &[(
            "loadBalancer: internal",
            "loadBalancer: external, gateway: none",
        )],
    },
    Variant {
        name: "external-no-shared-no-addons",
        edits: &[
            ("loadBalancer: internal", "loadBalancer: external"),
            ("sharedFiles: true", "sharedFiles: false"),
            (
                "superset: true, airbyte: true",
                "superset: false, airbyte: false",
            ),
        ],
    },
];

fn render(
    dir: &std::path::Path,
    variant: &Variant,
) -> (std::path::PathBuf, Vec<serde_json::Value>) {
    let mut text = std::fs::read_to_string(sample_path()).unwrap();
    for (from, to) in variant.edits {
        assert!(text.contains(from), "fixture lost {from:?}");
        text = text.replace(from, to);
    }
    let spec = dir.join(format!("{}.yaml", variant.name));
    std::fs::write(&spec, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_katonic-console"))
        .args(["manifests", "-f"])
        .arg(&spec)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let yaml = String::from_utf8(out.stdout).unwrap();
    let path = dir.join(format!("{}-manifests.yaml", variant.name));
    std::fs::write(&path, &yaml).unwrap();
    let objects = yaml
        .split("---\n")
        .filter(|doc| !doc.trim().is_empty())
        .map(|doc| serde_yaml_ng::from_str(doc).unwrap())
        .collect();
    (path, objects)
}

fn names_of<'a>(objects: &'a [serde_json::Value], kind: &str) -> Vec<&'a str> {
    objects
        .iter()
        .filter(|o| o["kind"] == kind)
        .map(|o| o["metadata"]["name"].as_str().unwrap())
        .collect()
}

#[test]
fn manifests_follow_the_spec_and_validate_for_kubernetes_1_29() {
    let dir = tempfile::tempdir().unwrap();
    let (full_path, full) = render(dir.path(), &VARIANTS[0]);
    let (direct_path, direct) = render(dir.path(), &VARIANTS[1]);
    let (lean_path, lean) = render(dir.path(), &VARIANTS[2]);

    assert_eq!(names_of(&full, "StorageClass"), ["kfs", "kfs-shared"]);
    assert_eq!(names_of(&lean, "StorageClass"), ["kfs"]);
    assert_eq!(
        names_of(&full, "Ingress"),
        ["katonic-platform", "katonic-superset", "katonic-airbyte"]
    );
    assert_eq!(names_of(&lean, "Ingress"), ["katonic-platform"]);
    let lb = |objects: &[serde_json::Value]| {
        objects.iter().find(|o| o["kind"] == "Service").unwrap()["metadata"]["annotations"].clone()
    };
    assert_eq!(
        lb(&full)["service.beta.kubernetes.io/azure-load-balancer-internal"],
        "true"
    );
    // Behind the gateway (the default) the cluster's load balancer is internal in both modes,
    // at the address the plan chose; only the direct path gives it the public IP.
    for objects in [&full, &lean] {
        let annotations = lb(objects);
        assert_eq!(
            annotations["service.beta.kubernetes.io/azure-load-balancer-internal"],
            "true"
        );
        assert_eq!(
            annotations["service.beta.kubernetes.io/azure-load-balancer-ipv4"],
            "10.20.0.62"
        );
    }
    assert!(lb(&lean)["service.beta.kubernetes.io/azure-pip-name"].is_null());
    assert!(lb(&direct)["service.beta.kubernetes.io/azure-load-balancer-internal"].is_null());
    assert_eq!(
        lb(&direct)["service.beta.kubernetes.io/azure-pip-name"],
        "pip-katonic-prod-ingress"
    );
    assert!(
        !full.iter().any(|o| o["kind"] == "Secret"),
        "the TLS secret (a key) is never printed"
    );

    let validator = Command::new("kubernetes-validate")
        .args(["--strict", "--quiet", "-k", "1.29.0"])
        .arg(&full_path)
        .arg(&direct_path)
        .arg(&lean_path)
        .output();
    match validator {
        Ok(out) => assert!(
            out.status.success(),
            "kubernetes-validate refused a manifest:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must validate the manifests, but kubernetes-validate cannot run: {e}"
            );
            eprintln!("kubernetes-validate not installed ({e}); schema check skipped");
        }
    }
}
