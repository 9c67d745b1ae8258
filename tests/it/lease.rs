//! Leases and fencing, with two workers (two store handles) on one database.

use crate::helpers::SAMPLE_YAML;
use katonic_console::store::{Lease, NewInstall, Store, StoreError};
use katonic_domain::plan::StepId;
use std::time::Duration;

async fn queued_install(store: &Store) -> katonic_console::store::InstallId {
    let doc = katonic_domain::spec::from_yaml(SAMPLE_YAML).unwrap();
    let reviewed =
        katonic_console::app::review::review(&doc, katonic_console::app::review::today()).unwrap();
    let id = store
        .create_install(NewInstall {
            name: "prod".into(),
            answers: reviewed.document.clone(),
            wizard_step: "review".into(),
            validated: Some(reviewed.validated()),
            cloned_from: None,
        })
        .await
        .unwrap();
    store.queue_install(id).await.unwrap();
    id
}

#[tokio::test]
async fn a_second_worker_cannot_steal_a_live_lease() {
    let temp = tempfile::tempdir().unwrap();
    let a = Store::open(temp.path()).await.unwrap();
    let b = Store::open(temp.path()).await.unwrap();
    let id = queued_install(&a).await;
    let claimed = a
        .claim_next("worker-a", Duration::from_secs(30))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claimed.lease.install, id);
    assert!(
        b.claim_next("worker-b", Duration::from_secs(30))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        b.interrupt_orphans(true, "test").await.unwrap().is_empty(),
        "a live lease is not an orphan"
    );
    let impostor = Lease {
        install: id,
        owner: "worker-b".into(),
        ttl: Duration::from_secs(30),
    };
    assert!(matches!(
        b.start_step(&impostor, StepId::Preflight).await,
        Err(StoreError::LeaseLost(_))
    ));
    assert!(matches!(
        b.renew_lease(&impostor).await,
        Err(StoreError::LeaseLost(_))
    ));
    assert_eq!(
        a.start_step(&claimed.lease, StepId::Preflight)
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn a_worker_whose_lease_expired_writes_nothing_and_the_install_is_interrupted() {
    let temp = tempfile::tempdir().unwrap();
    let a = Store::open(temp.path()).await.unwrap();
    let b = Store::open(temp.path()).await.unwrap();
    let id = queued_install(&a).await;
    // A lease that is already over when granted: the holder is stale from the start.
    let stale = a
        .claim_next("worker-a", Duration::ZERO)
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(
        a.start_step(&stale.lease, StepId::Preflight).await,
        Err(StoreError::LeaseLost(_))
    ));
    assert!(matches!(
        a.renew_lease(&stale.lease).await,
        Err(StoreError::LeaseLost(_))
    ));
    let (seq_before, _) = a.event_cursor(id).await.unwrap();
    assert!(
        a.append_event_fenced(
            &stale.lease,
            katonic_console::events::NewEvent::install_log(
                katonic_console::events::Level::Info,
                "late"
            )
        )
        .await
        .is_err()
    );
    assert_eq!(
        a.event_cursor(id).await.unwrap().0,
        seq_before,
        "no event from a stale worker"
    );
    assert_eq!(
        b.interrupt_orphans(true, "its worker stopped renewing its lease")
            .await
            .unwrap(),
        vec![id]
    );
    let install = b.install(id).await.unwrap().unwrap();
    assert_eq!(install.status.as_str(), "interrupted");
    let steps = b.steps(id).await.unwrap();
    assert!(steps.iter().all(|s| s.attempt == 0), "no step was started");
}
