//! The wizard's network page offers the VNet the console runs in first (issue 14, item 3),
//! over HTTP against the simulator with the console placed in the admin's `vnet-corp`: the page
//! shows that VNet, its subnets (range, free or the console's own) and how the cluster would be
//! reached; choosing it fills in the draft from Azure's ranges, and the install it becomes
//! reaches the cluster `direct`.

use crate::azure::{World, existing_network, log, sample, world};
use crate::helpers::location;
use crate::placement::{console_placed, corp_jumphost, from_imds, place, writes};
use serde_json::Value;

/// The sample as a draft on ranges of its own (not `vnet-corp`'s): choosing the console's VNet
/// must replace them with Azure's.
async fn draft(app: &crate::helpers::TestApp, world: &World) -> String {
    let spec = sample(&world.sim)
        .replace("vnetCidr: 10.20.0.0/16", "vnetCidr: 10.40.0.0/16")
        .replace("aksSubnetCidr: 10.20.0.0/26", "aksSubnetCidr: 10.40.0.0/24")
        .replace(
            "jumphostSubnetCidr: 10.20.0.64/29",
            "jumphostSubnetCidr: 10.40.1.0/29",
        );
    assert!(spec.contains("10.40.1.0/29"), "the sample's ranges moved");
    let res = app
        .post_body("/api/v1/installs", "application/yaml", &spec)
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn page(app: &crate::helpers::TestApp, id: &str) -> String {
    let res = app.get(&format!("/installs/{id}/wizard/cluster")).await;
    assert_eq!(res.status(), 200);
    res.text().await.unwrap()
}

/// The section's text between its markers, tags dropped, for the assertion messages.
fn section(html: &str) -> &str {
    let start = html.find("id=\"console-network\"").unwrap_or(0);
    let end = html[start..]
        .find("</section>")
        .map_or(html.len(), |e| start + e);
    &html[start..end]
}

#[tokio::test]
async fn the_network_page_offers_the_consoles_vnet_first_and_it_installs_directly() {
    let world = world().await;
    existing_network(&world).await;
    place(&world, corp_jumphost(&world).parse().unwrap());
    let app = console_placed(&world, from_imds(&world)).await;
    let id = draft(&app, &world).await;

    let html = page(&app, &id).await;
    let offer = section(&html);
    assert!(
        offer.contains("Install into the VNet this console runs in"),
        "{offer}"
    );
    // The console's VNet comes before the new-VNet fields.
    let first = html.find("id=\"console-vnet-choice\"").unwrap();
    assert!(first < html.find("id=\"wizard-form\"").unwrap());
    assert!(offer.contains("data-console-vnet=\"vnet-corp\""), "{offer}");
    assert!(
        offer.contains("data-console-vnet-group=\"rg-net\""),
        "{offer}"
    );
    assert!(
        offer.contains("<tr data-subnet=\"snet-aks\" data-status=\"free\"><td>snet-aks</td><td><code>10.20.0.0/26</code>"),
        "{offer}"
    );
    assert!(
        offer.contains("<tr data-subnet=\"snet-jump\" data-status=\"console\"><td>snet-jump</td><td><code>10.20.0.64/29</code>"),
        "{offer}"
    );
    // Proposed: the free subnet for AKS, the console's own for the jumphost.
    assert!(
        offer.contains("<option value=\"snet-aks\" selected>"),
        "{offer}"
    );
    assert!(
        offer.contains("<option value=\"snet-jump\" selected>"),
        "{offer}"
    );
    // How each choice reaches the cluster, by preflight's decision for `auto`.
    let reach_here = &offer[offer.find("id=\"reach-console-vnet\"").unwrap()..];
    assert!(reach_here.contains("data-reach=\"direct\""), "{offer}");
    assert!(
        reach_here.contains("the console runs in the cluster&#39;s VNet"),
        "{offer}"
    );
    let reach_new = &offer[offer.find("id=\"new-vnet-choice\"").unwrap()..];
    assert!(reach_new.contains("data-reach=\"runCommand\""), "{offer}");
    // Reading all this wrote nothing; a second look asks the metadata service no more (where
    // the console runs is kept a few minutes), only the VNet again.
    assert!(writes(&world).is_empty(), "{:?}", writes(&world));
    let asked = |world: &World, what: &str| {
        world
            .sim
            .requests()
            .iter()
            .filter(|r| r.path.contains(what))
            .count()
    };
    let (imds, vnet) = (
        asked(&world, "/metadata/instance"),
        asked(&world, "/virtualNetworks/vnet-corp"),
    );
    assert_eq!(
        imds,
        1,
        "{:?}",
        world
            .sim
            .requests()
            .iter()
            .map(|r| &r.path)
            .collect::<Vec<_>>()
    );
    page(&app, &id).await;
    assert_eq!(asked(&world, "/metadata/instance"), imds);
    assert!(asked(&world, "/virtualNetworks/vnet-corp") > vnet);

    // The console's own subnet cannot take AKS: refused by name, the draft unchanged.
    let res = app
        .post_form(
            &format!("/installs/{id}/console-vnet"),
            &[("aksSubnet", "snet-jump"), ("jumphostSubnet", "snet-jump")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let refused = res.text().await.unwrap();
    assert!(
        refused.contains("the AKS subnet and the jumphost subnet are both `snet-jump`"),
        "{}",
        section(&refused)
    );
    assert!(app.detail(&id).await["answers"]["cluster"]["network"]["existingVnet"].is_null());

    // The draft has the gateway on (the default for a new VNet), and vnet-corp has no free
    // subnet besides the AKS one: the page proposes no gateway, and a post without a choice is
    // refused, naming the field and what is free.
    let gateway_select = &offer[offer.find("id=\"console-vnet-gateway\"").unwrap()..];
    assert!(
        gateway_select.starts_with(
            "id=\"console-vnet-gateway\" name=\"gatewaySubnet\"><option value=\"none\" selected>"
        ),
        "{offer}"
    );
    let res = app
        .post_form(
            &format!("/installs/{id}/console-vnet"),
            &[("aksSubnet", "snet-aks"), ("jumphostSubnet", "snet-jump")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let refused = res.text().await.unwrap();
    assert!(
        refused.contains("gatewaySubnet: the Application Gateway needs a free subnet of vnet-corp of its own (free: none besides the AKS subnet)"),
        "{}",
        section(&refused)
    );

    let res = app
        .post_form(
            &format!("/installs/{id}/console-vnet"),
            &[
                ("aksSubnet", "snet-aks"),
                ("jumphostSubnet", "snet-jump"),
                ("gatewaySubnet", "none"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        location(&res),
        format!("/installs/{id}/wizard/cluster#console-network")
    );
    let network = app.detail(&id).await["answers"]["cluster"]["network"].clone();
    assert_eq!(network["vnetCidr"], "10.20.0.0/16", "{network:#}");
    assert_eq!(network["aksSubnetCidr"], "10.20.0.0/26");
    assert_eq!(network["jumphostSubnetCidr"], "10.20.0.64/29");
    assert_eq!(
        network["existingVnet"],
        serde_json::json!({"resourceGroup": "rg-net", "name": "vnet-corp",
                           "aksSubnet": "snet-aks", "jumphostSubnet": "snet-jump"})
    );
    assert_eq!(
        app.detail(&id).await["answers"]["ingress"]["gateway"],
        "none"
    );
    assert!(page(&app, &id).await.contains("id=\"console-vnet-chosen\""));

    let res = app
        .post_form(&format!("/api/v1/installs/{id}/start"), &[])
        .await;
    assert_eq!(res.status(), 202, "{}", res.text().await.unwrap());
    let done = app.wait_status(&id, &["succeeded", "failed"]).await;
    assert_eq!(done["status"], "succeeded", "{}", log(&app, &id).await);
    assert_eq!(done["clusterAccess"], "direct");
}

#[tokio::test]
async fn outside_azure_the_network_page_says_so_and_offers_a_new_vnet() {
    let world = world().await;
    place(&world, katonic_sim::ConsoleNetwork::Outside);
    let app = console_placed(&world, from_imds(&world)).await;
    let id = draft(&app, &world).await;
    let html = page(&app, &id).await;
    let offer = section(&html);
    assert!(!offer.contains("console-vnet-choice"), "{offer}");
    assert!(offer.contains("the console runs outside Azure"), "{offer}");
    assert!(offer.contains("The install creates a new VNet"), "{offer}");
    assert!(offer.contains("data-reach=\"runCommand\""), "{offer}");
    let res = app
        .post_form(
            &format!("/installs/{id}/console-vnet"),
            &[("aksSubnet", "snet-aks"), ("jumphostSubnet", "snet-jump")],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("the console does not run in a VNet it can read"),
    );
}
