//! Shell completion, two ways:
//!
//! - `kubectl gitops completion bash|zsh|fish|...` prints a static script (clap_complete) for the
//!   `kubectl-gitops` command: subcommands, flags and their fixed values.
//! - `kubectl-gitops __complete WORDS... PARTIAL` is the hidden entry kubectl (1.26 and later)
//!   reaches through the `kubectl_complete-gitops` executable when the user presses TAB after
//!   `kubectl gitops`. It follows Cobra's protocol: one candidate a line (`value<TAB>help`), then
//!   a `:DIRECTIVE` line. Besides subcommands and flags it completes `--app` with the app names
//!   of the tree in the current directory and `--context` with the kubeconfig's contexts.
//!
//! Completion runs on every TAB, so it must be quick and must never hang or surprise: it reads
//! the tree offline (no fetch, no cluster, no network for renderers), gives up on app names after
//! a short deadline, and prints nothing on stderr (kubectl shows the plugin's stderr on the
//! terminal, in the middle of the user's command line). What it cannot work out, it leaves out.

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Duration;

use clap::{Arg, Args, Command, CommandFactory, FromArgMatches, ValueHint};
use clap_complete::Shell;

use super::args::{Cli, GlobalArgs, TreeArgs};
use super::resolve::resolve;
use super::{CliError, EXIT_OK};

/// The hidden first argument that selects Cobra-style completion instead of a command.
pub const ENTRY: &str = "__complete";

/// How long app-name completion may spend resolving the tree before it gives up on app names.
const APP_NAMES_DEADLINE: Duration = Duration::from_secs(3);

/// Cobra's directive: the candidates are all there is; the shell must not offer file names.
const NO_FILE_COMP: u32 = 4;
/// Cobra's directive: no candidates of ours; the shell completes file names as it usually does.
const DEFAULT_COMP: u32 = 0;

/// Arguments of `completion`.
#[derive(Debug, Args)]
pub struct CompletionArgs {
    /// The shell to print the completion script for.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// The command the static scripts complete.
const BIN: &str = "kubectl-gitops";
/// The same name without its hyphen, for the bash script (see `script`).
const BASH_NAME: &str = "kubectl_gitops";

/// `kubectl gitops completion SHELL`: prints the static completion script for `kubectl-gitops`.
pub(super) fn print_script(args: &CompletionArgs) -> Result<u8, CliError> {
    let text = script(args.shell)?;
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .map_err(|e| CliError(format!("cannot write the completion script: {e}")))?;
    Ok(EXIT_OK)
}

/// The static completion script of `kubectl-gitops` for `shell`.
pub fn script(shell: Shell) -> Result<String, CliError> {
    let mut cmd = Cli::command();
    // Generated into memory first: clap_complete panics on a write error, and a closed pipe
    // (`... | head`) is an error to report, not a crash.
    let mut out = Vec::new();
    if shell != Shell::Bash {
        clap_complete::generate(shell, &mut cmd, BIN, &mut out);
        return String::from_utf8(out)
            .map_err(|e| CliError(format!("the {shell} completion script is not UTF-8: {e}")));
    }
    // clap_complete's bash script never recognises a subcommand when the command's name has a
    // hyphen (clap-rs/clap#6421: its loop and its case labels spell the state differently), so
    // `kubectl-gitops diff --<TAB>` would offer nothing. It is generated for a name without one
    // and registered for the real name: the script finds the command word through `$1`, never
    // by its name, so only the `complete` lines name it.
    clap_complete::generate(shell, &mut cmd, BASH_NAME, &mut out);
    let text = String::from_utf8(out)
        .map_err(|e| CliError(format!("the bash completion script is not UTF-8: {e}")))?;
    let registration = format!("complete -F _{BASH_NAME} ");
    let mut registered = 0;
    let mut script = String::with_capacity(text.len());
    for line in text.lines() {
        match line.strip_suffix(&format!(" {BASH_NAME}")) {
            Some(head) if line.trim_start().starts_with(&registration) => {
                script.push_str(&format!("{head} {BIN}\n"));
                registered += 1;
            }
            _ => {
                script.push_str(line);
                script.push('\n');
            }
        }
    }
    // A clap_complete that registers its script differently must fail here, not ship a script
    // that completes nothing.
    if registered == 0 {
        return Err(CliError(
            "cannot register the bash completion script for kubectl-gitops".into(),
        ));
    }
    Ok(script)
}

/// The `__complete` entry: `words` are the arguments after `kubectl gitops`, the last one being
/// the word under the cursor (empty for a new word). Always exits 0; see the module comment.
pub fn complete_entry(words: &[OsString]) -> ExitCode {
    let words: Vec<String> = words
        .iter()
        .map(|w| w.to_string_lossy().into_owned())
        .collect();
    let (candidates, directive) = complete(&words, &app_names);
    let mut out = String::new();
    for c in &candidates {
        out.push_str(&c.value);
        if let Some(help) = &c.help {
            out.push('\t');
            out.push_str(help);
        }
        out.push('\n');
    }
    out.push_str(&format!(":{directive}\n"));
    // A closed pipe (the shell gave up waiting) is nobody's problem; stay silent.
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    ExitCode::from(EXIT_OK)
}

/// One completion candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The text that replaces the word under the cursor.
    pub value: String,
    /// A one-line description the shell may show beside it.
    pub help: Option<String>,
}

