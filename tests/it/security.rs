//! Access control and request hardening, over HTTP as a browser or a script (or an attacker's
//! page) would send it: no token no access, the one-time access URL and its cookie, the admin
//! password, `Host` allow-list, cross-site POSTs, GETs that change nothing, security headers on
//! every HTML page, body and stream limits, the bind rule, HTTPS and file modes.

use crate::helpers::{TestApp, api_token, spawn_console_started};
use katonic_console::config::AccessFlags;
use reqwest::redirect::Policy;
use reqwest::{Client, StatusCode};
use std::time::Duration;

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// A client with no credentials: a browser that has not signed in, or a stranger.
fn anonymous() -> Client {
    Client::builder().redirect(Policy::none()).build().unwrap()
}

/// Redeem `url` (an access URL) and return the session cookie pair (`name=value`) it set.
async fn redeem(url: &str) -> (reqwest::Response, Option<String>) {
    let res = anonymous().get(url).send().await.unwrap();
    let cookie = set_cookie(&res).map(|c| c.split(';').next().unwrap().to_string());
    (res, cookie)
}

fn set_cookie(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().to_string())
}

/// Sign a browser in with the console's access URL; returns its cookie.
async fn sign_in(app: &TestApp) -> String {
    let (res, cookie) = redeem(&app.access_url).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    cookie.expect("a session cookie")
}

async fn get_with(app: &TestApp, cookie: &str, path: &str) -> reqwest::Response {
    anonymous()
        .get(app.url(path))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
}

fn password_flags(password: &str) -> AccessFlags {
    AccessFlags {
        admin_password_hash: Some(katonic_console::access::password::hash(password).unwrap()),
        ..AccessFlags::default()
    }
}

