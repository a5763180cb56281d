//! The command-line edge: parses arguments, runs one command, and turns typed errors into
//! messages and exit codes. Nothing below this module prints or exits.

mod args;
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
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(CliError(msg)) => {
            eprintln!("error: {}", escape::terminal_line(&msg));
            ExitCode::from(EXIT_ERROR)
        }
    }
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
    }
}

/// A Tokio runtime for commands that talk to a cluster; reading Git needs none.
fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError(format!("cannot start the async runtime: {e}")))
}