impl Candidate {
    fn new(value: impl Into<String>, help: Option<String>) -> Self {
        Candidate {
            value: value.into(),
            help: help.map(|h| first_line(&h)),
        }
    }
}

fn first_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or_default().trim();
    // Cobra splits on the first tab; a tab inside the help must not start another field.
    line.replace('\t', " ")
}

/// Where `--app` names come from: the words before the cursor (minus a dangling `--app`), which
/// may name ROOT, `--revision`, `--repo-map` and the kubeconfig. Injected for tests.
type AppNames<'a> = &'a dyn Fn(&[String]) -> Vec<String>;

/// Completes the last of `words` given the ones before it; returns the candidates and Cobra's
/// directive.
pub fn complete(words: &[String], apps: AppNames<'_>) -> (Vec<Candidate>, u32) {
    let mut root = Cli::command();
    // Building propagates global flags (`--context`, `-n`...) into every subcommand.
    root.build();
    let (current, before) = match words.split_last() {
        Some((last, rest)) => (last.as_str(), rest),
        None => ("", &[][..]),
    };
    let state = scan(&root, before);
    let cmd = state.command;

    if let Some(arg) = state.awaiting_value {
        let context = &before[..before.len().saturating_sub(1)];
        return complete_value(arg, current, "", context, apps);
    }
    if let Some((flag, value)) = current
        .strip_prefix("--")
        .and_then(|rest| rest.split_once('='))
    {
        return match find_long(cmd, flag) {
            Some(arg) => complete_value(arg, value, &format!("--{flag}="), before, apps),
            None => (Vec::new(), NO_FILE_COMP),
        };
    }
    if current.starts_with('-') {
        return (flags(cmd, current), NO_FILE_COMP);
    }
    if state.subcommand.is_none() {
        let subs = cmd
            .get_subcommands()
            .filter(|s| !s.is_hide_set() && s.get_name().starts_with(current))
            .map(|s| Candidate::new(s.get_name(), s.get_about().map(|a| a.to_string())))
            .collect();
        return (subs, NO_FILE_COMP);
    }
    let positional = cmd
        .get_positionals()
        .find(|p| p.get_index() == Some(state.positionals + 1));
    match positional {
        Some(p) => complete_value(p, current, "", before, apps),
        None => (Vec::new(), NO_FILE_COMP),
    }
}

/// What the words before the cursor say: the (sub)command reached, whether the last word is a
/// flag still waiting for its value, and how many positionals were given.
struct ScanState<'a> {
    command: &'a Command,
    subcommand: Option<String>,
    awaiting_value: Option<&'a Arg>,
    positionals: usize,
}

fn scan<'a>(root: &'a Command, words: &[String]) -> ScanState<'a> {
    let mut state = ScanState {
        command: root,
        subcommand: None,
        awaiting_value: None,
        positionals: 0,
    };
    let mut escaped = false;
    for word in words {
        if state.awaiting_value.take().is_some() {
            continue;
        }
        if escaped {
            state.positionals += 1;
            continue;
        }
        if word == "--" {
            escaped = true;
        } else if let Some(long) = word.strip_prefix("--") {
            if !long.contains('=') {
                state.awaiting_value = find_long(state.command, long).filter(|a| takes_value(a));
            }
        } else if let Some(shorts) = word.strip_prefix('-').filter(|s| !s.is_empty()) {
            // `-n NAME` waits for a value; `-nNAME` and `-n=NAME` carry it.
            let mut chars = shorts.chars();
            if let (Some(c), None) = (chars.next(), chars.next()) {
                state.awaiting_value = find_short(state.command, c).filter(|a| takes_value(a));
            }
        } else if state.subcommand.is_none() {
            match state.command.find_subcommand(word) {
                Some(sub) => {
                    state.subcommand = Some(sub.get_name().to_string());
                    state.command = sub;
                }
                // An unknown command: nothing sensible can follow it.
                None => state.positionals += 1,
            }
        } else {
            state.positionals += 1;
        }
    }
    state
}

