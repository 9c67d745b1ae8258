use k8s_openapi::api::storage::v1::StorageClass;
use kube::api::ObjectMeta;

use super::*;
use katonic_domain::spec::testutil::sample_spec;

fn shared_account() -> SharedFilesAccount<'static> {
    SharedFilesAccount {
        account: "stkatonicprod",
        resource_group: "rg-katonic-prod",
    }
}

#[test]
fn kfs_is_exactly_the_vendor_class_and_the_only_default() {
    let classes = storage_classes(Some(shared_account()));
    let kfs = &classes[0];
    assert_eq!(kfs.metadata.name.as_deref(), Some("kfs"));
    assert_eq!(kfs.provisioner, "disk.csi.azure.com");
    assert_eq!(
        kfs.parameters
            .as_ref()
            .unwrap()
            .get("skuname")
            .map(String::as_str),
        Some("StandardSSD_LRS")
    );
    assert_eq!(
        kfs.volume_binding_mode.as_deref(),
        Some("WaitForFirstConsumer")
    );
    assert_eq!(kfs.allow_volume_expansion, Some(true));
    assert_eq!(kfs.reclaim_policy.as_deref(), Some("Delete"));
    let defaults: Vec<_> = classes.iter().filter(|c| is_default(c)).collect();
    assert_eq!(defaults.len(), 1, "only kfs is default");
    assert!(is_default(kfs));
}

#[test]
fn kfs_shared_uses_azure_files_of_the_install_account_only_when_shared_storage_is_on() {
    let with = storage_classes(Some(shared_account()));
    let shared = with
        .iter()
        .find(|c| c.metadata.name.as_deref() == Some(SHARED_CLASS))
        .unwrap();
    assert_eq!(shared.provisioner, "file.csi.azure.com");
    assert_eq!(
        shared
            .parameters
            .as_ref()
            .unwrap()
            .get("storageAccount")
            .map(String::as_str),
        Some("stkatonicprod")
    );
    let without = storage_classes(None);
    assert_eq!(without.len(), 1);
    assert_eq!(without[0].metadata.name.as_deref(), Some(STANDARD_CLASS));
}

