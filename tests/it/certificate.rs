//! Uploaded certificates (`domain.tls: provided`): the wizard's upload with per-field errors and
//! a summary, the API's `PUT …/certificate`, the start refused without one, the CLI's
//! `--tls-cert/--tls-key`, and a full simulated install whose `katonic-tls` Secret holds the
//! upload, while the key's text never reaches the database files, a page or the event stream.

use crate::azure;
use crate::helpers::{SAMPLE_YAML, TestApp, location, sample_path};
use futures_util::StreamExt;
use katonic_console::store::SecretName;
use secrecy::SecretString;
use std::time::Duration;
use time::OffsetDateTime;

/// A certificate made for a test, with its key.
struct Issued {
    cert: String,
    key: String,
    /// SHA-256 of the certificate, as the console shows it.
    fingerprint: String,
}

fn issue(names: &[&str], from_days: i64, until_days: i64) -> Issued {
    use sha2::Digest;
    let mut params =
        rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .unwrap();
    let now = OffsetDateTime::now_utc();
    params.not_before = now + time::Duration::days(from_days);
    params.not_after = now + time::Duration::days(until_days);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, names[0]);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    let fingerprint = sha2::Sha256::digest(cert.der().as_ref())
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":");
    Issued {
        cert: cert.pem(),
        key: key.serialize_pem(),
        fingerprint,
    }
}

/// Good for the sample's hosts: the domain and both add-ons.
fn wildcard() -> Issued {
    issue(&["*.example.com"], -1, 90)
}

/// The base64 lines of a PEM key that the certificate does not share (a PKCS#8 key holds the
/// public key and algorithm too): none may appear anywhere but in the cluster's Secret.
fn key_lines(issued: &Issued) -> Vec<&str> {
    let lines: Vec<&str> = issued
        .key
        .lines()
        .filter(|l| !l.starts_with("-----") && l.len() >= 16)
        .filter(|l| !issued.cert.contains(l))
        .collect();
    assert!(!lines.is_empty(), "the key has lines of its own");
    lines
}

fn assert_no_key(haystack: &[u8], issued: &Issued, what: &str) {
    for line in key_lines(issued) {
        assert!(
            !haystack.windows(line.len()).any(|w| w == line.as_bytes()),
            "the private key appears in {what}"
        );
    }
}

fn provided(spec: &str) -> String {
    let out = spec.replace("tls: selfSigned", "tls: provided");
    assert!(out.contains("tls: provided"));
    out
}

