//! Real Azure as the judge (issue 15): Microsoft's recordings of real ARM traffic
//! (`recordings/`, sources in `recordings/SOURCES.md`) are replayed verbatim against the
//! simulator, and each answer is compared with Azure's: status code, LRO headers, the JSON key
//! paths of the body (depth 3, both directions) and error codes. The simulator's own LRO URLs
//! are followed where the recording polled Azure's.

mod answers;
mod answers_network;
mod cassette;
mod compare;
mod scope;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Duration;

use reqwest::Method;
use serde_json::Value;

use cassette::{ARM_HOST, Cassette, Interaction};
use compare::{Answer, Outcome, Tally};
use scope::{TIME_BOUND, out_of_scope};

use super::harness::Sim;

/// The subscription Microsoft's recordings are sanitised to.
const RECORDED_SUBSCRIPTION: &str = "00000000-0000-0000-0000-000000000000";

/// vCPUs per family and region the recorded subscriptions had room for (at least).
const RECORDED_QUOTA: u64 = 1000;

/// The thresholds (issue 15), reached and held: ≥ 98 % of status codes, ≥ 97 % of real
/// key paths, 100 % of error codes (figures and what is still different: the simulator README,
/// "Replay of real ARM traffic").
const FLOOR_STATUS: f64 = 98.0;
const FLOOR_PATHS: f64 = 97.0;
const FLOOR_ERRORS: f64 = 100.0;

#[tokio::test]
async fn replay_of_real_arm_traffic_agrees_with_azure() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("recordings");
    let cassettes = cassette::all(&root);
    assert!(
        cassettes.len() >= 30,
        "recordings are missing from {}",
        root.display()
    );
    let mut per_op: BTreeMap<String, Tally> = BTreeMap::new();
    let mut excluded: BTreeMap<String, usize> = BTreeMap::new();
    let mut details = String::new();
    for c in &cassettes {
        replay(c, &mut per_op, &mut excluded, &mut details).await;
    }
    let (table, total) = compare::report(&per_op);
    println!("{details}\n{table}");
    println!("left out of the figures (out of scope / time-bound): {excluded:?}");
    assert!(total.interactions > 100, "too few interactions replayed");
    assert!(
        total.status_pct() >= FLOOR_STATUS,
        "status codes fell below the issue's 98 %"
    );
    assert!(
        total.paths_pct() >= FLOOR_PATHS,
        "real key paths fell below the issue's 97 %"
    );
    assert!(
        total.errors_pct() >= FLOOR_ERRORS,
        "error codes fell below the issue's 100 %"
    );
}

/// Where the recording polled Azure, the URL the simulator gave for the same operation.
struct Poll {
    sim_url: Option<String>,
    op: String,
    excluded: bool,
}

async fn replay(
    c: &Cassette,
    per_op: &mut BTreeMap<String, Tally>,
    excluded: &mut BTreeMap<String, usize>,
    details: &mut String,
) {
    let sim = prepare(c).await;
    let mut polls: HashMap<String, Poll> = HashMap::new();
    let list = &c.interactions;
    for (n, i) in list.iter().enumerate() {
        if i.host != ARM_HOST {
            continue;
        }
        let key = i.path.to_ascii_lowercase();
        let (op, answer, skip) = if let Some(p) = polls.get(&key) {
            // Only the last poll of a run is compared: Azure's earlier ones said "not yet".
            let again = list
                .get(n + 1)
                .is_some_and(|x| x.path.eq_ignore_ascii_case(&i.path));
            if again {
                continue;
            }
            let answer = match &p.sim_url {
                Some(url) => poll(&sim, url).await,
                None => Answer {
                    status: 0,
                    headers: vec![],
                    body: Value::Null,
                },
            };
            (format!("{} (poll)", p.op), answer, p.excluded)
        } else {
            let op = compare::op_name(&i.method, &i.path);
            let answer = send(&sim, i).await;
            let out = out_of_scope(&op);
            let dated = TIME_BOUND
                .iter()
                .any(|(f, at)| *at == n && c.file.ends_with(f));
            (op, answer, out || dated)
        };
        remember_polls(i, &answer, &op, skip, &mut polls);
        if skip {
            *excluded.entry(op).or_default() += 1;
            continue;
        }
        let real_headers: Vec<String> = i.headers.iter().map(|(k, _)| k.clone()).collect();
        let o = compare::compare(i.status, &real_headers, &i.response, &answer);
        describe(c, n, &op, i, &answer, &o, details);
        per_op.entry(op).or_default().add(&o);
    }
    sim.h.shutdown().await;
}

