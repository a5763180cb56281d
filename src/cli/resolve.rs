//! The edge of tree loading: command-line arguments into a `TreeSpec`, and the printing every
//! tree command shares.

use std::io::IsTerminal;

use super::CliError;
use super::args::TreeArgs;
use crate::apps::{AppTree, LoadedTree, TreeFacts, TreeSpec, load, load_at};

impl From<&TreeArgs> for TreeSpec {
    fn from(a: &TreeArgs) -> TreeSpec {
        TreeSpec {
            root: a.root.clone(),
            revision: a.revision.clone(),
            respect_target_revision: a.respect_target_revision,
            repo_map: a.repo_map.clone(),
            offline: a.offline,
            kube_version: a.kube_version.clone(),
            api_versions: a.api_versions.clone(),
            plain_http_registry: a.plain_http_registry.clone(),
            kustomize_build_options: a.kustomize_build_options.clone(),
        }
    }
}

/// Loads the tree the arguments name.
pub fn resolve(args: &TreeArgs, facts: &TreeFacts) -> Result<LoadedTree, CliError> {
    Ok(load(&TreeSpec::from(args), facts)?)
}

/// Loads the tree at `revision`, whatever `--revision` says (for `diff --from/--to`).
pub fn resolve_at(
    args: &TreeArgs,
    facts: &TreeFacts,
    revision: &str,
) -> Result<LoadedTree, CliError> {
    Ok(load_at(&TreeSpec::from(args), facts, revision)?)
}

/// Prints the tree's errors, one line each, and returns the exit code they call for: the apps
/// that did resolve have been printed either way.
pub fn report_tree_errors(tree: &AppTree) -> u8 {
    for e in &tree.errors {
        eprintln!("error: {}", super::escape::terminal_line(&e.to_string()));
    }
    if tree.errors.is_empty() {
        super::EXIT_OK
    } else {
        super::EXIT_ERROR
    }
}

/// Whether to colour stdout: `--color`, else only on a terminal and without NO_COLOR.
pub fn use_color(choice: super::args::ColorChoice) -> bool {
    match choice {
        super::args::ColorChoice::Always => true,
        super::args::ColorChoice::Never => false,
        super::args::ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    }
}
