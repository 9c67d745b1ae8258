//! Teardown against the ARM simulator: the preview lists what the install created (and a
//! leftover found only by its tag), the teardown deletes exactly that, keeps what the install
//! only used (an existing cluster, an existing VNet, resources that are not its own), and a
//! teardown stopped in the middle of the cluster delete resumes the same operation.

use crate::azure::{
    World, console, existing_network, into_existing_vnet, log, operation_checkpointed, sample,
    start, with_a_first_install, world,
};
use crate::helpers::TestApp;
use katonic_console::azure::{ArmClient, FinalState, Started, api, lro};
use katonic_console::startup::simulator_settings;
use katonic_sim::{FaultAction, FaultPlan, FaultRule};
use serde_json::{Value, json};

fn arm(world: &World) -> ArmClient {
    ArmClient::new(&simulator_settings(&world.sim)).unwrap()
}

fn rg_path(world: &World, rg: &str) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{rg}",
        world.sim.subscription_id
    )
}

/// PUT a resource straight into the simulator (as someone, or a crashed console, would).
async fn put(world: &World, path: &str, version: &str, body: Value) {
    let arm = arm(world);
    let res = arm
        .call(reqwest::Method::PUT, path, version, Some(&body))
        .await
        .unwrap();
    if let Started::Pending(p) = lro::started(&res, &arm.url(path, version), FinalState::Resource) {
        lro::wait(&arm, &p).await.unwrap();
    }
}

async fn fetch_preview(app: &TestApp, id: &str) -> Value {
    let res = app.get(&format!("/api/v1/installs/{id}/teardown")).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

fn targets<'a>(preview: &'a Value, action: &str) -> Vec<&'a Value> {
    preview["targets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["action"] == action)
        .collect()
}

fn ids(targets: &[&Value]) -> Vec<String> {
    targets
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_ascii_lowercase())
        .collect()
}

/// Queue the teardown as the API's client confirms it; its id.
async fn tear_down(app: &TestApp, id: &str, name: &str, expected: u64) -> String {
    let body = json!({"confirm": name, "expected": expected}).to_string();
    app.tear_down(id, &body).await
}

/// Queue the teardown and wait for it to succeed; its id.
async fn torn_down(app: &TestApp, id: &str, name: &str, expected: u64) -> String {
    let teardown = tear_down(app, id, name, expected).await;
    let done = app.wait_status(&teardown, &["succeeded", "failed"]).await;
    assert_eq!(done["status"], "succeeded", "{}", log(app, &teardown).await);
    teardown
}

/// Whether the simulator has the resource at `path`.
async fn exists(world: &World, path: &str, version: &str) -> bool {
    arm(world).get(path, version).await.unwrap().is_some()
}

/// DELETEs the simulator answered, by lower-cased path.
fn deletes(world: &World) -> Vec<String> {
    world
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "DELETE")
        .map(|r| r.path.to_ascii_lowercase())
        .collect()
}

async fn installed(app: &TestApp, spec: &str) -> String {
    let id = start(app, spec).await;
    let done = app.wait_status(&id, &["succeeded", "failed"]).await;
    assert_eq!(done["status"], "succeeded", "{}", log(app, &id).await);
    id
}

