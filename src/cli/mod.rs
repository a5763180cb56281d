//! The command-line edge: parses arguments, runs one command, and turns typed errors into
//! messages and exit codes. Nothing below this module prints or exits.

mod args;
mod cache;
mod completion;
mod diff;
mod escape;
mod history;
mod markdown;
mod render;
mod resolve;
mod revert;
mod rollback;
mod status;
mod sync;
mod table;
mod tree;
mod version;
mod watch;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

pub use args::{Cli, Command, GlobalArgs, OutputFormat};
pub use version::set_version;

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
    let args: Vec<OsString> = std::env::args_os().collect();
    // kubectl's plugin completion runs `kubectl_complete-gitops`, which calls `__complete`. It is
    // taken before clap parses anything: clap would claim the global flags among the words being
    // completed (`__complete --context <TAB>`) as flags of its own.
    if args.get(1).is_some_and(|a| a == completion::ENTRY) {
        // SAFETY: nothing has started a thread yet; this is the first thing the binary does.
        unsafe { completion::isolate_from_network() };
        return completion::complete_entry(&args[2..]);
    }
    let matches = Cli::command()
        .version(version::version())
        .get_matches_from(args);
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    // `watch` stops itself on these signals, between steps, letting its lease go.
    if !matches!(cli.command, Command::Watch(_)) {
        on_interrupt_clean_up();
    }
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
        Command::Status(s) => status::run(&cli.global, s),
        Command::History(h) => history::run(&cli.global, h),
        Command::Rollback(r) => rollback::run(&cli.global, r),
        Command::Revert(r) => revert::run(&cli.global, r),
        Command::Watch(w) => watch::run(&cli.global, w),
        Command::Completion(c) => completion::print_script(c),
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

    /// Starts a future on the runtime's workers, to run while this thread does blocking work.
    fn spawn<F>(&self, f: F) -> tokio::task::JoinHandle<F::Output>
    where
        F: std::future::Future + Send + 'static,
        F::Output: Send + 'static,
    {
        // The runtime is taken out only in `drop`.
        #[allow(clippy::expect_used)]
        self.0
            .as_ref()
            .expect("runtime present until dropped")
            .spawn(f)
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

/// Runs blocking work (reading Git, rendering, running `git`) from inside the runtime: the
/// worker hands its other tasks over first, so requests in flight are not held up.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}

/// Starts the runtime.
fn runtime() -> Result<Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map(|rt| Runtime(Some(rt)))
        .map_err(|e| CliError(format!("cannot start the async runtime: {e}")))
}
