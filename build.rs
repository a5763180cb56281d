//! Records the Git commit the binary was built from, for `kubectl gitops version`.

use std::process::Command;

fn main() {
    // A source tarball has no .git; the version then says "unknown" instead of failing the build.
    let commit = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=KUBECTL_GITOPS_COMMIT={commit}");
    for f in [".git/HEAD", ".git/refs/heads", ".git/packed-refs"] {
        println!("cargo:rerun-if-changed={f}");
    }
}
