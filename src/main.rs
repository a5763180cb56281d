//! The `kubectl-gitops` binary: kubectl finds it on PATH and runs it as `kubectl gitops`.

fn main() -> std::process::ExitCode {
    // A build may stamp another version than Cargo.toml's (a release built from a tag, the
    // second archive of the krew upgrade test). It is read here, in the binary crate, so that
    // changing it relinks the binary instead of recompiling the library and every test.
    if let Some(v) = option_env!("KUBECTL_GITOPS_VERSION").filter(|v| !v.is_empty()) {
        kubectl_gitops::cli::set_version(v);
    }
    kubectl_gitops::cli::main()
}
