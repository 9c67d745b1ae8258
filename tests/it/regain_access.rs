//! Issue 16: access can always be regained on the host without a restart. `katonic-console
//! access-link` (another process) prints a one-time link the running console accepts; sign-out
//! asks first and says how to come back; all of it audited.

use crate::helpers::TestApp;
use reqwest::redirect::Policy;
use std::path::Path;

/// `katonic-console access-link --data-dir DIR`: (exit code, stdout, stderr).
async fn access_link(data_dir: &Path) -> (i32, String, String) {
    let dir = data_dir.to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_katonic-console"))
            .args(["access-link", "--data-dir"])
            .arg(&dir)
            .env_remove("KATONIC_CONSOLE_DATA_DIR")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// A browser: no API token, redirects not followed.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
}

/// Open a one-time link: 303 and the session cookie (`name=value`) it sets.
async fn sign_in(browser: &reqwest::Client, link: &str) -> String {
    let res = browser.get(link).send().await.unwrap();
    assert_eq!(res.status(), 303, "the running console accepts the link");
    let set = res.headers()["set-cookie"].to_str().unwrap();
    set.split(';').next().unwrap().to_string()
}

async fn get(browser: &reqwest::Client, url: String, cookie: &str) -> reqwest::Response {
    browser
        .get(url)
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn access_link_prints_a_link_the_running_console_accepts_once() {
    let app = TestApp::spawn().await;
    let (code, stdout, stderr) = access_link(&app.data_dir_path()).await;
    assert_eq!(code, 0, "{stderr}");
    let link = stdout.trim();
    assert!(
        link.starts_with(&app.url("/?token=")),
        "the link names this console: {link}"
    );
    assert!(stderr.contains("works once, within 15 minutes"), "{stderr}");

    let browser = browser();
    let cookie = sign_in(&browser, link).await;
    let res = get(&browser, app.url("/installs"), &cookie).await;
    assert_eq!(res.status(), 200, "signed in");
    let again = reqwest::Client::new().get(link).send().await.unwrap();
    assert_eq!(again.status(), 401, "a link works once");
    assert!(again.text().await.unwrap().contains("used already"));

    let audit = app.store.audit_recent(5).await.unwrap();
    let seen: Vec<_> = (audit.iter())
        .map(|e| (e.actor.as_str(), e.action.as_str(), e.detail.as_str()))
        .collect();
    assert!(
        seen.contains(&(
            "command line",
            "access link issued",
            "printed on the host's terminal"
        )),
        "{seen:?}"
    );
    assert!(
        (audit.iter())
            .any(|e| e.action == "sign in" && e.detail == "access link issued on the host"),
        "{seen:?}"
    );
}

#[tokio::test]
async fn access_link_refuses_a_directory_without_a_console() {
    let temp = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = access_link(temp.path()).await;
    assert_eq!(code, 2);
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("holds no console database") && stderr.contains("--data-dir"),
        "{stderr}"
    );
    assert!(
        std::fs::read_dir(temp.path()).unwrap().next().is_none(),
        "nothing created in the wrong directory"
    );
}

#[tokio::test]
async fn sign_out_asks_first_and_the_signed_out_page_gives_the_command() {
    let app = TestApp::spawn().await;
    let browser = browser();
    let cookie = sign_in(&browser, &app.access_url).await;
    let command = format!(
        "katonic-console access-link --data-dir {}",
        app.data_dir_path().display()
    );
    // The nav's Sign out is a link to a confirmation, not a POST.
    let page = (get(&browser, app.url("/installs"), &cookie).await)
        .text()
        .await
        .unwrap();
    assert!(page.contains(r#"<a href="/logout">Sign out</a>"#), "{page}");
    let confirm = get(&browser, app.url("/logout"), &cookie).await;
    assert_eq!(confirm.status(), 200);
    let confirm = confirm.text().await.unwrap();
    assert!(confirm.contains("Sign out?") && confirm.contains("Installs keep running"));
    assert!(confirm.contains(&command), "{confirm}");
    assert_eq!(
        get(&browser, app.url("/installs"), &cookie).await.status(),
        200,
        "asking signs nobody out"
    );

    let done = (browser.post(app.url("/logout")).header("cookie", &cookie))
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 200);
    let done = done.text().await.unwrap();
    assert!(
        done.contains("Signed out") && done.contains(&command),
        "{done}"
    );
    assert_eq!(
        get(&browser, app.url("/installs"), &cookie).await.status(),
        401
    );
    let actions: Vec<_> = (app.store.audit_recent(5).await.unwrap().into_iter())
        .map(|e| e.action)
        .collect();
    assert!(actions.contains(&"sign out".to_string()), "{actions:?}");
}