fn find_long<'a>(cmd: &'a Command, name: &str) -> Option<&'a Arg> {
    cmd.get_arguments().find(|a| {
        a.get_long() == Some(name)
            || a.get_all_aliases()
                .is_some_and(|aliases| aliases.contains(&name))
    })
}

fn find_short(cmd: &Command, c: char) -> Option<&Arg> {
    cmd.get_arguments().find(|a| a.get_short() == Some(c))
}

fn takes_value(arg: &Arg) -> bool {
    arg.get_num_args().is_some_and(|n| n.takes_values())
}

fn is_path(arg: &Arg) -> bool {
    matches!(
        arg.get_value_hint(),
        ValueHint::AnyPath | ValueHint::FilePath | ValueHint::DirPath
    )
}

/// The flags of `cmd` that start with `current`: long forms, and short ones for a lone `-`.
fn flags(cmd: &Command, current: &str) -> Vec<Candidate> {
    let mut out = Vec::new();
    for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
        let help = arg.get_help().map(|h| h.to_string());
        if let Some(long) = arg.get_long() {
            let flag = format!("--{long}");
            if flag.starts_with(current) {
                out.push(Candidate::new(flag, help.clone()));
            }
        }
        if current == "-"
            && let Some(short) = arg.get_short()
        {
            out.push(Candidate::new(format!("-{short}"), help));
        }
    }
    out
}

/// Completes the value of `arg` that starts with `partial`; each candidate gets `prefix` (for
/// the `--flag=value` form). `before` are the complete words before this one.
fn complete_value(
    arg: &Arg,
    partial: &str,
    prefix: &str,
    before: &[String],
    apps: AppNames<'_>,
) -> (Vec<Candidate>, u32) {
    let matching = |values: Vec<(String, Option<String>)>| -> Vec<Candidate> {
        values
            .into_iter()
            .filter(|(v, _)| v.starts_with(partial))
            .map(|(v, help)| Candidate::new(format!("{prefix}{v}"), help))
            .collect()
    };
    match arg.get_long() {
        Some("app") => {
            let names = apps(before).into_iter().map(|n| (n, None)).collect();
            return (matching(names), NO_FILE_COMP);
        }
        Some("context") => {
            let names = contexts(before).into_iter().map(|n| (n, None)).collect();
            return (matching(names), NO_FILE_COMP);
        }
        _ => {}
    }
    let possible: Vec<(String, Option<String>)> = arg
        .get_possible_values()
        .into_iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| {
            (
                v.get_name().to_string(),
                v.get_help().map(|h| h.to_string()),
            )
        })
        .collect();
    if !possible.is_empty() {
        return (matching(possible), NO_FILE_COMP);
    }
    // A path only when the user typed `--flag value`: after `--flag=` the shell would complete
    // the whole word as a file name, flag included.
    if is_path(arg) && prefix.is_empty() {
        return (Vec::new(), DEFAULT_COMP);
    }
    (Vec::new(), NO_FILE_COMP)
}

/// Parses the complete words before the cursor as far as they go, for the flags that decide
/// which tree and which kubeconfig are meant. Anything unparsable falls back to the defaults.
fn parse_context(before: &[String]) -> Option<clap::ArgMatches> {
    let argv = std::iter::once("kubectl-gitops".to_string()).chain(before.iter().cloned());
    let matches = Cli::command().try_get_matches_from(argv).ok()?;
    matches.subcommand().map(|(_, sub)| sub.clone())
}

/// Whether `cmd` defines every argument that the `Args` struct `T` reads: derived
/// `from_arg_matches` panics on an argument the command does not have.
fn defines_all<T: Args>(cmd: &Command) -> bool {
    let wanted = T::augment_args(Command::new("probe"));
    wanted
        .get_arguments()
        .all(|w| cmd.get_arguments().any(|a| a.get_id() == w.get_id()))
}

fn parsed<T: Args + FromArgMatches>(before: &[String]) -> Option<T> {
    let mut root = Cli::command();
    root.build();
    let state = scan(&root, before);
    if !defines_all::<T>(state.command) {
        return None;
    }
    T::from_arg_matches(&parse_context(before)?).ok()
}

