//! The Application Gateway's remaining gaps (issue 17), through the real ARM client against the
//! simulator: the admin's existing VNet with a dedicated gateway subnet (used, never written, and
//! each way it can be unfit refused at preflight), the backend's address taken in an existing
//! AKS subnet, the HTTP-to-HTTPS redirect verified, and the support bundle's gateway part.

use crate::app_gateway::gateway_sample;
use crate::azure::{World, console, log, puts, start, world};
use crate::helpers::{TestApp, step};
use katonic_console::azure::ArmClient;
use katonic_console::startup::simulator_settings;
use serde_json::{Value, json};

// The verification's redirect checks and the support bundle's gateway part.
mod verification;

const NET: &str = katonic_console::azure::api::NETWORK;

/// `vnet-corp` in `rg-net`: 10.20.0.0/16 with snet-aks 10.20.0.0/26, snet-jump 10.20.0.64/29
/// and snet-appgw 10.20.1.0/24, the latter behind NSG `nsg-appgw` with `rules` when given.
/// The calls are forgotten afterwards.
async fn corp_network(world: &World, rules: Option<Value>) {
    let arm = ArmClient::new(&simulator_settings(&world.sim)).unwrap();
    let rg = format!(
        "/subscriptions/{}/resourceGroups/rg-net",
        world.sim.subscription_id
    );
    put(
        &arm,
        &rg,
        json!({"location": "eastus"}),
        katonic_console::azure::api::RESOURCES,
    )
    .await;
    let mut appgw = json!({"name": "snet-appgw", "properties": {"addressPrefix": "10.20.1.0/24"}});
    if let Some(rules) = rules {
        let nsg = format!("{rg}/providers/Microsoft.Network/networkSecurityGroups/nsg-appgw");
        let body = json!({"location": "eastus", "properties": {"securityRules": rules}});
        put(&arm, &nsg, body, NET).await;
        appgw["properties"]["networkSecurityGroup"] = json!({"id": nsg});
    }
    put(
        &arm,
        &format!("{rg}/providers/Microsoft.Network/virtualNetworks/vnet-corp"),
        json!({"location": "eastus", "properties": {
        "addressSpace": {"addressPrefixes": ["10.20.0.0/16"]},
        "subnets": [
            {"name": "snet-aks", "properties": {"addressPrefix": "10.20.0.0/26"}},
            {"name": "snet-jump", "properties": {"addressPrefix": "10.20.0.64/29"}},
            appgw
        ]}}),
        NET,
    )
    .await;
    world.sim.clear_requests();
}

pub(super) async fn put(arm: &ArmClient, path: &str, body: Value, version: &'static str) {
    use katonic_console::azure::{FinalState, Started, lro};
    let res = arm
        .call(reqwest::Method::PUT, path, version, Some(&body))
        .await
        .unwrap();
    if let Started::Pending(p) = lro::started(&res, &arm.url(path, version), FinalState::Resource) {
        lro::wait(arm, &p).await.unwrap();
    }
}

/// The gateway sample (`lb`, Standard_v2) in `vnet-corp`, its gateway in subnet `gateway_subnet`.
fn in_corp_vnet(world: &World, lb: &str, gateway_subnet: &str) -> String {
    let spec = gateway_sample(&world.sim, lb, "Standard_v2").replace(
        "dnsServiceIp: 172.16.0.10 }",
        &format!(
            "dnsServiceIp: 172.16.0.10, gatewaySubnetCidr: 10.20.1.0/24,\n             existingVnet: {{ resourceGroup: rg-net, name: vnet-corp, aksSubnet: snet-aks, jumphostSubnet: snet-jump, gatewaySubnet: {gateway_subnet} }} }}"
        ),
    );
    assert!(spec.contains("gatewaySubnet: "), "{spec}");
    spec
}

fn subnet_id(world: &World, name: &str) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-corp/subnets/{name}",
        world.sim.subscription_id
    )
}

/// Writes to the admin's network: any PUT, PATCH or DELETE under `rg-net` but role assignments.
fn network_writes(world: &World) -> Vec<String> {
    world
        .sim
        .requests()
        .into_iter()
        .filter(|r| matches!(r.method.as_str(), "PUT" | "PATCH" | "DELETE"))
        .map(|r| r.path.to_ascii_lowercase())
        .filter(|p| p.contains("/resourcegroups/rg-net/") && !p.contains("/roleassignments/"))
        .collect()
}