/// A simulator as the recording's test fixtures left Azure: the recorded subscription, its
/// providers registered, its resource groups created and the principals it assigns roles to
/// known (the SDK tests' preparers did this outside the recording).
async fn prepare(c: &Cassette) -> Sim {
    // Microsoft's test subscriptions had the quota for what their tests made (Azure accepted a
    // cluster of up to 100 Standard_DS2_v2 nodes, azure-mgmt-containerservice 15.0.0); the
    // simulator's default subscription has a smaller one.
    let sim = Sim::start_with_catalog(
        |c| {
            c.quota.family_limit = c.quota.family_limit.max(RECORDED_QUOTA);
            c.quota.total_limit = c.quota.total_limit.max(RECORDED_QUOTA);
        },
        |_| {},
    )
    .await;
    sim.h
        .add_subscription(RECORDED_SUBSCRIPTION)
        .expect("recorded subscription");
    // Recorded before the network-isolation feature existed (private-only v2 gateways): the
    // subscription is as Azure's was then, without it.
    sim.h
        .set_feature(
            "Microsoft.Network",
            "EnableApplicationGatewayNetworkIsolation",
            false,
        )
        .expect("feature set");
    let sub = format!("/subscriptions/{RECORDED_SUBSCRIPTION}");
    for ns in ["Microsoft.ContainerService", "Microsoft.ContainerRegistry"] {
        let url = format!("{sub}/providers/{ns}/register?api-version=2025-04-01");
        sim.post(&url, None).await;
    }
    let mut groups: Vec<String> = Vec::new();
    for i in &c.interactions {
        let segs: Vec<&str> = i.path.split('/').collect();
        if let Some(at) = segs
            .iter()
            .position(|s| s.eq_ignore_ascii_case("resourceGroups"))
            && let Some(rg) = segs.get(at + 1).filter(|_| segs.len() > at + 2)
            && !groups.iter().any(|g| g.eq_ignore_ascii_case(rg))
        {
            groups.push(rg.to_string());
        }
        if let Some(p) = i
            .body
            .as_deref()
            .and_then(|b| serde_json::from_str::<Value>(b).ok())
            .and_then(|b| b.pointer("/properties/principalId").cloned())
            .and_then(|v| v.as_str().map(str::to_ascii_lowercase))
        {
            sim.h.shared.lock().principals.insert(
                p,
                crate::state::Principal {
                    kind: "ServicePrincipal".into(),
                    display_name: "recorded principal".into(),
                },
            );
        }
    }
    for rg in groups {
        let url = format!("{sub}/resourceGroups/{rg}?api-version=2025-04-01");
        let body = serde_json::json!({"location": "westus", "tags": fixture_tags(c, &sub, &rg)});
        sim.put(&url, &body).await;
    }
    fixture_accounts(&sim, c).await;
    sim
}

/// Storage accounts the test fixture made outside the recording (the Azure CLI's
/// `StorageAccountPreparer`: StorageV2, Standard_LRS): every account a recorded path goes
/// through that no recorded PUT creates, made and waited for.
async fn fixture_accounts(sim: &Sim, c: &Cassette) {
    let mut accounts: Vec<String> = Vec::new();
    for i in &c.interactions {
        let lower = i.path.to_ascii_lowercase();
        let Some(at) = lower.find("/providers/microsoft.storage/storageaccounts/") else {
            continue;
        };
        let rest = &i.path[at + "/providers/microsoft.storage/storageaccounts/".len()..];
        let name = rest.split('/').next().unwrap_or_default();
        let account = format!(
            "{}{name}",
            &i.path[..at + "/providers/microsoft.storage/storageaccounts/".len()]
        );
        let made_here = c
            .interactions
            .iter()
            .any(|x| x.method == "PUT" && x.path.eq_ignore_ascii_case(&account));
        if !name.is_empty()
            && !made_here
            && !accounts.iter().any(|a| a.eq_ignore_ascii_case(&account))
        {
            accounts.push(account);
        }
    }
    for account in accounts {
        let body = serde_json::json!({"location": "westus", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}});
        let r = sim
            .put(&format!("{account}?api-version=2023-05-01"), &body)
            .await;
        if let Some(url) = r
            .header("location")
            .or_else(|| r.header("azure-asyncoperation"))
        {
            poll(sim, &url).await;
        }
    }
}

/// The tags the test fixture gave a resource group (the Azure CLI's tag its groups), read from
/// the recorded answer to the group's GET; `{}` when none was recorded.
fn fixture_tags(c: &Cassette, sub: &str, rg: &str) -> Value {
    let path = format!("{sub}/resourceGroups/{rg}");
    c.interactions
        .iter()
        .find(|i| i.method == "GET" && i.status == 200 && i.path.eq_ignore_ascii_case(&path))
        .and_then(|i| i.response.get("tags").cloned())
        .unwrap_or_else(|| serde_json::json!({}))
}

