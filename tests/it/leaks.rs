//! The no-leak canary: the real binary (`serve --simulate`) runs a complete simulated install
//! whose Azure client secret is a recognisable canary (the simulator's account secret, also
//! entered on the settings page) and whose certificate key is uploaded (`tls: provided`). Then
//! neither the canary nor the key, as written, base64- or URL-encoded, may appear in the
//! console's stdout/stderr (debug logging on), any file of its data dir (database, WAL, SHM,
//! key file, recovery files; the simulator's own state, which is Azure's side, excepted), the
//! SSE streams, any HTML page (error pages included), the exported YAML or the downloaded logs.

use crate::helpers::SAMPLE_YAML;
use base64::Engine;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Recognisable, with characters that base64 and URL encoding change.
const CANARY: &str = "KATONIC-CANARY~q8Zv.41+/=secret";

/// The forms a secret travels in.
fn forms(secret: &str) -> Vec<String> {
    let mut out = vec![secret.to_string()];
    for engine in [
        &base64::engine::general_purpose::STANDARD,
        &base64::engine::general_purpose::STANDARD_NO_PAD,
        &base64::engine::general_purpose::URL_SAFE,
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ] {
        out.push(engine.encode(secret));
    }
    out.push(
        percent_encoding::utf8_percent_encode(secret, percent_encoding::NON_ALPHANUMERIC)
            .to_string(),
    );
    out.push(form_urlencoded::byte_serialize(secret.as_bytes()).collect());
    out
}

/// The canary's forms and the uploaded key's: its whole PEM (and base64 of it, as kubeconfigs
/// and Secrets carry it) and each base64 line that the certificate does not share.
fn needles(key_pem: &str, cert_pem: &str) -> Vec<(String, String)> {
    let mut needles: Vec<(String, String)> = forms(CANARY)
        .into_iter()
        .map(|f| ("the client secret canary".to_string(), f))
        .collect();
    for f in forms(key_pem) {
        needles.push(("the TLS key".to_string(), f));
    }
    for line in key_pem
        .lines()
        .filter(|l| !l.starts_with("-----") && l.len() >= 16 && !cert_pem.contains(l))
    {
        needles.push(("a line of the TLS key".to_string(), line.to_string()));
    }
    needles
}

fn assert_clean(what: &str, bytes: &[u8], needles: &[(String, String)]) {
    for (name, needle) in needles {
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
            "{name} appears in {what}"
        );
    }
}

/// A certificate for the sample's hosts and its key.
fn certificate() -> (String, String) {
    let mut params = rcgen::CertificateParams::new(vec!["*.example.com".to_string()]).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "*.example.com");
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(90);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    (cert.pem(), key.serialize_pem())
}

/// Bytes a child writes to a pipe, collected on a thread.
fn collect(
    mut pipe: impl Read + Send + 'static,
) -> (Arc<Mutex<Vec<u8>>>, std::thread::JoinHandle<()>) {
    let buf = Arc::new(Mutex::new(Vec::new()));
    let sink = buf.clone();
    let handle = std::thread::spawn(move || {
        let mut chunk = [0u8; 8192];
        while let Ok(n) = pipe.read(&mut chunk) {
            if n == 0 {
                break;
            }
            sink.lock().unwrap().extend_from_slice(&chunk[..n]);
        }
    });
    (buf, handle)
}