fn default_of<T: Args + FromArgMatches>() -> Option<T> {
    let matches = T::augment_args(Command::new("defaults"))
        .try_get_matches_from(["defaults"])
        .ok()?;
    T::from_arg_matches(&matches).ok()
}

/// The contexts of the kubeconfig the words name (`--kubeconfig`), else KUBECONFIG's.
fn contexts(before: &[String]) -> Vec<String> {
    let global = parsed::<GlobalArgs>(before).or_else(default_of::<GlobalArgs>);
    let explicit = global.and_then(|g| g.kubeconfig);
    match crate::cluster::load_kubeconfig(explicit.as_deref()) {
        Ok(loaded) => loaded.config.contexts.into_iter().map(|c| c.name).collect(),
        Err(_) => Vec::new(),
    }
}

/// The app names of the tree the words name, resolved offline; empty when that fails or takes
/// longer than the deadline.
fn app_names(before: &[String]) -> Vec<String> {
    let Some(mut tree_args) = parsed::<TreeArgs>(before).or_else(default_of::<TreeArgs>) else {
        return Vec::new();
    };
    tree_args.offline = true;
    let global = parsed::<GlobalArgs>(before).or_else(default_of::<GlobalArgs>);
    let (tx, rx) = mpsc::channel();
    // The walk runs on its own thread so that a slow renderer costs the user the deadline, not
    // the renderer's own (minutes long) timeout; the process exits when we are done, thread and
    // all.
    std::thread::spawn(move || {
        let target = global.map(|g| g.target()).unwrap_or_default();
        // A kubeconfig that cannot be read completes as if there were none.
        let facts = crate::plan::facts::from_kubeconfig(&target).unwrap_or_default();
        let names = resolve(&tree_args, &facts)
            .map(|r| r.tree.apps.into_iter().map(|a| a.name).collect())
            .unwrap_or_default();
        let _ = tx.send(names);
    });
    rx.recv_timeout(APP_NAMES_DEADLINE).unwrap_or_default()
}

