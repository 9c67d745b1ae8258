//! Benchmark 6, resume cost: the sample install fails at the cluster create (quota), is resumed and
//! succeeds; how many ARM writes the resume re-issued for resources already written before the
//! failure (target 0: completed steps are not run again).

use std::collections::HashSet;

use super::standalone::{recorded, summary};
use super::{create, run_to_end, serve_with};

const QUOTA_ON_THE_CLUSTER_CREATE: &str = r#"rules:
  - name: quota
    method: PUT
    path: '.*/managedClusters/[^/]+$'
    nth: 1
    action:
      error:
        status: 400
        code: QuotaExceeded
        message: Operation could not be completed as it results in exceeding approved standardDSv2Family Cores quota.
"#;

pub async fn resume_cost(time_scale: f64) {
    let (server, record) = serve_with(
        time_scale,
        &[("--faults", QUOTA_ON_THE_CLUSTER_CREATE)],
        true,
    );
    let client = server.client();
    let (id, _) = create(&client, &server.base).await;
    let (_, failed) = run_to_end(&client, &server.base, &id, "start").await;
    let before = recorded(&record);
    let written: HashSet<(String, String)> = before
        .iter()
        .filter(|r| r.is_write() && (200..300).contains(&r.status))
        .map(|r| (r.method.clone(), r.path.to_ascii_lowercase()))
        .collect();
    let (wall, resumed) = run_to_end(&client, &server.base, &id, "resume").await;
    let all = recorded(&record);
    let after = &all[before.len()..];
    let reissued: Vec<String> = after
        .iter()
        .filter(|r| {
            r.is_write() && written.contains(&(r.method.clone(), r.path.to_ascii_lowercase()))
        })
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    println!("6. Resume cost (sample spec; the cluster create refused once with QuotaExceeded)");
    println!(
        "   first run:       {failed}, after {} ({} successful writes)",
        summary(&before),
        written.len()
    );
    println!(
        "   resume:          {resumed} in {wall:.2} s, {}",
        summary(after)
    );
    println!(
        "   re-issued:       {} ARM writes for resources written before the failure (target 0){}",
        reissued.len(),
        if reissued.is_empty() {
            String::new()
        } else {
            format!(": {}", reissued.join(", "))
        }
    );
}
