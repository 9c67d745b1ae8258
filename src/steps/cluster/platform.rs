//! The platform installer Job: settings applied, the Job run, its log streamed, its outcome.

use k8s_openapi::api::batch::v1::Job;
use kube::api::Api;
use kube::runtime::wait::await_condition;
use serde_json::{Value, json};

use super::routes::apply_route;
use super::scheduling;
use super::{check_node_pools, connect, kube_error, poll_until, report, run_command_poll};
use crate::azure::ArmClient;
use crate::cluster::apply::{Applied, KubeFailure};
use crate::cluster::manifests::{self, ClusterContext};
use crate::cluster::reach::ClusterReach;
use crate::worker::{StepContext, StepError};

/// The platform installer: every pool's labels checked, its identity and settings applied, the
/// Job run (a failed one from an earlier attempt replaced), its pod's log streamed into the
/// install's events, and the step ending with the Job's outcome.
pub async fn platform(
    ctx: &StepContext,
    arm: &ArmClient,
    timeout: std::time::Duration,
) -> Result<Value, StepError> {
    let reach = connect(ctx, arm).await?;
    let pools: Vec<&katonic_domain::spec::NodePool> = ctx.spec.cluster.node_pools.iter().collect();
    check_node_pools(ctx, &reach, &pools).await?;
    let names = ClusterContext::for_install(&ctx.spec, ctx.install);
    let mut applied = apply_installer_settings(ctx, &reach, &names).await?;
    if earlier_job(ctx, &reach).await? == EarlierJob::Completed {
        // The Job is only one of the step's effects: a crash may have come before the
        // Ingress was applied, so the completion's work is done again (it is idempotent).
        report(ctx, &applied).await?;
        return platform_completed(ctx, &reach).await;
    }
    applied.push(
        reach
            .apply_namespaced(&manifests::platform_job(&names.installer))
            .await
            .map_err(kube_error)?,
    );
    report(ctx, &applied).await?;
    let outcome = match &reach {
        ClusterReach::Direct(client) => {
            let jobs: Api<Job> = Api::namespaced(client.clone(), manifests::SYSTEM_NAMESPACE);
            run_job(ctx, client, jobs, timeout).await?
        }
        ClusterReach::RunCommand(_) => poll_job(ctx, &reach, timeout).await?,
    };
    job_result(ctx, &reach, outcome, timeout).await
}

/// The installer's service account and its binding, then the settings ConfigMap.
async fn apply_installer_settings(
    ctx: &StepContext,
    reach: &ClusterReach,
    names: &ClusterContext,
) -> Result<Vec<Applied>, StepError> {
    let (account, binding) = manifests::installer_rbac();
    Ok(vec![
        reach.apply_namespaced(&account).await.map_err(kube_error)?,
        reach.apply_cluster(&binding).await.map_err(kube_error)?,
        reach
            .apply_namespaced(&manifests::platform_config(&ctx.spec, &names.installer))
            .await
            .map_err(kube_error)?,
    ])
}

#[derive(Debug, PartialEq, Eq)]
enum EarlierJob {
    /// None, or a failed one now removed: the Job is (re)created.
    Absent,
    /// It completed: nothing more to run.
    Completed,
}

/// The Job from an earlier attempt: a completed one ends the step; a failed one, or one whose
/// pod the scheduler refused for a taint (its pod keeps the refusal), is removed.
async fn earlier_job(ctx: &StepContext, reach: &ClusterReach) -> Result<EarlierJob, StepError> {
    let job_name = manifests::INSTALLER_JOB;
    let ns = manifests::SYSTEM_NAMESPACE;
    let Some(old) = reach.get::<Job>(ns, job_name).await.map_err(kube_error)? else {
        return Ok(EarlierJob::Absent);
    };
    let uid = old.metadata.uid.clone().unwrap_or_default();
    match job_outcome(Some(&old)) {
        Some(JobOutcome::Complete) => {
            ctx.progress(format!("Job/{job_name} already completed"))
                .await?;
            Ok(EarlierJob::Completed)
        }
        // A Job's pod template cannot change and a failed Job does not run again: replace it.
        Some(JobOutcome::Failed(_)) => {
            remove_job(ctx, reach, &uid, "failed").await?;
            Ok(EarlierJob::Absent)
        }
        None => {
            // Through Run Command the pending pod's refusal shows when the Job is waited for.
            if let ClusterReach::Direct(client) = reach
                && scheduling::refused_now(client.clone(), ns, job_name, &uid)
                    .await
                    .is_some()
            {
                remove_job(ctx, reach, &uid, "unschedulable").await?;
            }
            Ok(EarlierJob::Absent)
        }
    }
}