#[tokio::test]
async fn an_existing_vnets_dedicated_subnet_holds_the_gateway_and_is_never_written() {
    let world = world().await;
    // Its NSG allows what a public v2 gateway needs, then denies the rest.
    corp_network(&world, Some(v2_rules(true))).await;
    let app = console(&world).await;
    let id = start(&app, &in_corp_vnet(&world, "external", "snet-appgw")).await;
    let done = app.wait_status(&id, &["succeeded", "failed"]).await;
    let whole_log = log(&app, &id).await;
    assert_eq!(done["status"], "succeeded", "{whole_log}");
    for line in [
        "PASS gateway subnet: subnet snet-appgw is dedicated",
        // The backend's address, the AKS subnet's last usable one, asked of Azure.
        "PASS ingress address: 10.20.0.62 is free in subnet snet-aks",
    ] {
        assert!(whole_log.contains(line), "{line} missing:\n{whole_log}");
    }
    let gateway = world
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "PUT" && r.status < 400)
        .filter(|r| {
            r.path
                .to_ascii_lowercase()
                .contains("/applicationgateways/")
        })
        .filter_map(|r| r.request_body)
        .next_back()
        .expect("the gateway was created");
    assert_eq!(
        gateway["properties"]["gatewayIPConfigurations"][0]["properties"]["subnet"]["id"]
            .as_str()
            .unwrap()
            .to_ascii_lowercase(),
        subnet_id(&world, "snet-appgw").to_ascii_lowercase()
    );
    assert_eq!(network_writes(&world), Vec::<String>::new());
    // Nor did the console create a VNet or an NSG of its own.
    assert!(
        !puts(&world.sim)
            .keys()
            .any(
                |p| p.contains("/virtualnetworks/") && !p.contains("/roleassignments/")
                    || p.contains("/networksecuritygroups/")
            ),
        "{:#?}",
        puts(&world.sim)
    );
}

/// Inbound rules for a gateway subnet: the clients on 80 and 443 (`Internet` for a public
/// gateway, else `VirtualNetwork`), GatewayManager when public, the load balancer, deny all.
fn v2_rules(public: bool) -> Value {
    let rule = |name: &str, priority: u32, access: &str, source: &str, ports: &[&str]| {
        json!({"name": name, "properties": {"priority": priority, "direction": "Inbound",
            "access": access, "protocol": "*", "sourceAddressPrefix": source,
            "sourcePortRange": "*", "destinationAddressPrefix": "*",
            "destinationPortRanges": ports}})
    };
    let clients = if public { "Internet" } else { "VirtualNetwork" };
    let mut rules = vec![rule("clients", 200, "Allow", clients, &["80", "443"])];
    if public {
        rules.push(rule(
            "gateway-manager",
            210,
            "Allow",
            "GatewayManager",
            &["65200-65535"],
        ));
    }
    rules.push(rule(
        "load-balancer",
        220,
        "Allow",
        "AzureLoadBalancer",
        &["0-65535"],
    ));
    rules.push(rule("deny-all", 4000, "Deny", "*", &["0-65535"]));
    json!(rules)
}

/// Start `spec`; it fails at preflight with `lines` in its log and nothing written.
async fn refused_at_preflight(world: &World, app: &TestApp, spec: &str, lines: &[&str]) {
    world.sim.clear_requests();
    let id = start(app, spec).await;
    let failed = app.wait_status(&id, &["succeeded", "failed"]).await;
    let whole_log = log(app, &id).await;
    assert_eq!(failed["status"], "failed", "{whole_log}");
    assert_eq!(
        step(&failed, "preflight")["status"],
        "failed",
        "{whole_log}"
    );
    for line in lines {
        assert!(whole_log.contains(line), "{line} missing:\n{whole_log}");
    }
    assert!(puts(&world.sim).is_empty(), "{:#?}", puts(&world.sim));
    assert_eq!(network_writes(world), Vec::<String>::new());
}