/// Keeps the renderers that the tree walk may start (kustomize, helm, git) off the network:
/// remote kustomize bases and URL resources would otherwise be fetched on every TAB. Git may only
/// use local repositories, and HTTP(S) goes to a proxy on a closed loopback port.
///
/// # Safety
///
/// Changes the process environment, so no other thread may exist yet: call it first thing in
/// `main`, before anything spawns a thread or reads the environment concurrently.
pub unsafe fn isolate_from_network() {
    const NOWHERE: &str = "http://127.0.0.1:9";
    // SAFETY: the caller guarantees that the process is still single-threaded.
    unsafe {
        for var in ["NO_PROXY", "no_proxy"] {
            std::env::remove_var(var);
        }
        for var in [
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "ALL_PROXY",
            "http_proxy",
            "https_proxy",
            "all_proxy",
        ] {
            std::env::set_var(var, NOWHERE);
        }
        std::env::set_var("GIT_ALLOW_PROTOCOL", "file");
        std::env::set_var("GIT_TERMINAL_PROMPT", "0");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        // A trailing space means the cursor is on a new, empty word.
        let mut w: Vec<String> = line.split_whitespace().map(String::from).collect();
        if line.is_empty() || line.ends_with(' ') {
            w.push(String::new());
        }
        w
    }

    fn values(line: &str) -> (Vec<String>, u32) {
        let apps = |before: &[String]| {
            assert!(!before.iter().any(|w| w == "--app"), "{before:?}");
            vec!["blog".to_string(), "chat".to_string(), "files".to_string()]
        };
        let (c, d) = complete(&words(line), &apps);
        (c.into_iter().map(|c| c.value).collect(), d)
    }

    #[test]
    fn bash_script_registers_the_hyphenated_command() {
        let script = script(Shell::Bash).expect("bash script");
        assert!(
            script.contains(
                "complete -F _kubectl_gitops -o nosort -o bashdefault -o default kubectl-gitops\n"
            ),
            "{script}"
        );
        assert!(!script.contains(" kubectl_gitops\n"), "{script}");
        // The loop's state and the case labels agree, so subcommands complete their flags.
        assert!(
            script.contains("cmd=\"kubectl_gitops__subcmd__diff\""),
            "{script}"
        );
        assert!(
            script.contains("\n        kubectl_gitops__subcmd__diff)\n"),
            "{script}"
        );
        for shell in [Shell::Zsh, Shell::Fish, Shell::PowerShell] {
            assert!(script_for(shell).contains("kubectl-gitops"), "{shell}");
        }
    }

    fn script_for(shell: Shell) -> String {
        script(shell).expect("script")
    }

    #[test]
    fn subcommands_first() {
        let (v, d) = values("");
        for sub in [
            "tree",
            "render",
            "diff",
            "sync",
            "status",
            "history",
            "rollback",
            "revert",
            "watch",
            "version",
            "completion",
        ] {
            assert!(v.contains(&sub.to_string()), "{v:?}");
        }
        assert!(!v.iter().any(|s| s.starts_with("__")), "{v:?}");
        assert_eq!(d, NO_FILE_COMP);
        assert_eq!(values("re").0, vec!["render", "revert"]);
        assert_eq!(values("ro").0, vec!["rollback"]);
        // Global flags before the command do not hide the commands.
        assert!(values("--context x ").0.contains(&"tree".to_string()));
    }

    #[test]
    fn flags_of_the_command_and_global_ones() {
        let (v, d) = values("render --");
        assert!(v.contains(&"--app".to_string()), "{v:?}");
        assert!(v.contains(&"--revision".to_string()), "{v:?}");
        assert!(v.contains(&"--context".to_string()), "{v:?}");
        assert!(!v.contains(&"--exit-code".to_string()), "{v:?}");
        assert_eq!(d, NO_FILE_COMP);
        assert_eq!(values("diff --exit").0, vec!["--exit-code"]);
        assert!(values("tree -").0.contains(&"-n".to_string()));
    }

    #[test]
    fn app_names_for_app() {
        assert_eq!(values("render --app ").0, vec!["blog", "chat", "files"]);
        assert_eq!(values("diff --app f").0, vec!["files"]);
        assert_eq!(values("diff --app=c").0, vec!["--app=chat"]);
        // After a value, the next word is a flag or ROOT again.
        assert_eq!(values("render --app chat ").1, DEFAULT_COMP);
    }

    #[test]
    fn fixed_values_and_paths() {
        assert_eq!(
            values("diff -o ").0,
            vec!["text", "json", "markdown"],
            "value enum"
        );
        assert_eq!(values("tree --color a").0, vec!["auto", "always"]);
        assert_eq!(values("render --kubeconfig ").1, DEFAULT_COMP);
        assert_eq!(
            values("completion ").0,
            vec!["bash", "elvish", "fish", "powershell", "zsh"]
        );
        assert_eq!(values("render ").1, DEFAULT_COMP, "ROOT is a path");
        assert_eq!(values("version ").1, NO_FILE_COMP);
    }

    #[test]
    fn contexts_come_from_the_named_kubeconfig() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config");
        std::fs::write(
            &path,
            "apiVersion: v1\nkind: Config\ncurrent-context: dev\n\
             clusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\n\
             users: [{name: u, user: {}}]\n\
             contexts: [{name: dev, context: {cluster: c, user: u}}, \
             {name: prod, context: {cluster: c, user: u}}]\n",
        )
        .expect("write kubeconfig");
        let line = format!("tree --kubeconfig {} --context ", path.display());
        let (c, d) = complete(&words(&line), &|_: &[String]| Vec::new());
        let names: Vec<String> = c.into_iter().map(|c| c.value).collect();
        assert_eq!(names, vec!["dev", "prod"]);
        assert_eq!(d, NO_FILE_COMP);
        let line = format!("--kubeconfig={} diff --context=p", path.display());
        let (c, _) = complete(&words(&line), &|_: &[String]| Vec::new());
        assert_eq!(c[0].value, "--context=prod");
    }

    #[test]
    fn context_words_are_parsed_for_the_tree() {
        let seen = std::cell::RefCell::new(Vec::new());
        let apps = |before: &[String]| {
            seen.borrow_mut().push(before.to_vec());
            Vec::new()
        };
        complete(&words("render root.yaml --revision HEAD~1 --app "), &apps);
        assert_eq!(
            seen.borrow()[0],
            vec!["render", "root.yaml", "--revision", "HEAD~1"]
        );
        let tree = parsed::<TreeArgs>(&seen.borrow()[0]).expect("parses");
        assert_eq!(tree.revision.as_deref(), Some("HEAD~1"));
        assert_eq!(
            tree.root.as_deref(),
            Some(std::path::Path::new("root.yaml"))
        );
        // `version` has no tree flags; the defaults stand in.
        assert!(parsed::<TreeArgs>(&words("version")[..1]).is_none());
        assert!(default_of::<TreeArgs>().is_some());
    }
}