fn files_under(dir: &Path, skip: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path == skip {
            continue;
        }
        if path.is_dir() {
            files_under(&path, skip, out);
        } else {
            out.push(path);
        }
    }
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn a_canary_secret_never_leaves_the_console() {
    let temp = tempfile::tempdir().unwrap();
    let data = temp.path().join("data");
    let sim_dir = data.join("simulator");
    // The simulated account is created with the canary as its client secret; the console's
    // `--simulate` reuses that state. (The data dir is created 0755 here: the console must
    // tighten it.)
    let rt = tokio::runtime::Runtime::new().unwrap();
    let tenant = rt.block_on(async {
        let mut config = katonic_sim::SimConfig::for_dir(&sim_dir);
        config.client_secret = Some(CANARY.to_string());
        let sim = katonic_sim::start(config).await.unwrap();
        assert_eq!(sim.client_secret, CANARY);
        let tenant = sim.tenant_id.clone();
        sim.shutdown().await;
        tenant
    });
    drop(rt);

    let mut child = Command::new(env!("CARGO_BIN_EXE_katonic-console"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--simulate",
            "--simulate-console-network",
            "unplaced",
            "--time-scale",
            "0.001",
        ])
        .arg("--data-dir")
        .arg(&data)
        // Verbose on purpose: whatever the console and its libraries log must be clean.
        .env(
            "RUST_LOG",
            "debug,sqlx=warn,hyper=info,hyper_util=info,h2=info,rustls=info",
        )
        .env_remove("AZURE_CLIENT_SECRET")
        .env_remove("AZURE_CLIENT_ID")
        .env_remove("AZURE_TENANT_ID")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (err_buf, err_thread) = collect(child.stderr.take().unwrap());
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let base = first
        .trim()
        .strip_prefix("Listening on ")
        .unwrap_or_else(|| panic!("no Listening line: {first:?}"))
        .to_string();
    let (out_buf, out_thread) = collect(stdout);
    // A script's access: the API token the console created in its data dir.
    let token = std::fs::read_to_string(data.join("api-token")).unwrap();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {}", token.trim()).parse().unwrap(),
    );
    let http = reqwest::blocking::Client::builder()
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let url = |path: &str| format!("{base}{path}");
    let mut seen: Vec<(String, Vec<u8>)> = Vec::new();

    // The admin enters the canary on the settings page: first with a mistake (422 page), then
    // right; the API shows only that it is set.
    let res = http
        .post(url("/settings"))
        .form(&[
            ("credential", "service-principal"),
            ("tenantId", "not-a-guid"),
            ("clientId", "also-wrong"),
            ("clientSecret", CANARY),
        ])
        .send()
        .unwrap();
    assert_eq!(res.status(), 422);
    seen.push((
        "the settings 422 page".into(),
        res.bytes().unwrap().to_vec(),
    ));
    let res = http
        .put(url("/api/v1/settings/azure"))
        .json(
            &serde_json::json!({"credential": "service-principal", "tenantId": "x",
                                  "clientSecret": CANARY}),
        )
        .send()
        .unwrap();
    assert_eq!(res.status(), 422);
    seen.push((
        "the settings API's 422".into(),
        res.bytes().unwrap().to_vec(),
    ));
    let res = http
        .put(url("/api/v1/settings/azure"))
        .json(&serde_json::json!({
            "credential": "service-principal",
            "tenantId": tenant,
            "clientId": "11111111-2222-4333-8444-555555555555",
            "clientSecret": CANARY,
        }))
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    let body = res.bytes().unwrap().to_vec();
    assert!(String::from_utf8_lossy(&body).contains(r#""clientSecretSet":true"#));
    seen.push(("the settings API".into(), body));

    // A secret in a query string (a form sent with GET by mistake): the request log would
    // show the URI; the redactor must catch its URL-encoded form.
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("clientSecret", CANARY)
        .finish();
    let res = http.get(url(&format!("/settings?{query}"))).send().unwrap();
    assert_eq!(res.status(), 200);
    seen.push(("the settings page".into(), res.bytes().unwrap().to_vec()));

    // The install, with an uploaded certificate.
    let spec = SAMPLE_YAML
        .replace("  kubernetesVersion: \"1.30\"\n", "")
        .replace("tls: selfSigned", "tls: provided");
    assert!(spec.contains("tls: provided"));
    let res = http
        .post(url("/api/v1/installs"))
        .header("content-type", "application/yaml")
        .body(spec)
        .send()
        .unwrap();
    assert_eq!(res.status(), 201);
    let id = res.json::<serde_json::Value>().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (cert, key) = certificate();
    let res = http
        .put(url(&format!("/api/v1/installs/{id}/certificate")))
        .json(&serde_json::json!({"certificate": cert, "key": key}))
        .send()
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().unwrap());
    let res = http
        .post(url(&format!("/api/v1/installs/{id}/start")))
        .send()
        .unwrap();
    assert_eq!(res.status(), 202);
    // A liveness bound (a hang fails instead of blocking CI), not a speed check.
    let deadline = Instant::now() + Duration::from_secs(180);
    let status = loop {
        let detail: serde_json::Value = http
            .get(url(&format!("/api/v1/installs/{id}")))
            .send()
            .unwrap()
            .json()
            .unwrap();
        let status = detail["status"].as_str().unwrap().to_string();
        if status == "succeeded" || status == "failed" {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the install never ended: {status}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let logs = http
        .get(url(&format!("/api/v1/installs/{id}/logs")))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert_eq!(status, "succeeded", "{logs}");
    assert!(
        logs.contains("katonic-tls"),
        "the uploaded certificate was applied: {logs}"
    );

    // Every page, export, log download and error page.
    let mut pages: Vec<(String, Option<u16>)> = [
        "/",
        "/installs",
        "/settings",
        "/api/v1/installs",
        "/api/v1/settings/azure",
    ]
    .iter()
    .map(|p| (p.to_string(), Some(200u16)))
    .collect();
    pages[0].1 = Some(303);
    for path in [
        format!("/installs/{id}"),
        format!("/installs/{id}/spec.yaml"),
        format!("/installs/{id}/logs.txt"),
        format!("/api/v1/installs/{id}"),
        format!("/api/v1/installs/{id}/spec"),
        format!("/api/v1/installs/{id}/logs"),
    ] {
        pages.push((path, Some(200)));
    }
    // The review and wizard pages of a started install may answer 200 or redirect; read them
    // whatever they say.
    pages.push((format!("/installs/{id}/review"), None));
    for step in ["azure", "cluster", "pools", "domain", "storage"] {
        pages.push((format!("/installs/{id}/wizard/{step}"), None));
    }
    // A clone of it is a draft: its wizard pages render in full.
    let res = http
        .post(url(&format!("/installs/{id}/clone")))
        .send()
        .unwrap();
    assert_eq!(res.status(), 303);
    let draft = res.headers()["location"].to_str().unwrap().to_string();
    let draft = draft
        .strip_prefix("/installs/")
        .and_then(|d| d.split('/').next())
        .unwrap()
        .to_string();
    for step in ["azure", "cluster", "pools", "domain", "storage"] {
        pages.push((format!("/installs/{draft}/wizard/{step}"), Some(200)));
    }
    pages.push(("/no-such-page".to_string(), Some(404)));
    pages.push(("/installs/0190-not-an-id".to_string(), None));
    for (path, expected) in pages {
        let res = http.get(url(&path)).send().unwrap();
        if let Some(code) = expected {
            assert_eq!(res.status().as_u16(), code, "{path}");
        }
        seen.push((path, res.bytes().unwrap().to_vec()));
    }
    // The support bundle, unpacked (its gzip would hide a secret from a byte scan).
    for path in [
        format!("/installs/{id}/support-bundle.tar.gz"),
        format!("/api/v1/installs/{id}/support-bundle"),
    ] {
        let res = http.get(url(&path)).send().unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let gz = res.bytes().unwrap().to_vec();
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(gz.as_slice()));
        let mut files = 0;
        for entry in archive.entries().unwrap() {
            let mut entry = entry.unwrap();
            let name = format!("{path}!{}", entry.path().unwrap().display());
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).unwrap();
            seen.push((name, bytes));
            files += 1;
        }
        assert!(files >= 8, "{path}: {files} files");
    }
    // The SSE streams, from the first event to `done`.
    for path in [
        format!("/installs/{id}/stream"),
        format!("/api/v1/installs/{id}/events"),
    ] {
        let mut res = http.get(url(&path)).send().unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let mut text = Vec::new();
        let mut chunk = [0u8; 8192];
        while !String::from_utf8_lossy(&text).contains("event: done") {
            let n = res.read(&mut chunk).unwrap();
            if n == 0 {
                break;
            }
            text.extend_from_slice(&chunk[..n]);
        }
        assert!(
            String::from_utf8_lossy(&text).contains("event: done"),
            "{path}"
        );
        seen.push((path, text));
    }
    let html = seen
        .iter()
        .filter(|(_, b)| String::from_utf8_lossy(b).contains("<html"))
        .count();
    assert!(html >= 12, "HTML pages were read ({html})");

    // Stop it as an admin would (SIGTERM), then read its output whole.
    let killed = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(killed.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "exit after SIGTERM: {exit:?}");
    out_thread.join().unwrap();
    err_thread.join().unwrap();
    let stdout = std::mem::take(&mut *out_buf.lock().unwrap());
    let stderr = std::mem::take(&mut *err_buf.lock().unwrap());
    let log = String::from_utf8_lossy(&stderr).to_string();
    assert!(log.contains("DEBUG"), "debug logging was on");
    // Request spans name the path only: the query (where the canary was sent) never reaches
    // the log at all, redacted or not.
    let plain = regex::Regex::new("\x1b\\[[0-9;]*m")
        .unwrap()
        .replace_all(&log, "");
    assert!(plain.contains("path=/settings"), "the request was logged");
    assert!(
        !plain.contains("clientSecret="),
        "a query string was logged"
    );
    seen.push(("stdout".into(), stdout));
    seen.push(("stderr".into(), stderr));

    // Every file the console keeps (its simulator's state is Azure's side: the secret is
    // Azure's to know there).
    let mut files = Vec::new();
    files_under(&data, &sim_dir, &mut files);
    let names: Vec<String> = files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().to_string())
        .collect();
    assert!(names.iter().any(|n| n == "katonic-console.db"), "{names:?}");
    for file in &files {
        seen.push((file.display().to_string(), std::fs::read(file).unwrap()));
    }

    let needles = needles(&key, &cert);
    // Control: the needles do match real bytes (the simulator, Azure's side, knows the secret).
    let state = std::fs::read(sim_dir.join("state.json")).unwrap();
    assert!(
        std::panic::catch_unwind(|| assert_clean("the simulator's state", &state, &needles))
            .is_err(),
        "the simulator's state holds the canary"
    );
    for (what, bytes) in &seen {
        assert_clean(what, bytes, &needles);
    }

    // And the data dir is private: 0700, its files 0600.
    #[cfg(unix)]
    {
        assert_eq!(mode(&data), 0o700, "the data dir");
        for file in &files {
            assert_eq!(mode(file), 0o600, "{}", file.display());
        }
    }
}
