//! After a success the install page leads with what now: the platform's and add-ons' links,
//! the DNS records to publish, and the admin kubeconfig as an audited download fetched from
//! Azure each time it is asked for (never stored), refused when there is no cluster to give.

use crate::azure::{console, log, sample, start, world};
use crate::helpers::TestApp;
use katonic_console::azure::{ArmClient, FinalState, Started, api, lro};
use katonic_console::startup::simulator_settings;
use serde_json::{Value, json};

fn credential_posts(world: &crate::azure::World) -> usize {
    world
        .sim
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/listClusterAdminCredential"))
        .count()
}

async fn download(app: &TestApp, id: &str) -> reqwest::Response {
    app.post_form(&format!("/api/v1/installs/{id}/kubeconfig"), &[])
        .await
}

#[tokio::test]
async fn a_succeeded_install_leads_with_links_and_gives_its_kubeconfig_on_demand() {
    let world = world().await;
    let app = console(&world).await;
    let id = start(&app, &sample(&world.sim)).await;
    let done = app.wait_status(&id, &["succeeded", "failed"]).await;
    assert_eq!(done["status"], "succeeded", "{}", log(&app, &id).await);

    let page = app
        .get(&format!("/installs/{id}"))
        .await
        .text()
        .await
        .unwrap();
    let what_now = page.find("What now").expect("a what-now section");
    assert!(
        what_now < page.find("<h2>Timeline</h2>").unwrap(),
        "leads the page"
    );
    for host in [
        "https://katonic.example.com/",
        "https://dash-katonic.example.com/",
        "https://connectors-katonic.example.com/",
    ] {
        assert!(page.contains(&format!(r#"href="{host}""#)), "{host}");
    }
    assert!(page.contains(&format!(r#"action="/installs/{id}/kubeconfig""#)));
    // The records are not published (no zone was given): verification says which, as code.
    assert!(
        page.contains("publish <code>katonic.example.com. A "),
        "verification details render backticks as code"
    );
    assert!(!page.contains("publish `"));
    // The az commands find the zone's resource group (the console was not told it) and use it.
    assert!(
        page.contains("ZONE_RG=$(az network private-dns zone list --query &#34;[?name==&#39;example.com&#39;].resourceGroup | [0]&#34; -o tsv)"),
        "{page}"
    );
    assert!(page.contains(
        "az network private-dns record-set a add-record --resource-group &#34;$ZONE_RG&#34; --zone-name example.com --record-set-name dash-katonic --ipv4-address 10.20.1.254"
    ));
    // The topology shows what the steps resolved, not what the plan left open.
    assert!(!page.contains("newest ≥ 1.29") && !page.contains("derived at provisioning"));
    let version = done["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "preflight")
        .and_then(|s| s["outputs"]["kubernetesVersion"].as_str())
        .unwrap()
        .to_string();
    assert!(page.contains(&format!("Kubernetes {version} · private API endpoint")));

    let before = credential_posts(&world);
    let res = download(&app, &id).await;
    assert_eq!(res.status(), 200);
    let disposition = res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(
        disposition,
        "attachment; filename=\"kubeconfig-katonic-prod-admin.yaml\""
    );
    assert_eq!(res.headers()["cache-control"], "no-store");
    let yaml = res.text().await.unwrap();
    assert!(
        yaml.contains("clusters:") && yaml.contains("client-key-data"),
        "{yaml}"
    );
    assert_eq!(credential_posts(&world), before + 1, "fetched from Azure");
    // Asked again, fetched again: nothing was kept.
    assert_eq!(download(&app, &id).await.status(), 200);
    assert_eq!(credential_posts(&world), before + 2);

    let key = yaml
        .lines()
        .find_map(|l| l.trim().strip_prefix("client-key-data:"))
        .unwrap()
        .trim()
        .to_string();
    let logs = log(&app, &id).await;
    let page = app
        .get(&format!("/installs/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !logs.contains(&key) && !page.contains(&key),
        "never logged or shown"
    );
    assert_eq!(
        page.matches("kubeconfig download (admin kubeconfig of cluster katonic-prod")
            .count(),
        2,
        "each download audited"
    );

    // With local accounts disabled since, Azure gives no admin kubeconfig: the refusal says
    // so and what works instead.
    let arm = ArmClient::new(&simulator_settings(&world.sim)).unwrap();
    let cluster = format!(
        "/subscriptions/{}/resourceGroups/rg-katonic-prod/providers/Microsoft.ContainerService/managedClusters/katonic-prod",
        world.sim.subscription_id
    );
    let mut body = arm
        .get(&cluster, api::CONTAINER_SERVICE)
        .await
        .unwrap()
        .unwrap();
    body["properties"]["disableLocalAccounts"] = json!(true);
    body["properties"]["aadProfile"] = json!({"managed": true, "enableAzureRBAC": true});
    let res = arm
        .call(
            reqwest::Method::PUT,
            &cluster,
            api::CONTAINER_SERVICE,
            Some(&body),
        )
        .await
        .unwrap();
    let url = arm.url(&cluster, api::CONTAINER_SERVICE);
    if let Started::Pending(p) = lro::started(&res, &url, FinalState::Resource) {
        lro::wait(&arm, &p).await.unwrap();
    }
    let refused = download(&app, &id).await;
    assert_eq!(refused.status(), 409);
    let error = refused.text().await.unwrap();
    assert!(
        error.contains("local accounts disabled") && error.contains("kubelogin"),
        "{error}"
    );

    // Torn down: no cluster, no kubeconfig, and no what-now section.
    let body = json!({"confirm": "prod"}).to_string();
    let teardown = app.tear_down(&id, &body).await;
    let done = app.wait_status(&teardown, &["succeeded", "failed"]).await;
    assert_eq!(
        done["status"],
        "succeeded",
        "{}",
        log(&app, &teardown).await
    );
    // The teardown is a run of the install, not a row of its own; the install says torn down.
    let list: Value = app.get("/api/v1/installs").await.json().await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["id"], id.as_str());
    assert_eq!(list[0]["tornDown"], true);
    let history = app.get("/installs").await.text().await.unwrap();
    assert!(history.contains(r#"<span class="status status-torn-down">torn down</span>"#));
    assert!(!history.contains("teardown of prod"));
    let refused = download(&app, &id).await;
    assert_eq!(refused.status(), 409);
    let error: Value = refused.json().await.unwrap();
    assert!(error.to_string().contains("torn down"), "{error}");
    let page = app
        .get(&format!("/installs/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!page.contains("What now"));
}

#[tokio::test]
async fn no_kubeconfig_before_success_nor_without_azure() {
    let app = TestApp::spawn().await;
    let draft = app.create_sample().await;
    let refused = download(&app, &draft).await;
    assert_eq!(refused.status(), 409);
    assert!(refused.text().await.unwrap().contains("is draft"));
    // Over the page too (a form POST), the same refusal.
    let page = app
        .post_form(&format!("/installs/{draft}/kubeconfig"), &[])
        .await;
    assert_eq!(page.status(), 409);

    // A scripted rehearsal succeeds but has no Azure to fetch from: it says so.
    let id = app.start_sample().await;
    let done = app.wait_status(&id, &["succeeded", "failed"]).await;
    assert_eq!(done["status"], "succeeded");
    let refused = download(&app, &id).await;
    assert_eq!(refused.status(), 409);
    assert!(refused.text().await.unwrap().contains("no Azure client"));
    let page = app
        .get(&format!("/installs/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("What now") && page.contains("https://katonic.example.com/"));
    assert!(
        !page.contains("kubeconfig download ("),
        "a refusal is not a download"
    );
}
