//! The `kubectl-gitops` binary: kubectl finds it on PATH and runs it as `kubectl gitops`.

fn main() -> std::process::ExitCode {
    kubectl_gitops::cli::main()
}
