//! The scheduler's refusal of a Job's pod for a taint it does not tolerate. Every node of the
//! pool, new ones too, carries that taint, so waiting cannot help: the step says so at once.

use futures_util::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};
use kube::runtime::WatchStreamExt;

/// The scheduler's message when it refused `pod` for an untolerated taint.
fn refusal(pod: &Pod) -> Option<String> {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .into_iter()
        .flatten()
        .filter(|c| c.type_ == "PodScheduled" && c.status == "False")
        .find_map(|c| c.message.clone())
        .filter(|m| m.contains("untolerated taint"))
}

fn owned_by(pod: &Pod, job_uid: &str) -> bool {
    pod.metadata
        .owner_references
        .iter()
        .flatten()
        .any(|o| o.uid == job_uid)
}

fn job_pods(client: kube::Client, namespace: &str) -> Api<Pod> {
    Api::namespaced(client, namespace)
}

/// Whether a pod of Job `job_name` (uid `job_uid`) is refused now, e.g. a Job left pending by
/// an earlier attempt. A failed read counts as no refusal: the Job's own wait decides.
pub(super) async fn refused_now(
    client: kube::Client,
    namespace: &str,
    job_name: &str,
    job_uid: &str,
) -> Option<String> {
    let params = ListParams::default().labels(&format!("job-name={job_name}"));
    let pods = job_pods(client, namespace).list(&params).await.ok()?;
    pods.items
        .iter()
        .filter(|p| owned_by(p, job_uid))
        .find_map(refusal)
}

/// Resolves with the scheduler's message once it refuses a pod of Job `job_uid` for an
/// untolerated taint; never otherwise (nor when the watch fails).
pub(super) async fn untolerated_taint(
    client: kube::Client,
    namespace: &str,
    job_name: &str,
    job_uid: &str,
) -> String {
    let config = kube::runtime::watcher::Config::default().labels(&format!("job-name={job_name}"));
    let mut stream = kube::runtime::watcher(job_pods(client, namespace), config)
        .applied_objects()
        .boxed();
    while let Ok(Some(pod)) = stream.try_next().await {
        if let Some(message) = owned_by(&pod, job_uid).then(|| refusal(&pod)).flatten() {
            return message;
        }
    }
    std::future::pending().await
}