#[tokio::test]
async fn a_missing_or_shared_gateway_subnet_is_refused_before_any_write() {
    let world = world().await;
    corp_network(&world, None).await;
    let app = console(&world).await;
    refused_at_preflight(
        &world,
        &app,
        &in_corp_vnet(&world, "external", "snet-missing"),
        &[
            "FAIL gateway subnet: VNet vnet-corp has no subnet snet-missing",
            "name it in cluster.network.existingVnet.gatewaySubnet",
        ],
    )
    .await;
    // A VM in the gateway subnet: not dedicated any more.
    world
        .sim
        .place_console(Some(
            subnet_id(&world, "snet-appgw")
                .parse::<katonic_sim::ConsoleNetwork>()
                .unwrap(),
        ))
        .unwrap();
    refused_at_preflight(
        &world,
        &app,
        &in_corp_vnet(&world, "external", "snet-appgw"),
        &[
            "FAIL gateway subnet: subnet snet-appgw is not dedicated: 1 network interface(s)",
            "An Application Gateway needs a subnet of its own",
        ],
    )
    .await;
}

#[tokio::test]
async fn an_nsg_closing_gateway_manager_is_refused_before_any_write() {
    let world = world().await;
    // The private gateway's rules: nothing for GatewayManager, which a public v2 gateway needs.
    corp_network(&world, Some(v2_rules(false))).await;
    let app = console(&world).await;
    refused_at_preflight(
        &world,
        &app,
        &in_corp_vnet(&world, "external", "snet-appgw"),
        &[
            "FAIL gateway subnet: the NSG of subnet snet-appgw denies GatewayManager on TCP 65200-65535",
            "Add an inbound rule allowing source GatewayManager",
        ],
    )
    .await;
}

#[tokio::test]
async fn an_nsg_closing_the_listener_ports_is_refused_before_any_write() {
    let world = world().await;
    let mut rules = v2_rules(false);
    rules.as_array_mut().unwrap().insert(
        0,
        json!({"name": "no-https", "properties": {"priority": 100, "direction": "Inbound",
            "access": "Deny", "protocol": "Tcp", "sourceAddressPrefix": "VirtualNetwork",
            "sourcePortRange": "*", "destinationAddressPrefix": "*", "destinationPortRange": "443"}}),
    );
    corp_network(&world, Some(rules)).await;
    let app = console(&world).await;
    refused_at_preflight(
        &world,
        &app,
        &in_corp_vnet(&world, "internal", "snet-appgw"),
        &[
            "FAIL gateway subnet: the NSG of subnet snet-appgw denies VirtualNetwork on TCP 443",
            "Add an inbound rule allowing source VirtualNetwork to the subnet on TCP 80 and 443",
        ],
    )
    .await;
}

/// The backend's address is held by a VM's NIC in the admin's AKS subnet: preflight names the
/// address, the NIC and a free address Azure offers, before anything is written.
#[tokio::test]
async fn a_taken_backend_address_in_an_existing_subnet_is_refused_before_any_write() {
    let world = world().await;
    corp_network(&world, None).await;
    // The simulator puts a VM's NIC at the subnet's first usable address, 10.20.0.4.
    world
        .sim
        .place_console(Some(
            subnet_id(&world, "snet-aks")
                .parse::<katonic_sim::ConsoleNetwork>()
                .unwrap(),
        ))
        .unwrap();
    let app = console(&world).await;
    let spec = in_corp_vnet(&world, "internal", "snet-appgw").replace(
        "ingress: { loadBalancer: internal,",
        "ingress: { loadBalancer: internal, staticIp: 10.20.0.4,",
    );
    assert!(spec.contains("staticIp: 10.20.0.4"), "{spec}");
    refused_at_preflight(
        &world,
        &app,
        &spec,
        &[
            "FAIL ingress address: 10.20.0.4, where the cluster's internal ingress load balancer (the gateway's backend) must sit, is taken by NIC vm-katonic-jumphost-nic of VM vm-katonic-jumphost",
            "Set `ingress.staticIp: 10.20.0.5`",
        ],
    )
    .await;
    // Azure was asked, the subnet and the NIC read.
    let asked = world
        .sim
        .requests()
        .iter()
        .any(|r| r.method == "GET" && r.path.ends_with("/CheckIPAddressAvailability"));
    assert!(asked);
}