#[tokio::test]
async fn a_teardown_deletes_exactly_what_the_install_created_leftovers_included() {
    let world = world().await;
    let app = console(&world).await;
    let id = installed(&app, &sample(&world.sim)).await;
    // A crash between a PUT and its checkpoint leaves a tagged resource out of the ledger.
    let rg = rg_path(&world, "rg-katonic-prod");
    let leftover = format!("{rg}/providers/Microsoft.Network/networkSecurityGroups/nsg-leftover");
    put(
        &world,
        &leftover,
        api::NETWORK,
        json!({"location": "eastus", "tags": {"managed-by": "katonic-console", "katonic-install": id}}),
    )
    .await;

    let preview = fetch_preview(&app, &id).await;
    let delete = targets(&preview, "delete");
    let delete_ids = ids(&delete);
    for suffix in [
        "/resourcegroups/rg-katonic-prod",
        "/virtualnetworks/vnet-katonic-prod",
        "/networksecuritygroups/nsg-katonic-prod",
        "/managedclusters/katonic-prod",
        "/networksecuritygroups/nsg-leftover",
    ] {
        assert!(
            delete_ids.iter().any(|i| i.ends_with(suffix)),
            "{suffix} not to be deleted: {preview:#}"
        );
    }
    for kind in [
        "Microsoft.Storage/storageAccounts",
        "Microsoft.ContainerRegistry/registries",
        "Microsoft.ManagedIdentity/userAssignedIdentities",
        "Microsoft.Authorization/roleAssignments",
    ] {
        assert!(
            delete.iter().any(|t| t["kind"] == kind),
            "no {kind} to delete: {preview:#}"
        );
    }
    let left = delete.iter().find(|t| t["name"] == "nsg-leftover").unwrap();
    assert_eq!(left["inLedger"], false);
    assert_eq!(left["tagged"], "yes");
    // The three pools the cluster's create made go with it.
    assert_eq!(targets(&preview, "with-parent").len(), 3, "{preview:#}");
    let count = preview["deleting"].as_u64().unwrap();

    // The page shows the same, and asks for the name.
    let page = app
        .get(&format!("/installs/{id}/teardown"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!("Delete these {count} resources")),
        "{page}"
    );
    assert!(
        page.contains("nsg-leftover") && page.contains("leftover:"),
        "{page}"
    );
    let wrong = app
        .post_form(
            &format!("/installs/{id}/teardown"),
            &[("confirm", "staging"), ("expected", &count.to_string())],
        )
        .await;
    // The form again, with the field error and what was typed (not an error page).
    assert_eq!(wrong.status(), 422);
    let again = wrong.text().await.unwrap();
    assert!(again.contains("type the install"), "{again}");
    assert!(
        again.contains(r#"id="err-confirm""#) && again.contains(r#"value="staging""#),
        "{again}"
    );
    assert!(again.contains(&format!("Delete these {count} resources")));

    world.sim.clear_requests();
    let teardown = torn_down(&app, &id, "prod", count).await;

    // Every DELETE sent was for a resource the preview said to delete.
    for path in deletes(&world) {
        assert!(
            delete_ids.contains(&path),
            "DELETE {path} was not in the approved list"
        );
    }
    let arm = arm(&world);
    for t in &delete {
        let (kind, id) = (t["kind"].as_str().unwrap(), t["id"].as_str().unwrap());
        let version = match kind {
            k if k.starts_with("Microsoft.Network") => api::NETWORK,
            k if k.starts_with("Microsoft.Storage") => api::STORAGE,
            k if k.starts_with("Microsoft.ContainerRegistry") => api::CONTAINER_REGISTRY,
            k if k.starts_with("Microsoft.ManagedIdentity") => api::MANAGED_IDENTITY,
            k if k.starts_with("Microsoft.ContainerService") => api::CONTAINER_SERVICE,
            k if k.starts_with("Microsoft.Authorization") => api::AUTHORIZATION,
            _ => api::RESOURCES,
        };
        let got = arm.get(id, version).await;
        assert!(
            matches!(got, Ok(None) | Err(_)),
            "{id} still exists: {got:?}"
        );
    }
    // The install's page says so and links the teardown; the teardown's page names the install.
    let page = app
        .get(&format!("/installs/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("torn down"), "{page}");
    // Its badge says so too, not a green `succeeded`.
    assert!(
        page.contains(r#"<span class="status status-torn-down">torn down</span>"#),
        "{page}"
    );
    assert!(page.contains(&format!("/installs/{teardown}")), "{page}");
    let page = app
        .get(&format!("/installs/{teardown}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Teardown of") && page.contains("Delete the AKS cluster"));
    // A second preview finds everything gone.
    let again = fetch_preview(&app, &id).await;
    assert_eq!(again["deleting"], 0, "{again:#}");
}

/// Issue 16: after a teardown, nothing of the install runs again, whoever asks (API or page
/// form): Retry and Resume get 409 with the reason and "clone", nothing is sent to Azure, and the
/// page offers neither button.
#[tokio::test]
async fn a_torn_down_install_refuses_retry_and_resume_and_says_clone() {
    let world = world().await;
    let app = console(&world).await;
    let id = installed(&app, &sample(&world.sim)).await;
    let count = fetch_preview(&app, &id).await["deleting"].as_u64().unwrap();
    torn_down(&app, &id, "prod", count).await;
    world.sim.clear_requests();

    for path in [
        format!("/api/v1/installs/{id}/steps/resource-group/retry"),
        format!("/api/v1/installs/{id}/steps/verify/retry"),
        format!("/api/v1/installs/{id}/resume"),
        format!("/installs/{id}/steps/resource-group/retry"),
    ] {
        let res = app.post_form(&path, &[]).await;
        assert_eq!(res.status(), 409, "{path}");
        let body = res.text().await.unwrap();
        assert!(
            body.contains("was torn down") && body.contains("clone"),
            "{path}: {body}"
        );
        if path.starts_with("/api/") {
            let message = serde_json::from_str::<Value>(&body).unwrap()["message"].to_string();
            assert!(
                message.contains(&format!("POST /api/v1/installs/{id}/clone")),
                "{message}"
            );
        }
    }
    assert_eq!(
        app.detail(&id).await["status"],
        "succeeded",
        "state unchanged"
    );
    let writes: Vec<_> = (world.sim.requests().into_iter())
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(
        writes.is_empty(),
        "sent to Azure after refusals: {writes:?}"
    );

    let page = app
        .get(&format!("/installs/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !page.contains("/retry\""),
        "a step action is offered: {page}"
    );
    assert!(!page.contains(&format!("/installs/{id}/resume")), "{page}");
    assert!(page.contains("run-locked"), "the page says why: {page}");
}

#[tokio::test]
async fn a_group_holding_someone_elses_resource_is_kept_and_their_resource_untouched() {
    let world = world().await;
    let app = console(&world).await;
    let id = installed(&app, &sample(&world.sim)).await;
    let rg = rg_path(&world, "rg-katonic-prod");
    let theirs = format!("{rg}/providers/Microsoft.Network/networkSecurityGroups/nsg-theirs");
    put(
        &world,
        &theirs,
        api::NETWORK,
        json!({"location": "eastus", "tags": {"owner": "someone"}}),
    )
    .await;
    let preview = fetch_preview(&app, &id).await;
    let group = preview["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["kind"] == "Microsoft.Resources/resourceGroups")
        .unwrap();
    assert_eq!(group["action"], "keep-not-ours", "{preview:#}");
    assert!(group["reason"].as_str().unwrap().contains("nsg-theirs"));
    world.sim.clear_requests();
    torn_down(&app, &id, "prod", preview["deleting"].as_u64().unwrap()).await;
    let sent = deletes(&world);
    assert!(
        !sent
            .iter()
            .any(|p| p.ends_with("/resourcegroups/rg-katonic-prod"))
    );
    assert!(!sent.iter().any(|p| p.contains("nsg-theirs")));
    assert!(exists(&world, &theirs, api::NETWORK).await);
    assert!(exists(&world, &rg, api::RESOURCES).await);
}

#[tokio::test]
async fn an_existing_cluster_install_teardown_never_deletes_the_cluster() {
    let (world, app) = with_a_first_install().await;
    let spec = sample(&world.sim)
        .replace("name: prod", "name: prod-byo")
        .replace("mode: create", "mode: existing")
        .replace(
            "superset: true, airbyte: true",
            "superset: true, airbyte: false",
        );
    let id = installed(&app, &spec).await;
    let preview = fetch_preview(&app, &id).await;
    let kept = targets(&preview, "keep-existing");
    assert!(
        kept.iter()
            .any(|t| t["kind"] == "Microsoft.ContainerService/managedClusters"),
        "{preview:#}"
    );
    assert!(
        kept.iter()
            .any(|t| t["kind"] == "Microsoft.Resources/resourceGroups"),
        "the adopted group is kept: {preview:#}"
    );
    world.sim.clear_requests();
    torn_down(&app, &id, "prod-byo", preview["deleting"].as_u64().unwrap()).await;
    let sent = deletes(&world);
    assert!(!sent.is_empty(), "its storage and registry go");
    assert!(
        !sent
            .iter()
            .any(|p| p.contains("/managedclusters/") && !p.contains("/roleassignments/")),
        "{sent:#?}"
    );
    assert!(
        !sent
            .iter()
            .any(|p| p.ends_with("/resourcegroups/rg-katonic-prod"))
    );
    assert!(!sent.iter().any(|p| p.contains("/virtualnetworks/")));
    let cluster = format!(
        "{}/providers/Microsoft.ContainerService/managedClusters/katonic-prod",
        rg_path(&world, "rg-katonic-prod")
    );
    assert!(exists(&world, &cluster, api::CONTAINER_SERVICE).await);
}

#[tokio::test]
async fn an_existing_vnet_is_kept_while_the_cluster_in_it_goes() {
    let world = world().await;
    existing_network(&world).await;
    let app = console(&world).await;
    let id = installed(&app, &into_existing_vnet(&sample(&world.sim))).await;
    let preview = fetch_preview(&app, &id).await;
    assert!(
        targets(&preview, "keep-existing")
            .iter()
            .any(|t| t["name"] == "vnet-corp"),
        "{preview:#}"
    );
    world.sim.clear_requests();
    torn_down(&app, &id, "prod", preview["deleting"].as_u64().unwrap()).await;
    let sent = deletes(&world);
    assert!(
        sent.iter()
            .any(|p| p.ends_with("/managedclusters/katonic-prod"))
    );
    // Our grant on their subnet goes; their VNet and subnets stay.
    assert!(
        !sent
            .iter()
            .any(|p| p.contains("vnet-corp") && !p.contains("/roleassignments/")),
        "{sent:#?}"
    );
    assert!(
        sent.iter().any(|p| p.contains(
            "vnet-corp/subnets/snet-aks/providers/microsoft.authorization/roleassignments/"
        )),
        "{sent:#?}"
    );
    let vnet = format!(
        "{}/providers/Microsoft.Network/virtualNetworks/vnet-corp",
        rg_path(&world, "rg-net")
    );
    assert!(exists(&world, &vnet, api::NETWORK).await);
}

#[tokio::test]
async fn a_teardown_stopped_during_the_cluster_delete_resumes_the_same_operation() {
    let world = world().await;
    let app = console(&world).await;
    let id = installed(&app, &sample(&world.sim)).await;
    let count = fetch_preview(&app, &id).await["deleting"].as_u64().unwrap();
    // The cluster delete takes about 3 s: long enough to stop the console in the middle of it.
    world.sim.set_faults(FaultPlan::single(FaultRule::new(
        "DELETE",
        ".*/managedClusters/[^/]+$",
        FaultAction::Slow { factor: 10.0 },
    )));
    world.sim.clear_requests();
    let teardown = tear_down(&app, &id, "prod", count).await;
    operation_checkpointed(&app, &teardown, "/managedclusters/katonic-prod").await;
    app.stop().await;
    world.sim.set_faults(FaultPlan::default());
    world.sim.clear_requests();

    let app = console(&world).await;
    assert_eq!(app.detail(&teardown).await["status"], "interrupted");
    app.post_form(&format!("/api/v1/installs/{teardown}/resume"), &[])
        .await;
    let done = app.wait_status(&teardown, &["succeeded", "failed"]).await;
    assert_eq!(
        done["status"],
        "succeeded",
        "{}",
        log(&app, &teardown).await
    );
    assert!(
        !deletes(&world)
            .iter()
            .any(|p| p.ends_with("/managedclusters/katonic-prod")),
        "the resumed step followed the delete instead of sending a second one"
    );
    assert!(
        log(&app, &teardown)
            .await
            .contains("following the delete started before")
    );
}

#[tokio::test]
async fn a_draft_has_no_teardown_preview_page_or_api() {
    let app = TestApp::spawn().await;
    let id = app.create_sample().await;
    let res = app.get(&format!("/api/v1/installs/{id}/teardown")).await;
    assert_eq!(res.status(), 409);
    let body: Value = res.json().await.unwrap();
    let message = body["message"].as_str().unwrap();
    assert!(message.contains("is a draft: it never ran"), "{body}");
    let res = app.get(&format!("/installs/{id}/teardown")).await;
    assert_eq!(res.status(), 409);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("is a draft: it never ran")
    );
    // Nor can one be queued.
    let body = json!({"confirm": "prod"}).to_string();
    let res = app
        .post_body(
            &format!("/api/v1/installs/{id}/teardown"),
            "application/json",
            &body,
        )
        .await;
    assert_eq!(res.status(), 409);
    assert_eq!(app.detail(&id).await["status"], "draft");
}