/// Delete the earlier attempt's Job (uid `uid`) and wait until it is gone.
async fn remove_job(
    ctx: &StepContext,
    reach: &ClusterReach,
    uid: &str,
    why: &'static str,
) -> Result<(), StepError> {
    let (job_name, ns) = (manifests::INSTALLER_JOB, manifests::SYSTEM_NAMESPACE);
    reach
        .delete::<Job>(ns, job_name, false)
        .await
        .map_err(kube_error)?;
    match reach {
        ClusterReach::Direct(client) => {
            let jobs: Api<Job> = Api::namespaced(client.clone(), ns);
            await_condition(jobs, job_name, kube::runtime::conditions::is_deleted(uid))
                .await
                .map_err(|e| StepError::retryable("WatchFailed", e.to_string(), None))?;
        }
        ClusterReach::RunCommand(_) => {
            let patience = std::time::Duration::from_secs(120);
            let gone = poll_until(
                ctx,
                patience,
                run_command_poll(patience),
                move || async move {
                    let job = reach.get::<Job>(ns, job_name).await.map_err(kube_error)?;
                    Ok(job
                        .is_none_or(|j| j.metadata.uid.as_deref() != Some(uid))
                        .then_some(()))
                },
            )
            .await?;
            if gone.is_none() {
                return Err(StepError::retryable(
                    "JobNotDeleted",
                    format!("Job/{job_name} from the {why} attempt is still being deleted"),
                    None,
                ));
            }
        }
    }
    ctx.progress(format!("Job/{job_name} from the {why} attempt removed"))
        .await
}

/// The scheduler refused the installer's pod for a taint: waiting cannot help.
fn unschedulable(why: &str) -> StepError {
    StepError::terminal(
        "InstallerUnschedulable",
        format!("the platform installer's pod cannot be scheduled: {why}"),
        "The platform pool's nodes carry a taint the installer does not tolerate (it tolerates \
         katonic.ai/node-pool=platform). Remove that taint from the pool (az aks nodepool update \
         --node-taints), then resume.",
    )
}

/// What waiting for the Job gave: timed out, the watch failed, or the Job as it finished.
enum Waited {
    TimedOut,
    WatchFailed(String),
    Finished(Option<Box<Job>>),
}

/// Waits at most `timeout` for the Job to finish, following its log meanwhile so its lines
/// arrive live.
async fn run_job(
    ctx: &StepContext,
    client: &kube::Client,
    jobs: Api<Job>,
    timeout: std::time::Duration,
) -> Result<Waited, StepError> {
    let job_uid = jobs
        .get(manifests::INSTALLER_JOB)
        .await
        .map_err(|source| {
            kube_error(KubeFailure {
                action: "reading",
                object: format!(
                    "Job/{}/{}",
                    manifests::SYSTEM_NAMESPACE,
                    manifests::INSTALLER_JOB
                ),
                source,
            })
        })?
        .metadata
        .uid
        .unwrap_or_default();
    let mut logs = std::pin::pin!(stream_installer_logs(ctx, client.clone()));
    let mut refused = std::pin::pin!(scheduling::untolerated_taint(
        client.clone(),
        manifests::SYSTEM_NAMESPACE,
        manifests::INSTALLER_JOB,
        &job_uid
    ));
    let mut finished = std::pin::pin!(tokio::time::timeout(
        timeout,
        await_condition(jobs, manifests::INSTALLER_JOB, |job: Option<&Job>| {
            job_outcome(job).is_some()
        }),
    ));
    let mut logs_done = false;
    let outcome = loop {
        tokio::select! {
            done = &mut finished => break done,
            () = &mut logs, if !logs_done => logs_done = true,
            why = &mut refused => return Err(unschedulable(&why)),
            () = ctx.stopped() => return Err(StepError::Stopped),
        }
    };
    if !logs_done {
        // The stream ends with the pod; give it a moment to deliver the last lines.
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), &mut logs).await;
    }
    Ok(match outcome {
        Err(_) => Waited::TimedOut,
        Ok(Err(e)) => Waited::WatchFailed(e.to_string()),
        Ok(Ok(job)) => Waited::Finished(job.map(Box::new)),
    })
}

