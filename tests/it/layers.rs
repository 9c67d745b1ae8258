//! The console's arrows point down: every module of `src/` uses only the modules `lib.rs` lists
//! after it (its layer order), and the two library crates depend on none of the console's
//! crates or client libraries. Cargo enforces the crates' edges; this test enforces the
//! modules' order inside the console, so a new upward `use` fails here instead of in review.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The top-level modules in the order `src/lib.rs` declares them.
fn layer_order() -> Vec<String> {
    let lib = std::fs::read_to_string(root().join("src/lib.rs")).unwrap();
    lib.lines()
        .filter_map(|l| l.strip_prefix("pub mod "))
        .map(|m| m.trim_end_matches(';').to_string())
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module's source without its unit tests (tests may reach anything).
fn production_source(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// The top-level modules a source text names as `crate::<module>`.
fn used_modules(text: &str) -> BTreeSet<String> {
    text.match_indices("crate::")
        .filter(|(at, _)| {
            // `katonic_domain::...` or `super::crate` do not count; a path starts here.
            !text[..*at].ends_with(|c: char| c.is_alphanumeric() || c == '_')
        })
        .map(|(at, m)| {
            text[at + m.len()..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect::<String>()
        })
        .collect()
}

#[test]
fn every_module_uses_only_the_layers_below_it() {
    let order = layer_order();
    assert!(order.len() > 10, "lib.rs lists its modules: {order:?}");
    let rank: BTreeMap<&str, usize> = order
        .iter()
        .enumerate()
        .map(|(i, m)| (m.as_str(), i))
        .collect();
    let mut upward = Vec::new();
    for module in &order {
        let mut files = Vec::new();
        let single = root().join(format!("src/{module}.rs"));
        if single.exists() {
            files.push(single);
        }
        let folder = root().join(format!("src/{module}"));
        if folder.is_dir() {
            rust_files(&folder, &mut files);
        }
        assert!(!files.is_empty(), "no source for module {module}");
        for file in files {
            for used in used_modules(&production_source(&file)) {
                if rank
                    .get(used.as_str())
                    .is_some_and(|r| *r < rank[module.as_str()])
                {
                    upward.push(format!("{} uses crate::{used}", file.display()));
                }
            }
        }
    }
    assert!(
        upward.is_empty(),
        "arrows must point down (lib.rs's order):\n{}",
        upward.join("\n")
    );
}

#[test]
fn the_upward_use_detector_sees_paths_and_ignores_other_crates() {
    let found =
        used_modules("use crate::store::Store;\nlet x = katonic_domain::crate_x; crate::web::f()");
    assert_eq!(
        found,
        BTreeSet::from(["store".to_string(), "web".to_string()])
    );
}

/// `cargo tree` of a library crate, as the set of crate names in it.
fn dependency_names(package: &str) -> Option<BTreeSet<String>> {
    let out = std::process::Command::new(env!("CARGO"))
        .args([
            "tree",
            "--offline",
            "-e",
            "normal",
            "--prefix",
            "none",
            "-p",
            package,
        ])
        .current_dir(root())
        .output()
        .ok()?;
    assert!(
        out.status.success(),
        "cargo tree -p {package}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .map(str::to_string)
            .collect(),
    )
}

#[test]
fn the_library_crates_stay_apart_from_the_console() {
    let sim = dependency_names("katonic-sim").unwrap();
    for banned in [
        "katonic-console",
        "katonic-domain",
        "kube",
        "sqlx",
        "azure_core",
        "azure_identity",
        "askama",
    ] {
        assert!(!sim.contains(banned), "katonic-sim depends on {banned}");
    }
    assert!(sim.contains("axum"), "the tree was read: {sim:?}");
    let domain = dependency_names("katonic-domain").unwrap();
    for banned in [
        "katonic-console",
        "katonic-sim",
        "tokio",
        "sqlx",
        "kube",
        "axum",
        "reqwest",
    ] {
        assert!(
            !domain.contains(banned),
            "katonic-domain depends on {banned}"
        );
    }
    assert!(domain.contains("serde"), "the tree was read: {domain:?}");
}