/// Send the recorded request verbatim (method, path, query, body) to the simulator.
async fn send(sim: &Sim, i: &Interaction) -> Answer {
    let mut url = format!("{}{}", sim.h.arm_endpoint, i.path);
    if !i.query.is_empty() {
        url.push('?');
        url.push_str(&i.query);
    }
    let method = Method::from_bytes(i.method.as_bytes()).expect("recorded method");
    let mut b = sim.client.request(method, url).bearer_auth(&sim.token);
    if let Some(body) = &i.body {
        b = b
            .header("content-type", "application/json")
            .body(body.clone());
    }
    answer(b.send().await.expect("simulator answers")).await
}

async fn answer(r: reqwest::Response) -> Answer {
    let status = r.status().as_u16();
    let headers = r
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let text = r.text().await.unwrap_or_default();
    let body = if text.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    Answer {
        status,
        headers,
        body,
    }
}

/// Follow the simulator's LRO URL to its end: an operation status until it is terminal, a
/// `Location` until it stops answering 202.
async fn poll(sim: &Sim, url: &str) -> Answer {
    for _ in 0..100 {
        let r = sim
            .client
            .get(url)
            .bearer_auth(&sim.token)
            .send()
            .await
            .expect("simulator answers the poll");
        let a = answer(r).await;
        let running = a.status == 202
            || matches!(
                a.body.get("status").and_then(Value::as_str),
                Some("InProgress" | "Running" | "Accepted")
            );
        if !running {
            return a;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the simulator's operation at {url} did not end");
}

fn remember_polls(
    i: &Interaction,
    answer: &Answer,
    op: &str,
    excluded: bool,
    polls: &mut HashMap<String, Poll>,
) {
    for h in ["azure-asyncoperation", "location"] {
        let Some(real) = i.header(h) else { continue };
        let path = real
            .split_once("://")
            .and_then(|(_, r)| r.split_once('/'))
            .map(|(_, p)| format!("/{}", p.split('?').next().unwrap_or("")))
            .unwrap_or_default()
            .to_ascii_lowercase();
        if path.is_empty() || polls.contains_key(&path) {
            continue;
        }
        let sim_url = answer_header(answer, h).or_else(|| {
            // Azure sent both headers with one URL; follow whichever the simulator gave.
            ["azure-asyncoperation", "location"]
                .into_iter()
                .find_map(|o| answer_header(answer, o))
        });
        let op = op.trim_end_matches(" (poll)").to_string();
        polls.insert(
            path,
            Poll {
                sim_url,
                op,
                excluded,
            },
        );
    }
}

fn answer_header(a: &Answer, name: &str) -> Option<String> {
    a.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.clone())
}

fn describe(
    c: &Cassette,
    n: usize,
    op: &str,
    i: &Interaction,
    a: &Answer,
    o: &Outcome,
    out: &mut String,
) {
    let err_ok = o
        .error
        .as_ref()
        .is_none_or(|(r, s)| s.as_deref() == Some(r.as_str()));
    if o.status_ok && o.missing.is_empty() && o.lro_missing.is_empty() && err_ok {
        return;
    }
    out.push_str(&format!(
        "- {} #{n} {op}: Azure {} / simulator {}",
        c.file, i.status, a.status
    ));
    if !o.missing.is_empty() {
        out.push_str(&format!("; missing {:?}", o.missing));
    }
    if !o.lro_missing.is_empty() {
        out.push_str(&format!("; LRO headers missing {:?}", o.lro_missing));
    }
    if let Some((r, s)) = o.error.as_ref().filter(|_| !err_ok) {
        out.push_str(&format!("; error {r} / {s:?}"));
    }
    if !o.status_ok {
        out.push_str(&format!("; simulator said {}", truncate(&a.body)));
    }
    out.push('\n');
}

fn truncate(v: &Value) -> String {
    let s = v.to_string();
    s.chars().take(300).collect()
}

/// `az resource list -g <rg>` asks the subscription's resources with `resourceGroup eq '…'`
/// (Azure CLI `resource list`, checked 2026-12-07); ARM answers that group's resources only.
#[tokio::test]
async fn resources_filtered_by_resource_group_are_that_groups_only() {
    let sim = Sim::start().await;
    for rg in ["rg-one", "rg-two"] {
        sim.create_rg(rg).await;
        let url = format!(
            "{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-{rg}?api-version=2023-01-31",
            sim.rg(rg)
        );
        assert_eq!(
            sim.put(&url, &serde_json::json!({"location": "eastus"}))
                .await
                .status,
            201
        );
    }
    let r = sim
        .get(&format!(
            "{}/resources?$filter=resourceGroup%20eq%20%27RG-one%27&api-version=2022-09-01",
            sim.sub()
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let names: Vec<&str> = r.body["value"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["name"].as_str())
        .collect();
    assert_eq!(names, ["id-rg-one"]);
}