/// The step's end from the Job's: its error, or (completed) the platform's Ingress applied.
async fn job_result(
    ctx: &StepContext,
    reach: &ClusterReach,
    outcome: Waited,
    timeout: std::time::Duration,
) -> Result<Value, StepError> {
    let job_name = manifests::INSTALLER_JOB;
    match outcome {
        Waited::TimedOut => Err(StepError::terminal(
            "PlatformInstallTimeout",
            format!(
                "the platform installer did not finish within {}",
                crate::format::duration(u32::try_from(timeout.as_secs()).unwrap_or(u32::MAX))
            ),
            format!(
                "See its log above (kubectl logs -n {} job/{job_name}); resume to keep waiting on the same Job.",
                manifests::SYSTEM_NAMESPACE
            ),
        )),
        Waited::WatchFailed(e) => Err(StepError::retryable("WatchFailed", e, None)),
        Waited::Finished(job) => match job_outcome(job.as_deref()) {
            Some(JobOutcome::Failed(reason)) => Err(StepError::terminal(
                "PlatformInstallFailed",
                format!("the platform installer failed: {reason}"),
                "Its log is above: fix what it names (registry access, quota, settings), then resume; the failed Job is replaced.",
            )),
            _ => {
                ctx.progress("the platform installer completed").await?;
                platform_completed(ctx, reach).await
            }
        },
    }
}

/// What follows the installer's completion: the platform's Ingress applied, and the step's
/// outputs naming the Job.
async fn platform_completed(ctx: &StepContext, reach: &ClusterReach) -> Result<Value, StepError> {
    let ingress = apply_route(reach, &ctx.spec, "katonic-platform").await?;
    ctx.progress(ingress.to_string()).await?;
    let job = format!(
        "{}/{}",
        manifests::SYSTEM_NAMESPACE,
        manifests::INSTALLER_JOB
    );
    Ok(json!({ "job": job }))
}

enum JobOutcome {
    Complete,
    Failed(String),
}

fn job_outcome(job: Option<&Job>) -> Option<JobOutcome> {
    let conditions = job?.status.as_ref()?.conditions.as_ref()?;
    conditions
        .iter()
        .filter(|c| c.status == "True")
        .find_map(|c| match c.type_.as_str() {
            "Complete" => Some(JobOutcome::Complete),
            "Failed" => Some(JobOutcome::Failed(
                c.message
                    .clone()
                    .or_else(|| c.reason.clone())
                    .unwrap_or_else(|| "no reason given".into()),
            )),
            _ => None,
        })
}

/// Follow the installer pod's log, each line an event of this step.
async fn stream_installer_logs(ctx: &StepContext, client: kube::Client) {
    use futures_util::{AsyncBufReadExt, StreamExt, TryStreamExt};
    use k8s_openapi::api::core::v1::Pod;
    use kube::runtime::WatchStreamExt;

    let pods: Api<Pod> = Api::namespaced(client, manifests::SYSTEM_NAMESPACE);
    let selector = format!("job-name={}", manifests::INSTALLER_JOB);
    // The Job controller creates the pod shortly after the Job; wait for it by watching.
    let config = kube::runtime::watcher::Config::default().labels(&selector);
    let pod = kube::runtime::watcher(pods.clone(), config)
        .applied_objects()
        .boxed()
        .try_next()
        .await;
    let Ok(Some(pod)) = pod else {
        return;
    };
    let name = pod.metadata.name.clone().unwrap_or_default();
    let params = kube::api::LogParams {
        follow: true,
        ..Default::default()
    };
    // A log that cannot be followed is not a failed install: the Job's outcome decides.
    let Ok(stream) = pods.log_stream(&name, &params).await else {
        return;
    };
    let mut lines = stream.lines();
    while let Ok(Some(line)) = lines.try_next().await {
        if ctx
            .log(crate::events::Level::Info, format!("installer: {line}"))
            .await
            .is_err()
        {
            return;
        }
    }
}

/// Through Run Command: the Job looked at every poll, and its log read each time (all of it,
/// new lines reported), since Run Command cannot follow a log live. Output past Azure's 512 kB
/// limit is cut; the Job's outcome still decides.
async fn poll_job(
    ctx: &StepContext,
    reach: &ClusterReach,
    timeout: std::time::Duration,
) -> Result<Waited, StepError> {
    use std::sync::atomic::Ordering;
    let ns = manifests::SYSTEM_NAMESPACE;
    let every = run_command_poll(timeout);
    let shown = std::sync::atomic::AtomicUsize::new(0);
    let shown = &shown;
    let finished = poll_until(ctx, timeout, every, move || async move {
        let job = reach
            .get::<Job>(ns, manifests::INSTALLER_JOB)
            .await
            .map_err(kube_error)?;
        let log = reach
            .pod_log(ns, &format!("job/{}", manifests::INSTALLER_JOB), None)
            .await
            .unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        for line in lines.iter().skip(shown.load(Ordering::Relaxed)) {
            ctx.log(crate::events::Level::Info, format!("installer: {line}"))
                .await?;
        }
        shown.fetch_max(lines.len(), Ordering::Relaxed);
        Ok(job.filter(|j| job_outcome(Some(j)).is_some()))
    })
    .await?;
    Ok(match finished {
        Some(job) => Waited::Finished(Some(Box::new(job))),
        None => Waited::TimedOut,
    })
}
