//! The command-line edge: parses arguments, runs one command, and turns typed errors into
//! messages and exit codes. Nothing below this module prints or exits.

mod args;
mod cache;
mod diff;
mod escape;
mod render;
mod resolve;
mod sync;
mod tree;
mod version;

use std::process::ExitCode;

use clap::Parser;

pub use args::{Cli, Command, GlobalArgs, OutputFormat};

/// Exit code for success (and, for `diff`, "no differences").
pub const EXIT_OK: u8 = 0;
/// Exit code for `diff` when differences were found, like `kubectl diff`.
pub const EXIT_DIFFERENT: u8 = 1;
/// Exit code for any error: bad input, unreachable cluster, failed request.
pub const EXIT_ERROR: u8 = 2;

/// An error at the edge: the message to print (without the `error: ` prefix).
#[derive(Debug)]
pub struct CliError(pub String);

impl<E: std::error::Error> From<E> for CliError {
    fn from(e: E) -> Self {
        CliError(e.to_string())
    }
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    on_interrupt_clean_up();
    let code = match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(CliError(msg)) => {
            eprintln!("error: {}", escape::terminal_line(&msg));
            ExitCode::from(EXIT_ERROR)
        }
    };
    crate::scratch::remove_run_dir();
    code
}

/// On Ctrl-C (SIGINT) or SIGTERM: removes the run's temporary copies and exits as the signal
/// would have (130, 143). Without it the process dies where it stands and its copies stay: the
/// `TempDir`s that remove them are never dropped. Renderers started by the run (helm,
/// kustomize, git) get the terminal's SIGINT themselves.
fn on_interrupt_clean_up() {
    let watcher = || -> std::io::Result<i32> {
        use tokio::signal::unix::{SignalKind, signal};
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        rt.block_on(async {
            let mut int = signal(SignalKind::interrupt())?;
            let mut term = signal(SignalKind::terminate())?;
            Ok(tokio::select! {
                _ = int.recv() => 130,
                _ = term.recv() => 143,
            })
        })
    };
    let spawned = std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            if let Ok(code) = watcher() {
                crate::cluster::stop_running_plugins();
                crate::scratch::remove_run_dir();
                eprintln!("interrupted");
                std::process::exit(code);
            }
        });
    // Without the watcher the default action (exit at once) stays: nothing worse than before.
    drop(spawned);
}

fn run(cli: Cli) -> Result<u8, CliError> {
    match &cli.command {
        Command::Version(v) => version::run(&cli.global, v),
        Command::Tree(t) => tree::run(&cli.global, t),
        Command::Render(r) => render::run(&cli.global, r),
        Command::Diff(d) => diff::run(&cli.global, d),
        Command::Sync(s) => sync::run(&cli.global, s),
        Command::Cache(c) => cache::run(c),
    }
}

/// A Tokio runtime for the requests of commands that talk to a cluster. Reading Git and
/// rendering (git, helm and kustomize processes, the render pool) happen outside it, between
/// two `block_on`s, so they never hold up its workers.
struct Runtime(Option<tokio::runtime::Runtime>);

impl Runtime {
    /// Runs a future to completion on the runtime.
    fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        // The runtime is taken out only in `drop`.
        #[allow(clippy::expect_used)]
        self.0
            .as_ref()
            .expect("runtime present until dropped")
            .block_on(f)
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        // Work left behind (a resolver thread stuck on DNS) must not hold the exit up.
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

/// Starts the runtime.
fn runtime() -> Result<Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map(|rt| Runtime(Some(rt)))
        .map_err(|e| CliError(format!("cannot start the async runtime: {e}")))
}
