//! Vendored htmx is unmodified, served from the binary, and pages carry a strict CSP with no
//! inline script or style in any template.

use crate::helpers::TestApp;
use sha2::{Digest, Sha256};
use std::path::Path;

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

#[test]
fn vendored_files_match_their_recorded_checksums() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("static/vendor");
    let sums = std::fs::read_to_string(dir.join("SHA256SUMS")).unwrap();
    let mut checked = 0;
    for line in sums.lines().filter(|l| !l.trim().is_empty()) {
        let (expected, file) = line.split_once("  ").unwrap();
        let bytes = std::fs::read(dir.join(file)).unwrap();
        let actual = format!("{:x}", Sha256::digest(&bytes));
        assert_eq!(actual, expected, "{file} was modified");
        checked += 1;
    }
    assert_eq!(checked, 2);
}

#[test]
fn templates_have_no_inline_script_style_or_handlers() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let mut files = vec![];
    for entry in walk(&dir) {
        let text = std::fs::read_to_string(&entry).unwrap();
        let lower = text.to_ascii_lowercase();
        for (i, _) in lower.match_indices("<script") {
            let tag_end = lower[i..].find('>').unwrap() + i;
            assert!(
                lower[i..tag_end].contains(" src="),
                "inline script in {entry:?}"
            );
        }
        assert!(!lower.contains(" style="), "style attribute in {entry:?}");
        assert!(!lower.contains("<style"), "style element in {entry:?}");
        assert!(!lower.contains("hx-on"), "hx-on in {entry:?}");
        for handler in [
            " onclick=",
            " onchange=",
            " onload=",
            " onsubmit=",
            " oninput=",
        ] {
            assert!(!lower.contains(handler), "{handler} in {entry:?}");
        }
        files.push(entry);
    }
    assert!(files.len() >= 10, "templates found: {files:?}");
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = vec![];
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[tokio::test]
async fn static_files_are_served_from_the_binary() {
    let app = TestApp::spawn().await;
    let res = app.get("/static/vendor/htmx-2.0.11.min.js").await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("javascript")
    );
    let on_disk = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("static/vendor/htmx-2.0.11.min.js"),
    )
    .unwrap();
    assert_eq!(res.bytes().await.unwrap().as_ref(), on_disk.as_slice());
    let css = app.get("/static/app.css").await;
    assert!(
        css.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("css")
    );
    assert_eq!(app.get("/static/nope.js").await.status(), 404);
}

#[tokio::test]
async fn html_responses_carry_a_strict_csp_and_hardening_headers() {
    let app = TestApp::spawn().await;
    let id = app.new_draft().await;
    for path in [
        "/installs".to_string(),
        format!("/installs/{id}/wizard/cluster"),
        "/missing".to_string(),
    ] {
        let res = app.get(&path).await;
        let h = res.headers();
        assert_eq!(h["content-security-policy"], CSP, "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["referrer-policy"], "no-referrer");
        assert_eq!(h["x-frame-options"], "DENY");
    }
}