/// A draft from the sample with `tls: provided`, created over the API.
async fn provided_draft(app: &TestApp) -> String {
    let res = app
        .post_body(
            "/api/v1/installs",
            "application/yaml",
            &provided(SAMPLE_YAML),
        )
        .await;
    assert_eq!(res.status(), 201);
    res.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn text(app: &TestApp, path: &str) -> (u16, String) {
    let res = app.get(path).await;
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn put_certificate(app: &TestApp, id: &str, body: &serde_json::Value) -> reqwest::Response {
    app.client
        .put(app.url(&format!("/api/v1/installs/{id}/certificate")))
        .json(body)
        .send()
        .await
        .unwrap()
}

/// PUT a certificate and key the API must refuse (422); the answer's body.
async fn refused(app: &TestApp, id: &str, cert: &str, key: &str) -> serde_json::Value {
    let res = put_certificate(
        app,
        id,
        &serde_json::json!({ "certificate": cert, "key": key }),
    )
    .await;
    assert_eq!(res.status(), 422);
    res.json().await.unwrap()
}

#[tokio::test]
async fn the_wizard_refuses_a_certificate_missing_a_host_then_stores_a_good_one() {
    let app = TestApp::spawn().await;
    let id = provided_draft(&app).await;
    let (status, page) = text(&app, &format!("/installs/{id}/wizard/domain")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains(r#"<section id="certificate" class="certificate">"#),
        "{page}"
    );
    assert!(page.contains(r#"name="certificate""#) && page.contains(r#"name="key""#));
    let upload = format!("/installs/{id}/certificate");

    // Only the domain: both add-on hosts are missing, and the error says which.
    let narrow = issue(&["katonic.example.com"], -1, 90);
    let res = app
        .post_form(
            &upload,
            &[("certificate", &narrow.cert), ("key", &narrow.key)],
        )
        .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("does not cover dash-katonic.example.com, connectors-katonic.example.com"),
        "{html}"
    );
    assert!(html.contains("*.example.com"), "the fix names the wildcard");
    assert!(
        html.contains(narrow.cert.lines().nth(1).unwrap()),
        "the certificate is kept"
    );
    assert_no_key(html.as_bytes(), &narrow, "the refused upload's page");

    // Someone else's key: the key field says so.
    let good = wildcard();
    let other = wildcard();
    let res = app
        .post_form(&upload, &[("certificate", &good.cert), ("key", &other.key)])
        .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("the key does not belong to the certificate"),
        "{html}"
    );
    assert_no_key(html.as_bytes(), &other, "the refused upload's page");

    // Nothing pasted: both fields are named.
    let res = app
        .post_form(&upload, &[("certificate", ""), ("key", "")])
        .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("no PEM certificate found") && html.contains("no PEM private key found"));

    // A good one is stored; the page shows its summary and only says that a key is stored.
    // Browsers send a textarea's lines with CRLF.
    let res = app
        .post_form(
            &upload,
            &[
                ("certificate", &good.cert.replace('\n', "\r\n")),
                ("key", &good.key.replace('\n', "\r\n")),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        location(&res),
        format!("/installs/{id}/wizard/domain#certificate")
    );
    let (_, page) = text(&app, &format!("/installs/{id}/wizard/domain")).await;
    assert!(page.contains(&good.fingerprint), "{page}");
    assert!(page.contains("CN=*.example.com"), "{page}");
    assert!(page.contains("A key is stored; paste a new one to replace it"));
    assert_no_key(page.as_bytes(), &good, "the domain page");
    let (status, review) = text(&app, &format!("/installs/{id}/review")).await;
    assert_eq!(status, 200, "{review}");
    assert!(review.contains(&good.fingerprint));
    assert!(review.contains("Queue install"));

    // A renewed certificate for the same key: the key field may stay empty.
    let res = app
        .post_form(&upload, &[("certificate", &good.cert), ("key", "")])
        .await;
    assert_eq!(res.status(), 303);

    // The domain changes: the stored certificate no longer covers it, and review says so.
    let res = app
        .post_form(
            &format!("/installs/{id}/wizard/domain/check"),
            &[
                ("domain.fqdn", "katonic.example.org"),
                ("ingress.loadBalancer", "internal"),
                ("domain.tls", "provided"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let (status, review) = text(&app, &format!("/installs/{id}/review")).await;
    assert_eq!(status, 422);
    assert!(
        review.contains("does not cover katonic.example.org"),
        "{review}"
    );
    assert!(!review.contains("Queue install"));
    let res = app.post_form(&format!("/installs/{id}/start"), &[]).await;
    assert_eq!(res.status(), 422);
    assert_eq!(app.detail(&id).await["status"], "draft");
}

#[tokio::test]
async fn choosing_provided_on_the_domain_page_shows_the_upload() {
    let app = TestApp::spawn().await;
    let res = app
        .post_body("/api/v1/installs", "application/yaml", SAMPLE_YAML)
        .await;
    let id = res.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, page) = text(&app, &format!("/installs/{id}/wizard/domain")).await;
    assert!(page.contains(r#"<section id="certificate" class="certificate" hidden>"#));
    let check = format!("/installs/{id}/wizard/domain/check");
    let mut form = vec![
        ("domain.fqdn", "katonic.example.com"),
        ("ingress.loadBalancer", "internal"),
        ("domain.tls", "provided"),
    ];
    let html = app.post_form(&check, &form).await.text().await.unwrap();
    assert!(
        html.contains(r#"<section id="certificate" class="certificate" hx-swap-oob="true">"#),
        "{html}"
    );
    // Another change leaves the section (and what is being pasted) alone.
    form[1] = ("ingress.loadBalancer", "external");
    let html = app.post_form(&check, &form).await.text().await.unwrap();
    assert!(!html.contains(r#"id="certificate""#), "{html}");
}

#[tokio::test]
async fn the_api_refuses_to_start_without_a_certificate_and_checks_each_upload() {
    let app = TestApp::spawn().await;
    let id = provided_draft(&app).await;
    let start = format!("/api/v1/installs/{id}/start");
    let res = app.post_form(&start, &[]).await;
    assert_eq!(res.status(), 422);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["errors"][0]["field"], "domain.tls.certificate");
    assert_eq!(body["errors"][0]["rule"], "tls.not-uploaded");
    assert!(
        body["errors"][0]["fix"]
            .as_str()
            .unwrap()
            .contains("/certificate"),
        "{body}"
    );

    let good = wildcard();
    let res = app
        .client
        .put(app.url(&format!("/api/v1/installs/{id}/certificate")))
        .header("content-type", "application/json")
        .body(format!("\"{}\"", good.key.replace('\n', "\\n")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let message = res.text().await.unwrap();
    assert_no_key(message.as_bytes(), &good, "a 400 answer");

    let narrow = issue(&["katonic.example.com"], -1, 90);
    let body = refused(&app, &id, &narrow.cert, &narrow.key).await;
    assert_eq!(body["errors"][0]["field"], "domain.tls.certificate");
    assert_eq!(body["errors"][0]["rule"], "tls.hosts");

    let expired = issue(&["*.example.com"], -90, -1);
    let body = refused(&app, &id, &expired.cert, &expired.key).await;
    assert_eq!(body["errors"][0]["rule"], "tls.expired");

    let other = wildcard();
    let body = refused(&app, &id, &good.cert, &other.key).await;
    assert_eq!(body["errors"][0]["field"], "domain.tls.key");

    let res = put_certificate(
        &app,
        &id,
        &serde_json::json!({ "certificate": good.cert, "key": good.key }),
    )
    .await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["fingerprint"], good.fingerprint);
    assert_eq!(body["names"], serde_json::json!(["*.example.com"]));
    assert!(body.get("key").is_none());

    let res = app.post_form(&start, &[]).await;
    assert_eq!(res.status(), 202, "{}", res.text().await.unwrap());
    app.wait_status(&id, &["succeeded"]).await;
}

/// `install -f spec.yaml --tls-cert --tls-key`: checked before anything is recorded.
#[test]
fn the_cli_takes_the_certificate_and_key_as_files() {
    let temp = tempfile::tempdir().unwrap();
    let spec = temp.path().join("spec.yaml");
    std::fs::write(
        &spec,
        provided(&std::fs::read_to_string(sample_path()).unwrap()),
    )
    .unwrap();
    let script = temp.path().join("steps.yaml");
    std::fs::write(&script, "steps: {}\n").unwrap();
    let run = |extra: &[&std::path::Path]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_katonic-console"));
        cmd.args(["install", "--simulate", "--step-script"])
            .arg(&script)
            .arg("-f")
            .arg(&spec)
            .arg("--data-dir")
            .arg(temp.path().join("data"));
        if let [cert, key] = extra {
            cmd.arg("--tls-cert").arg(cert).arg("--tls-key").arg(key);
        }
        cmd.output().unwrap()
    };
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("domain.tls.certificate"), "{stderr}");
    assert!(
        stderr.contains("--tls-cert FILE --tls-key FILE"),
        "{stderr}"
    );

    let write = |name: &str, issued: &Issued| {
        let cert = temp.path().join(format!("{name}.crt"));
        let key = temp.path().join(format!("{name}.key"));
        std::fs::write(&cert, &issued.cert).unwrap();
        std::fs::write(&key, &issued.key).unwrap();
        (cert, key)
    };
    let (cert, key) = write("narrow", &issue(&["katonic.example.com"], -1, 90));
    let out = run(&[&cert, &key]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("does not cover dash-katonic.example.com"),
        "{stderr}"
    );

    let good = wildcard();
    let (cert, key) = write("good", &good);
    let out = run(&[&cert, &key]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains(&good.fingerprint), "{stdout}");
    assert!(stdout.trim_end().ends_with("succeeded"), "{stdout}");
    assert_no_key(stdout.as_bytes(), &good, "the CLI's output");
}

/// An SSE stream's raw text up to its `done` event.
async fn sse_text(app: &TestApp, path: &str) -> String {
    let res = app.get(path).await;
    assert_eq!(res.status(), 200);
    let mut body = res.bytes_stream();
    let mut text = String::new();
    // A liveness bound only: a finished install's stream ends at once with `done`.
    let read = async {
        while let Some(chunk) = body.next().await {
            text.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
            if text.contains("event: done") {
                break;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), read)
        .await
        .unwrap();
    text
}

#[tokio::test]
async fn a_simulated_install_applies_the_uploaded_certificate_and_never_shows_its_key() {
    let world = azure::world().await;
    let app = azure::console(&world).await;
    let good = wildcard();
    let res = app
        .post_body(
            "/api/v1/installs",
            "application/yaml",
            &provided(&azure::sample(&world.sim)),
        )
        .await;
    assert_eq!(res.status(), 201);
    let id = res.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let res = put_certificate(
        &app,
        &id,
        &serde_json::json!({ "certificate": good.cert, "key": good.key }),
    )
    .await;
    assert_eq!(res.status(), 200);
    // The API server refuses the TLS secret once: the install fails at the tls step, so the
    // step can be retried (issue 16: a succeeded install's steps are not).
    world.sim.set_faults(katonic_sim::FaultPlan::single(
        katonic_sim::FaultRule::new(
            "PATCH",
            "/secrets/katonic-tls$",
            katonic_sim::FaultAction::Error {
                status: 403,
                code: "Forbidden".into(),
                message: "secrets is forbidden".into(),
            },
        )
        .times(1),
    ));
    let res = app
        .post_form(&format!("/api/v1/installs/{id}/start"), &[])
        .await;
    assert_eq!(res.status(), 202);
    let detail = app.wait_status(&id, &["succeeded", "failed"]).await;
    assert_eq!(
        detail["status"],
        "failed",
        "{}",
        azure::log(&app, &id).await
    );
    let retry = format!("/api/v1/installs/{id}/steps/tls/retry");

    // The certificate expired since the upload (stored as an old upload would be): the step
    // fails with the date and the fix, before touching the cluster.
    let expired = issue(&["*.example.com"], -90, -1);
    let install = katonic_console::store::InstallId::parse(&id).unwrap();
    let put = |pair: &Issued| {
        let (cert, key) = (
            SecretString::from(pair.cert.clone()),
            SecretString::from(pair.key.clone()),
        );
        let store = app.store.clone();
        async move {
            store
                .put_secrets(
                    install,
                    &[
                        (SecretName::TlsCertificate, &cert),
                        (SecretName::TlsKey, &key),
                    ],
                )
                .await
                .unwrap();
        }
    };
    put(&expired).await;
    assert_eq!(app.post_form(&retry, &[]).await.status(), 202);
    let detail = app.wait_status(&id, &["succeeded", "failed"]).await;
    assert_eq!(detail["status"], "failed");
    let log = azure::log(&app, &id).await;
    let expired_on = (OffsetDateTime::now_utc() - time::Duration::days(1))
        .date()
        .to_string();
    assert!(log.contains("CertificateExpired"), "{log}");
    assert!(log.contains(&format!("expired on {expired_on}")), "{log}");
    assert!(log.contains("renew it and upload the new one"), "{log}");

    // The valid certificate again: the retried step creates the secret, the install succeeds.
    put(&good).await;
    assert_eq!(app.post_form(&retry, &[]).await.status(), 202);
    let detail = app.wait_status(&id, &["succeeded", "failed"]).await;
    assert_eq!(
        detail["status"],
        "succeeded",
        "{}",
        azure::log(&app, &id).await
    );
    let log = azure::log(&app, &id).await;
    assert!(
        log.contains("Secret/katonic/katonic-tls created: the uploaded certificate for katonic.example.com, dash-katonic.example.com, connectors-katonic.example.com"),
        "{log}"
    );
    assert!(log.contains(&good.fingerprint), "{log}");
    // Succeeded: the step does not run again.
    assert_eq!(app.post_form(&retry, &[]).await.status(), 409);

    // Nothing of either key in any page or stream of the install.
    let mut seen = String::new();
    for path in [
        format!("/installs/{id}"),
        format!("/installs/{id}/review"),
        format!("/installs/{id}/logs.txt"),
        format!("/api/v1/installs/{id}"),
        format!("/api/v1/installs/{id}/logs"),
        format!("/installs/{id}/spec.yaml"),
    ] {
        let (status, body) = text(&app, &path).await;
        // The review of a failed install says why its certificate cannot be used now (422).
        assert!(
            status == 200 || path.ends_with("/review"),
            "{path}: {status}"
        );
        seen.push_str(&body);
    }
    seen.push_str(&sse_text(&app, &format!("/api/v1/installs/{id}/events")).await);
    seen.push_str(&sse_text(&app, &format!("/installs/{id}/stream")).await);
    assert!(seen.contains("katonic-tls"), "the pages were read");
    for issued in [&good, &expired] {
        assert_no_key(seen.as_bytes(), issued, "a page or stream");
    }

    // Nor in the database files, WAL included.
    let data = world.dir.join("data");
    let _temp = app.stop().await;
    let mut files = 0;
    for entry in std::fs::read_dir(&data).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.starts_with("katonic-console.db") {
            files += 1;
            let bytes = std::fs::read(&path).unwrap();
            for issued in [&good, &expired] {
                assert_no_key(&bytes, issued, &name);
            }
        }
    }
    assert!(files >= 1);

    // The simulator's cluster holds the uploaded certificate (and its key) in katonic-tls.
    let azure::World {
        _temp: world_dir,
        dir,
        sim,
    } = world;
    sim.shutdown().await;
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("simulator/kube.json")).unwrap())
            .unwrap();
    let secret = saved["clusters"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|c| c["objects"].as_array().unwrap().iter())
        .find(|o| o[0] == "secrets" && o[1] == "katonic" && o[2] == "katonic-tls")
        .map(|o| o[3].clone())
        .expect("a katonic-tls Secret");
    use base64::Engine;
    let decode = |field: &str| {
        String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(secret["data"][field].as_str().unwrap())
                .unwrap(),
        )
        .unwrap()
    };
    assert_eq!(secret["type"], "kubernetes.io/tls");
    assert_eq!(decode("tls.crt"), good.cert);
    assert_eq!(decode("tls.key"), good.key);
    assert_eq!(
        secret["metadata"]["annotations"]["katonic.ai/self-signed"],
        "false"
    );
    drop(world_dir);
}

#[cfg(unix)]
#[tokio::test]
async fn a_key_file_readable_by_others_stops_the_console_from_starting() {
    use std::os::unix::fs::PermissionsExt;
    let temp = tempfile::tempdir().unwrap();
    let data = temp.path().join("data");
    TestApp::spawn_in(&data).await.stop().await;
    let key = data.join("secret.key");
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = katonic_console::store::Store::open(&data)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("chmod 600"), "{err}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_katonic-console"))
        .args(["history", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("secret.key") && stderr.contains("chmod 600"),
        "{stderr}"
    );
}
