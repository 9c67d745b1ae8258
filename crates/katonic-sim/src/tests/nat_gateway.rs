//! NAT gateways (issue 14, item 5): what the Network RP refuses (a Basic public IP, an address
//! or a subnet in another region, a subnet naming a NAT gateway that does not exist, deleting
//! one a subnet uses), and the association seen from both sides.

use serde_json::{Value, json};

use super::harness::{Sim, assert_valid};

const NET: &str = "api-version=2025-07-01";

fn url(sim: &Sim, kind: &str, name: &str) -> String {
    format!(
        "{}/providers/Microsoft.Network/{kind}/{name}?{NET}",
        sim.rg("rg-n")
    )
}

fn id_of(u: &str) -> String {
    let path = u.split('?').next().unwrap_or_default();
    path[path.find("/subscriptions/").unwrap_or(0)..].to_string()
}

async fn pip(sim: &Sim, name: &str, sku: &str, location: &str) -> String {
    let u = url(sim, "publicIPAddresses", name);
    let allocation = if sku == "Basic" { "Dynamic" } else { "Static" };
    let r = sim
        .put(
            &u,
            &json!({"location": location, "sku": {"name": sku},
                     "properties": {"publicIPAllocationMethod": allocation}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    sim.wait_async(&r).await;
    id_of(&u)
}

fn nat_body(location: &str, ips: &[&str]) -> Value {
    json!({"location": location, "sku": {"name": "Standard"},
           "properties": {"idleTimeoutInMinutes": 4,
               "publicIpAddresses": ips.iter().map(|id| json!({"id": id})).collect::<Vec<_>>()}})
}

fn vnet_body(nat: Option<&str>) -> Value {
    let mut jump = json!({"name": "snet-jump", "properties": {"addressPrefix": "10.30.0.64/29"}});
    if let Some(id) = nat {
        jump["properties"]["natGateway"] = json!({"id": id});
    }
    json!({"location": "eastus", "properties": {
        "addressSpace": {"addressPrefixes": ["10.30.0.0/16"]}, "subnets": [jump]}})
}

#[tokio::test]
async fn nat_gateways_take_standard_addresses_of_their_region_and_serve_subnets_there() {
    let sim = Sim::start().await;
    sim.register_all().await;
    sim.create_rg("rg-n").await;
    let basic = pip(&sim, "pip-basic", "Basic", "eastus").await;
    let west = pip(&sim, "pip-west", "Standard", "westus").await;
    let good = pip(&sim, "pip-good", "Standard", "eastus").await;
    let nat_url = url(&sim, "natGateways", "ng-jump");
    let nat_id = id_of(&nat_url);

    let r = sim.put(&nat_url, &nat_body("eastus", &[&basic])).await;
    assert_eq!(
        (r.status, r.code()),
        (400, "NatGatewayCannotUseBasicSkuPublicIp"),
        "{}",
        r.body
    );
    let r = sim.put(&nat_url, &nat_body("eastus", &[&west])).await;
    assert_eq!(
        (r.status, r.code()),
        (400, "InvalidResourceReference"),
        "{}",
        r.body
    );
    let mut bad = nat_body("eastus", &[&good]);
    bad["properties"]["bogus"] = json!(1);
    let r = sim.put(&nat_url, &bad).await;
    assert_eq!(
        (r.status, r.code()),
        (400, "InvalidRequestFormat"),
        "{}",
        r.body
    );
    assert_eq!(sim.get(&nat_url).await.status, 404, "nothing was created");

    // A subnet naming a NAT gateway that does not exist is refused.
    let vnet_url = url(&sim, "virtualNetworks", "vnet-n");
    let r = sim.put(&vnet_url, &vnet_body(Some(&nat_id))).await;
    assert_eq!(
        (r.status, r.code()),
        (400, "InvalidResourceReference"),
        "{}",
        r.body
    );

    let r = sim.put(&nat_url, &nat_body("eastus", &[&good])).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_valid("NatGateways_CreateOrUpdate", &r);
    assert!(r.header("azure-asyncoperation").is_some());
    sim.wait_async(&r).await;
    let got = sim.get(&nat_url).await;
    assert_eq!(got.state(), "Succeeded");
    assert_eq!(got.body["sku"], json!({"name": "Standard"}));
    assert_eq!(
        got.body["properties"]["publicIpAddresses"][0]["id"],
        good.as_str()
    );

    // In another region than the subnet's VNet: refused as Azure does.
    let west_nat = url(&sim, "natGateways", "ng-west");
    let r = sim.put(&west_nat, &nat_body("westus", &[&west])).await;
    assert_eq!(r.status, 201, "{}", r.body);
    sim.wait_async(&r).await;
    let r = sim
        .put(&vnet_url, &vnet_body(Some(&id_of(&west_nat))))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (400, "InvalidResourceReference"),
        "{}",
        r.body
    );

    let r = sim.put(&vnet_url, &vnet_body(Some(&nat_id))).await;
    assert_eq!(r.status, 201, "{}", r.body);
    sim.wait_async(&r).await;
    let subnet = sim
        .get(&url(&sim, "virtualNetworks", "vnet-n/subnets/snet-jump"))
        .await;
    assert_eq!(
        subnet.body["properties"]["natGateway"]["id"],
        nat_id.as_str(),
        "{}",
        subnet.body
    );
    let got = sim.get(&nat_url).await;
    assert!(
        got.body["properties"]["subnets"][0]["id"]
            .as_str()
            .is_some_and(|s| s.ends_with("/subnets/snet-jump")),
        "{}",
        got.body
    );
    // Its address is not deleted while the gateway holds it.
    let r = sim
        .delete(&url(&sim, "publicIPAddresses", "pip-good"))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (400, "PublicIPAddressCannotBeDeleted"),
        "{}",
        r.body
    );
    // In use: not deleted until the subnet lets go of it.
    let r = sim.delete(&nat_url).await;
    assert_eq!(
        (r.status, r.code()),
        (400, "InUseNatGatewayCannotBeDeleted"),
        "{}",
        r.body
    );
    let r = sim.put(&vnet_url, &vnet_body(None)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    sim.wait_async(&r).await;
    let r = sim.delete(&nat_url).await;
    assert_eq!(r.status, 202, "{}", r.body);
    sim.wait_async(&r).await;
    assert_eq!(sim.get(&nat_url).await.status, 404);
    let r = sim
        .delete(&url(&sim, "publicIPAddresses", "pip-good"))
        .await;
    assert_eq!(r.status, 202, "{}", r.body);
}
