//! A full disk is survived (issue 13, item 2): the data dir on a small tmpfs is filled while a
//! step holds; the run stops, leaving a complete recovery file; `/readyz` says the database
//! cannot be written; once space returns, without a restart, `/readyz` is ready again, the
//! install becomes `interrupted`, resumes to success, and other writes succeed.
//!
//! Needs root to mount the tmpfs: skipped (saying so) otherwise, except under `CI`, which runs
//! as root and must run it.

use crate::helpers::{TestApp, script};
use katonic_domain::plan::StepId;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use tokio::time::Instant;

/// A tmpfs mounted for the test; unmounted when dropped, whatever happened.
struct Tmpfs {
    dir: PathBuf,
}

impl Tmpfs {
    /// Mount a `size` tmpfs on `dir`, or say why not.
    fn mount(dir: &Path, size: &str) -> Result<Tmpfs, String> {
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
        }
        Ok(Tmpfs {
            dir: dir.to_path_buf(),
        })
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        // Lazy: a panicking test may still hold files open on it.
        let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
    }
}

/// Fill the file system holding `path` with one file until it refuses more; returns the file.
fn fill(path: &Path) -> PathBuf {
    let file = path.join("filler");
    let mut out = std::fs::File::create(&file).unwrap();
    for chunk in [1 << 20, 1 << 12, 1] {
        let bytes = vec![0u8; chunk];
        while out.write_all(&bytes).is_ok() {}
    }
    file
}

/// `/readyz` until its status is `want`, with a liveness bound (not a speed check).
async fn wait_ready(app: &TestApp, want: u16) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let res = app.get("/readyz").await;
        let status = res.status().as_u16();
        let body = res.text().await.unwrap();
        if status == want {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "/readyz never answered {want}: {status} {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Wait for the recovery file of `id` and read it.
async fn wait_recovery(data: &Path, id: &str) -> serde_json::Value {
    let file = data.join(format!("recovery-{id}.json"));
    let deadline = Instant::now() + Duration::from_secs(60);
    while !file.exists() {
        assert!(Instant::now() < deadline, "no recovery file at {file:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Renamed into place complete: never empty, never partial.
    let text = std::fs::read_to_string(&file).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("recovery file {text:?}: {e}"))
}

#[tokio::test]
async fn a_full_disk_is_survived_without_a_restart() {
    let temp = tempfile::tempdir().unwrap();
    let _mount = match Tmpfs::mount(temp.path(), "20m") {
        Ok(mount) => mount,
        Err(why) if std::env::var_os("CI").is_none() => {
            eprintln!(
                "SKIPPED a_full_disk_is_survived_without_a_restart: no tmpfs ({why}); run as root"
            );
            return;
        }
        Err(why) => panic!("under CI the disk-full test must run (as root): {why}"),
    };
    let data = temp.path().join("data");
    let app = TestApp::spawn_in_with(
        &data,
        script("steps:\n  aks-cluster: [{ sleepMs: 0, gate: hold }]"),
        |w| {
            w.lease_ttl = Duration::from_secs(2);
            w.poll_interval = Duration::from_millis(100);
        },
    )
    .await;
    wait_ready(&app, 200).await;
    let id = app.start_sample().await;
    app.steps.called(StepId::AksCluster, 1).await;

    let filler = fill(temp.path());
    app.steps.open_gate("hold");
    let recovery = wait_recovery(&data, &id).await;
    assert_eq!(recovery["install"], id.as_str(), "{recovery}");
    let body = wait_ready(&app, 503).await;
    assert!(body.contains("cannot be written"), "{body}");
    assert_eq!(
        app.detail(&id).await["status"],
        "running",
        "nothing recorded"
    );

    std::fs::remove_file(&filler).unwrap();
    assert_eq!(wait_ready(&app, 200).await, "ready\n");
    let detail = app.wait_status(&id, &["interrupted"]).await;
    assert_eq!(detail["status"], "interrupted");
    app.new_draft().await;
    let res = app
        .post_form(&format!("/api/v1/installs/{id}/resume"), &[])
        .await;
    assert_eq!(res.status(), 202, "{}", res.text().await.unwrap());
    app.wait_status(&id, &["succeeded"]).await;
    let leftovers: Vec<String> = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.contains("recovery") && !n.starts_with("recovery-"))
        .collect();
    assert_eq!(
        leftovers,
        Vec::<String>::new(),
        "no reserved or temporary file is left"
    );
    app.stop().await;
}