#[test]
fn undefault_patch_flips_only_marked_annotations() {
    let marked = |key: &str| StorageClass {
        metadata: ObjectMeta {
            name: Some("default".into()),
            annotations: Some([(key.to_string(), "true".to_string())].into()),
            ..Default::default()
        },
        provisioner: "disk.csi.azure.com".into(),
        ..Default::default()
    };
    let ga = undefault_patch(&marked("storageclass.kubernetes.io/is-default-class")).unwrap();
    assert_eq!(
        ga["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"],
        "false"
    );
    let beta =
        undefault_patch(&marked("storageclass.beta.kubernetes.io/is-default-class")).unwrap();
    assert_eq!(
        beta["metadata"]["annotations"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["storageclass.beta.kubernetes.io/is-default-class"]
    );
    assert!(undefault_patch(&marked("example.com/other")).is_none());
}

#[test]
fn internal_load_balancer_carries_the_azure_annotations() {
    let service = load_balancer_service(&LoadBalancerFrontend::Internal {
        subnet: Some("snet-aks".into()),
        ip: Some("10.20.0.50".parse().unwrap()),
    });
    let annotations = service.metadata.annotations.unwrap();
    assert_eq!(
        annotations["service.beta.kubernetes.io/azure-load-balancer-internal"],
        "true"
    );
    assert_eq!(
        annotations["service.beta.kubernetes.io/azure-load-balancer-internal-subnet"],
        "snet-aks"
    );
    assert_eq!(
        annotations["service.beta.kubernetes.io/azure-load-balancer-ipv4"],
        "10.20.0.50"
    );
    assert_eq!(service.spec.unwrap().type_.as_deref(), Some("LoadBalancer"));
}

#[test]
fn external_load_balancer_names_the_static_public_ip_and_is_not_internal() {
    let service = load_balancer_service(&LoadBalancerFrontend::External {
        public_ip_name: "pip-katonic-ingress".into(),
        resource_group: "rg-katonic-prod".into(),
    });
    let annotations = service.metadata.annotations.unwrap();
    assert_eq!(
        annotations["service.beta.kubernetes.io/azure-pip-name"],
        "pip-katonic-ingress"
    );
    assert!(!annotations.contains_key("service.beta.kubernetes.io/azure-load-balancer-internal"));
}

#[test]
fn one_ingress_per_enabled_host_with_the_tls_secret() {
    let mut spec = sample_spec();
    let all = ingresses(&ingress_routes(&spec.domain.fqdn, &spec.addons));
    let hosts: Vec<_> = all
        .iter()
        .map(|i| {
            i.spec.as_ref().unwrap().rules.as_ref().unwrap()[0]
                .host
                .clone()
                .unwrap()
        })
        .collect();
    assert_eq!(
        hosts,
        [
            "katonic.example.com",
            "dash-katonic.example.com",
            "connectors-katonic.example.com"
        ]
    );
    for ingress in &all {
        let tls = &ingress.spec.as_ref().unwrap().tls.as_ref().unwrap()[0];
        assert_eq!(tls.secret_name.as_deref(), Some(TLS_SECRET));
    }
    spec.addons.superset = None;
    spec.addons.airbyte = None;
    assert_eq!(ingress_routes(&spec.domain.fqdn, &spec.addons).len(), 1);
}

#[test]
fn every_platform_namespace_denies_ingress_by_default() {
    let policies = network_policies();
    for ns in namespaces() {
        let name = ns.metadata.name.unwrap();
        let deny = policies
            .iter()
            .find(|p| {
                p.metadata.namespace.as_deref() == Some(name.as_str())
                    && p.metadata.name.as_deref() == Some("default-deny-ingress")
            })
            .unwrap_or_else(|| panic!("no default deny in {name}"));
        let spec = deny.spec.as_ref().unwrap();
        assert_eq!(spec.ingress.as_deref().map(<[_]>::len), Some(0));
        assert_eq!(spec.pod_selector, Some(Default::default()));
    }
}

#[test]
fn installer_job_runs_once_on_the_platform_pool_with_the_settings() {
    let spec = sample_spec();
    let installer = PlatformInstaller {
        image: PlatformInstaller::default_image(&spec),
        registry: "acrkatonic.azurecr.io".into(),
        storage_account: "stkatonicprod".into(),
    };
    assert_eq!(installer.image, "docker.io/katonic/katonic-installer:5.0.9");
    let job = platform_job(&installer);
    let pod = job.spec.as_ref().unwrap().template.spec.as_ref().unwrap();
    assert_eq!(job.spec.as_ref().unwrap().backoff_limit, Some(0));
    assert_eq!(
        pod.node_selector.as_ref().unwrap()["katonic.ai/node-pool"],
        "platform"
    );
    let tolerations = pod.tolerations.as_ref().unwrap();
    assert_eq!(tolerations.len(), 1);
    assert_eq!(
        (
            tolerations[0].key.as_deref(),
            tolerations[0].operator.as_deref(),
            tolerations[0].value.as_deref(),
            tolerations[0].effect.as_deref()
        ),
        (
            Some("katonic.ai/node-pool"),
            Some("Equal"),
            Some("platform"),
            None
        ),
        "the platform pool's taint, whatever its effect"
    );
    let config = platform_config(&spec, &installer);
    let data = config.data.unwrap();
    assert_eq!(data["DOMAIN"], "katonic.example.com");
    assert_eq!(data["SUPERSET_HOST"], "dash-katonic.example.com");
    assert_eq!(data["AIRBYTE_VERSION"], "0.40.32");
    assert_eq!(data["SHARED_STORAGE_CLASS"], "kfs-shared");
}