async fn login(app: &TestApp, password: &str, cookie: Option<&str>) -> reqwest::Response {
    let mut req = anonymous()
        .post(app.url("/login"))
        .form(&[("password", password)]);
    if let Some(cookie) = cookie {
        req = req.header("cookie", cookie);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn without_a_token_nothing_but_health_and_static_files_answers() {
    let app = TestApp::spawn().await;
    let id = app.create_sample().await;
    let stranger = anonymous();
    for path in [
        "/".to_string(),
        "/installs".to_string(),
        format!("/installs/{id}"),
        format!("/installs/{id}/stream"),
        format!("/installs/{id}/logs.txt"),
        "/no/such/page".to_string(),
    ] {
        let res = stranger.get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "GET {path}");
        assert!(res.text().await.unwrap().contains("access URL"), "{path}");
    }
    let res = stranger
        .get(app.url("/api/v1/installs"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("api-token"),
        "{body}"
    );
    let res = stranger
        .get(app.url("/api/v1/installs"))
        .bearer_auth("not-the-token-not-the-token-not-the-token-x")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    for path in ["/installs/new", &format!("/api/v1/installs/{id}/start")] {
        let res = stranger.post(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "POST {path}");
    }
    assert_eq!(app.detail(&id).await["status"], "draft", "nothing started");
    for path in ["/healthz", "/static/app.css", "/login"] {
        let res = stranger.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "GET {path}");
    }
    // The API token, as scripts send it.
    let res = stranger
        .get(app.url("/api/v1/installs"))
        .bearer_auth(api_token(&app.data_dir_path()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_access_url_works_once_and_becomes_a_strict_cookie() {
    let app = TestApp::spawn().await;
    let token = app.access_url.rsplit("token=").next().unwrap();
    // At least 128 bits: 43 base64url characters carry 256.
    assert!(token.len() >= 22, "{token}");
    let (res, cookie) = redeem(&app.access_url).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/", "the token left the URL");
    assert_eq!(res.headers()["referrer-policy"], "no-referrer");
    let attributes = set_cookie(&res).unwrap();
    assert!(attributes.starts_with("katonic_session="), "{attributes}");
    for a in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(attributes.contains(a), "{a} in {attributes}");
    }
    assert!(!attributes.contains("Secure"), "plain HTTP: {attributes}");
    let cookie = cookie.unwrap();
    let res = get_with(&app, &cookie, "/installs").await;
    assert_eq!(res.status(), StatusCode::OK);
    // Single use: the same link again is refused, and sets nothing.
    let (res, again) = redeem(&app.access_url).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(again.is_none());
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("used already or has expired")
    );
    // A token of the right shape that was never issued.
    let forged = app.url(&format!("/?token={}", "A".repeat(43)));
    assert_eq!(redeem(&forged).await.0.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn sign_in_rotates_the_session_and_sign_out_ends_it_and_its_streams() {
    let app = TestApp::spawn_with_access(password_flags("correct horse battery"), |w| {
        w.max_installs = 0
    })
    .await;
    let first = sign_in(&app).await;
    // Signing in again from the same browser gives a new id; the old one is dead.
    let res = login(&app, "correct horse battery", Some(&first)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/installs");
    let second = set_cookie(&res)
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    assert_ne!(first, second);
    assert_eq!(
        get_with(&app, &first, "/installs").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        get_with(&app, &second, "/installs").await.status(),
        StatusCode::OK
    );

    // A live stream of the session (the install stays queued: no worker claims it).
    let id = app.start_sample().await;
    let mut stream = get_with(&app, &second, &format!("/installs/{id}/stream")).await;
    assert_eq!(stream.status(), StatusCode::OK);
    assert!(stream.chunk().await.unwrap().is_some(), "the replay");
    let res = anonymous()
        .post(app.url("/logout"))
        .header("cookie", &second)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(set_cookie(&res).unwrap().contains("Max-Age=0"));
    // The stream ends (a liveness bound, not a speed check).
    let ended = tokio::time::timeout(Duration::from_secs(30), async {
        while let Ok(Some(_)) = stream.chunk().await {}
    })
    .await;
    assert!(ended.is_ok(), "the stream stayed open after sign-out");
    assert_eq!(
        get_with(&app, &second, "/installs").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn wrong_passwords_get_one_message_and_the_sixth_in_a_minute_gets_429() {
    let app = TestApp::spawn_with_access(password_flags("correct horse battery"), |_| {}).await;
    let mut messages = Vec::new();
    for wrong in ["", "correct horse", "x", "correct horse battery ", "admin"] {
        let res = login(&app, wrong, None).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{wrong:?}");
        assert!(set_cookie(&res).is_none());
        let page = res.text().await.unwrap();
        messages.push(page.contains("Sign-in failed."));
    }
    assert_eq!(messages, [true; 5], "every failure says the same");
    // Even the right password waits now: the limit is on attempts, not on luck.
    let res = login(&app, "correct horse battery", None).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn a_console_without_a_password_refuses_every_password() {
    let app = TestApp::spawn().await;
    let res = login(&app, "anything", None).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.text().await.unwrap().contains("Sign-in failed."));
}

#[tokio::test]
async fn a_wrong_host_gets_403_before_access_or_routing() {
    let app = TestApp::spawn().await;
    let port = app.addr.port();
    for host in [
        "evil.example".to_string(),
        format!("evil.example:{port}"),
        format!("localhost:{}", port.wrapping_add(1).max(1)),
        format!("127.0.0.1.evil.example:{port}"),
    ] {
        // With the API token, without it, and on a path that does not exist: 403 each time.
        for (path, with_token) in [
            ("/api/v1/installs", true),
            ("/installs", false),
            ("/nope", true),
        ] {
            let mut req = anonymous().get(app.url(path)).header("host", &host);
            if with_token {
                req = req.bearer_auth(api_token(&app.data_dir_path()));
            }
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{host} {path}");
        }
    }
    for host in [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        format!("[::1]:{port}"),
    ] {
        let res = app
            .client
            .get(app.url("/api/v1/installs"))
            .header("host", &host)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{host}");
    }
}

#[tokio::test]
async fn an_extra_allowed_host_passes() {
    let app = TestApp::spawn_with_access(
        AccessFlags {
            allowed_hosts: vec!["console.example.com".into()],
            ..AccessFlags::default()
        },
        |_| {},
    )
    .await;
    let host = format!("console.example.com:{}", app.addr.port());
    let res = app
        .client
        .get(app.url("/api/v1/installs"))
        .header("host", &host)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_cross_site_post_is_403_and_a_same_origin_htmx_post_passes() {
    let app = TestApp::spawn().await;
    let cookie = sign_in(&app).await;
    let origin = format!("http://{}", app.addr);
    let post = |headers: Vec<(&'static str, String)>| {
        let mut req = anonymous()
            .post(app.url("/installs/new"))
            .header("cookie", &cookie);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        req.send()
    };
    for headers in [
        vec![("sec-fetch-site", "cross-site".to_string())],
        vec![("sec-fetch-site", "same-site".to_string())],
        vec![("origin", "http://evil.example".to_string())],
        vec![
            ("origin", "http://evil.example".to_string()),
            ("sec-fetch-site", "cross-site".to_string()),
        ],
    ] {
        let res = post(headers.clone()).await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{headers:?}");
    }
    // Cross-site to the API with its token: refused too.
    let res = app
        .client
        .post(app.url("/api/v1/installs"))
        .header("sec-fetch-site", "cross-site")
        .header("content-type", "application/yaml")
        .body(crate::helpers::SAMPLE_YAML)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let before = app
        .get("/api/v1/installs")
        .await
        .json::<Vec<serde_json::Value>>()
        .await;
    assert!(before.unwrap().is_empty(), "nothing was created");
    // What htmx sends from the console's own page.
    let res = post(vec![
        ("origin", origin),
        ("sec-fetch-site", "same-origin".to_string()),
        ("hx-request", "true".to_string()),
    ])
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

/// Every row of every table, as text: what a GET must leave as it was.
async fn database_dump(app: &TestApp) -> Vec<String> {
    let pool = app.store.reader();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut dump = Vec::new();
    for table in tables {
        let columns: Vec<String> =
            sqlx::query_scalar("SELECT name FROM pragma_table_info(?) ORDER BY cid")
                .bind(&table)
                .fetch_all(pool)
                .await
                .unwrap();
        let row = columns
            .iter()
            .map(|c| format!("quote(\"{c}\")"))
            .collect::<Vec<_>>()
            .join(" || '|' || ");
        // Names from sqlite_master and table_info, not from input.
        let sql = format!("SELECT {row} FROM \"{table}\"");
        let mut rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_all(pool)
            .await
            .unwrap();
        rows.sort();
        dump.push(format!("{table}: {}", rows.join("\n")));
    }
    dump
}

/// The GET routes of `web::router` and `web::api::router`, with real ids: none may change the
/// database (signing in with the access URL is the one exception, and it writes only the audit
/// log; it is checked apart).
#[tokio::test]
async fn no_get_route_changes_anything() {
    let app = TestApp::spawn().await;
    let cookie = sign_in(&app).await;
    let done = app.start_sample().await;
    app.wait_status(&done, &["succeeded"]).await;
    let draft = app.new_draft().await;
    let before = database_dump(&app).await;
    let mut paths = vec![
        "/".to_string(),
        "/healthz".to_string(),
        "/installs".to_string(),
        "/login".to_string(),
        "/static/app.css".to_string(),
        "/no/such/page".to_string(),
        "/api/v1/installs".to_string(),
    ];
    for id in [&done, &draft] {
        paths.extend([
            format!("/installs/{id}"),
            format!("/installs/{id}/review"),
            format!("/installs/{id}/spec.yaml"),
            format!("/installs/{id}/logs.txt"),
            format!("/installs/{id}/stream"),
            format!("/api/v1/installs/{id}"),
            format!("/api/v1/installs/{id}/spec"),
            format!("/api/v1/installs/{id}/events"),
            format!("/api/v1/installs/{id}/logs"),
        ]);
        for step in ["azure", "cluster", "pools", "domain", "storage"] {
            paths.push(format!("/installs/{id}/wizard/{step}"));
        }
    }
    for path in &paths {
        // As the page's browser and as a script; a stream of a finished run ends by itself.
        for res in [get_with(&app, &cookie, path).await, app.get(path).await] {
            assert!(
                !res.status().is_server_error(),
                "GET {path}: {}",
                res.status()
            );
            let _ = tokio::time::timeout(Duration::from_secs(10), res.bytes()).await;
        }
    }
    assert_eq!(
        database_dump(&app).await,
        before,
        "a GET changed the database"
    );
}

#[tokio::test]
async fn every_html_response_carries_the_security_headers() {
    let app = TestApp::spawn().await;
    let cookie = sign_in(&app).await;
    let id = app.create_sample().await;
    let draft = app.new_draft().await;
    let mut checked = 0;
    let responses = vec![
        get_with(&app, &cookie, "/installs").await,
        get_with(&app, &cookie, &format!("/installs/{id}")).await,
        get_with(&app, &cookie, &format!("/installs/{id}/review")).await,
        get_with(&app, &cookie, &format!("/installs/{draft}/wizard/azure")).await,
        get_with(&app, &cookie, "/no/such/page").await,
        anonymous().get(app.url("/installs")).send().await.unwrap(),
        anonymous().get(app.url("/login")).send().await.unwrap(),
        redeem(&app.access_url).await.0,
        anonymous()
            .get(app.url("/installs"))
            .header("host", "evil.example")
            .send()
            .await
            .unwrap(),
    ];
    for res in responses {
        let headers = res.headers();
        let what = format!("{} {}", res.url().path(), res.status());
        assert_eq!(headers["content-security-policy"], CSP, "{what}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{what}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{what}");
        assert_eq!(headers["x-frame-options"], "DENY", "{what}");
        if headers
            .get("content-type")
            .is_some_and(|v| v.to_str().unwrap().starts_with("text/html"))
        {
            checked += 1;
        }
    }
    assert!(checked >= 7, "only {checked} HTML pages were seen");
}

#[tokio::test]
async fn oversized_forms_and_uploads_get_413() {
    let app = TestApp::spawn().await;
    let big_form = format!("name={}", "a".repeat(65 * 1024));
    let res = app
        .post_body(
            "/installs/new",
            "application/x-www-form-urlencoded",
            &big_form,
        )
        .await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let small_form = format!("name={}", "a".repeat(60 * 1024));
    let res = app
        .post_body(
            "/installs/new",
            "application/x-www-form-urlencoded",
            &small_form,
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "a form under 64 KiB");
    // A form without a declared length (chunked) is cut at the limit too, where it is read.
    let chunks: Vec<Result<String, std::io::Error>> =
        (0..70).map(|_| Ok("a".repeat(1024))).collect();
    let res = app
        .client
        .post(app.url("/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let big_yaml = format!(
        "{}\n# {}\n",
        crate::helpers::SAMPLE_YAML,
        "x".repeat(1024 * 1024)
    );
    let form = reqwest::multipart::Form::new().text("yaml", big_yaml.clone());
    let res = app
        .client
        .post(app.url("/installs/upload"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let res = app
        .post_body("/api/v1/installs", "application/yaml", &big_yaml)
        .await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn the_17th_stream_of_a_session_and_the_257th_in_all_get_503() {
    let app = TestApp::spawn_with_access(password_flags("correct horse battery"), |w| {
        w.max_installs = 0
    })
    .await;
    let id = app.start_sample().await; // queued forever: its stream stays open
    let path = format!("/installs/{id}/stream");
    let mut open = Vec::new();
    let mut sessions = Vec::new();
    for _ in 0..16 {
        let res = login(&app, "correct horse battery", None).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        sessions.push(
            set_cookie(&res)
                .unwrap()
                .split(';')
                .next()
                .unwrap()
                .to_string(),
        );
    }
    for (n, cookie) in sessions.iter().enumerate() {
        for _ in 0..16 {
            let res = get_with(&app, cookie, &path).await;
            assert_eq!(res.status(), StatusCode::OK);
            open.push(res);
        }
        if n == 0 {
            let res = get_with(&app, cookie, &path).await;
            assert_eq!(
                res.status(),
                StatusCode::SERVICE_UNAVAILABLE,
                "17th of a session"
            );
            assert!(res.headers().contains_key("retry-after"));
        }
    }
    assert_eq!(open.len(), 256);
    let res = app.get(&format!("/api/v1/installs/{id}/events")).await;
    assert_eq!(
        res.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "257th in all"
    );
    assert!(res.headers().contains_key("retry-after"));
    // A closed stream gives its place back (once the server notices the client left).
    drop(open.pop());
    let reopened = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let res = app.get(&format!("/api/v1/installs/{id}/events")).await;
            if res.status() == StatusCode::OK {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(
        reopened.is_ok(),
        "the place of a closed stream was never freed"
    );
    drop(open);
    app.stop().await;
}

#[tokio::test]
async fn actions_are_audited_on_the_install_page() {
    let app = TestApp::spawn_configured(Default::default(), |w| w.max_installs = 0).await;
    let cookie = sign_in(&app).await;
    let id = app.start_sample().await; // by the API token
    let res = anonymous()
        .post(app.url(&format!("/installs/{id}/cancel")))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = anonymous()
        .post(app.url(&format!("/installs/{id}/clone")))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = get_with(&app, &cookie, &format!("/installs/{id}"))
        .await
        .text()
        .await
        .unwrap();
    let audit = &page[page.find("<h2>Audit</h2>").expect("an Audit section")..];
    let rows: Vec<&str> = audit.split("<tr>").skip(2).collect();
    assert_eq!(rows.len(), 3, "{audit}");
    assert!(
        rows[0].contains("api token") && rows[0].contains("start"),
        "{}",
        rows[0]
    );
    assert!(
        rows[1].contains("session ") && rows[1].contains("cancel"),
        "{}",
        rows[1]
    );
    assert!(
        rows[2].contains("session ") && rows[2].contains("clone (into "),
        "{}",
        rows[2]
    );
    // The session is named by a digest prefix, never by its cookie.
    let secret = cookie.split('=').nth(1).unwrap();
    assert!(!page.contains(secret));
    assert!(!page.contains(&secret[..8]));
}

#[test]
fn a_non_loopback_bind_without_tls_or_allowed_hosts_is_refused() {
    let temp = tempfile::tempdir().unwrap();
    let data = temp.path().join("data");
    let run = |extra: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_katonic-console"))
            .args(["serve", "--listen", "0.0.0.0:0", "--data-dir"])
            .arg(&data)
            .args(extra)
            .output()
            .unwrap()
    };
    for (extra, missing) in [
        (&[][..], &["--tls", "--allowed-host"][..]),
        (&["--tls"][..], &["--allowed-host"][..]),
        (
            &["--allowed-host", "console.example.com"][..],
            &["--tls"][..],
        ),
    ] {
        let out = run(extra);
        assert!(!out.status.success(), "{extra:?} was accepted");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("refusing to listen on 0.0.0.0:0"), "{err}");
        for m in missing {
            assert!(err.contains(m), "{extra:?}: {m} in {err}");
        }
        assert!(out.stdout.is_empty(), "no access URL printed");
    }
    assert!(!data.exists(), "a refused start touched the data dir");
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
#[tokio::test]
async fn the_api_token_file_is_private_and_kept_across_restarts() {
    let app = TestApp::spawn().await;
    let dir = app.data_dir_path();
    let file = dir.join(katonic_console::access::API_TOKEN_FILE);
    assert_eq!(mode(&file), 0o600);
    let token = api_token(&dir);
    let temp = app.stop().await;
    let again = TestApp::spawn_in(&dir).await;
    assert_eq!(api_token(&dir), token);
    assert_eq!(again.get("/api/v1/installs").await.status(), StatusCode::OK);
    again.stop().await;
    drop(temp);
}

/// `--tls`: a self-signed certificate for the allowed hosts, 0600, the same fingerprint after a
/// restart; HTTP/2 offered by ALPN; the cookie `Secure` with the `__Host-` prefix.
#[cfg(unix)]
#[tokio::test]
async fn tls_generates_a_private_certificate_once_and_offers_h2() {
    let temp = tempfile::tempdir().unwrap();
    let data = temp.path().join("data");
    let serve = || {
        spawn_console_started(&[
            "serve".as_ref(),
            "--listen".as_ref(),
            "127.0.0.1:0".as_ref(),
            "--tls".as_ref(),
            "--allowed-host".as_ref(),
            "console.example.com".as_ref(),
            "--data-dir".as_ref(),
            data.as_os_str(),
        ])
    };
    let fingerprint = |lines: &[String]| {
        lines
            .iter()
            .find_map(|l| l.split("SHA-256 fingerprint ").nth(1))
            .map(|rest| rest.split(')').next().unwrap().to_string())
            .expect("a fingerprint line")
    };
    let (mut child, started) = serve();
    assert!(
        started.url.starts_with("https://127.0.0.1:"),
        "{}",
        started.url
    );
    let first = fingerprint(&started.lines);
    let cert_file = data.join(katonic_console::access::tls::CERT_FILE);
    let key_file = data.join(katonic_console::access::tls::KEY_FILE);
    assert_eq!(mode(&cert_file), 0o600);
    assert_eq!(mode(&key_file), 0o600);
    let pem = std::fs::read(&cert_file).unwrap();

    // ALPN: a client offering h2 gets h2; TLS 1.2 alone is accepted (rustls has nothing older).
    let addr = started.url.trim_start_matches("https://").to_string();
    assert_eq!(alpn(&addr, &pem, None).as_deref(), Some(&b"h2"[..]));
    assert_eq!(
        alpn(&addr, &pem, Some(&rustls::version::TLS12)).as_deref(),
        Some(&b"h2"[..])
    );

    let client = Client::builder()
        .redirect(Policy::none())
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
        .build()
        .unwrap();
    let res = client.get(started.access_url()).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let cookie = set_cookie(&res).unwrap();
    assert!(cookie.starts_with("__Host-katonic_session="), "{cookie}");
    assert!(cookie.contains("; Secure"), "{cookie}");
    let res = client
        .get(format!("{}/api/v1/installs", started.url))
        .bearer_auth(api_token(&data))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    child.kill().unwrap();
    child.wait().unwrap();

    let (mut child, again) = serve();
    assert_eq!(
        fingerprint(&again.lines),
        first,
        "the certificate was not reused"
    );
    assert_eq!(std::fs::read(&cert_file).unwrap(), pem);
    child.kill().unwrap();
    child.wait().unwrap();
}

/// The protocol a TLS handshake with `addr` settles on, offering h2 and HTTP/1.1.
fn alpn(
    addr: &str,
    ca_pem: &[u8],
    only: Option<&'static rustls::SupportedProtocolVersion>,
) -> Option<Vec<u8>> {
    use rustls::pki_types::pem::PemObject;
    use std::io::{Read, Write};
    use std::sync::Arc;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(ca_pem) {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let versions: Vec<&'static rustls::SupportedProtocolVersion> = match only {
        Some(v) => vec![v],
        None => vec![&rustls::version::TLS13, &rustls::version::TLS12],
    };
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&versions)
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let mut sock = std::net::TcpStream::connect(addr).unwrap();
    let mut tls = rustls::Stream::new(&mut conn, &mut sock);
    // HTTP/2's preface makes the handshake complete; the reply does not matter.
    tls.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").unwrap();
    let mut buf = [0u8; 1];
    let _ = tls.read(&mut buf);
    conn.alpn_protocol().map(<[u8]>::to_vec)
}
