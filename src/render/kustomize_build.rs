//! `kustomize build` options, as Argo CD users set them in `argocd-cm` (`kustomize.buildOptions`,
//! split on whitespace and appended to every `kustomize build`): most often `--enable-helm`, so
//! that `helmCharts:` in a kustomization are inflated.
//!
//! They come from `--kustomize-build-options` (the user's own command line: anything goes but
//! `-o/--output`, which would send the output elsewhere) or from an `argocd-cm` ConfigMap that the
//! tree itself deploys. The latter is repository-controlled input, like every file of the
//! repository, so only options that cannot run a program, reach outside the kustomization or
//! write files are accepted from it:
//!
//! | option | from the tree |
//! | --- | --- |
//! | `--enable-helm`, `--helm-debug`, `--enable-managedby-label` | yes |
//! | `--load-restrictor LoadRestrictionsRootOnly` (kustomize's default) | yes |
//! | `--helm-kube-version V`, `--helm-api-versions G/V[/K]` | yes (validated) |
//! | `--load-restrictor LoadRestrictionsNone` | no: reads files outside the kustomization |
//! | `--enable-alpha-plugins`, `--enable-exec`, `--enable-star`, `--network`, `--mount`, `-e/--env`, `--as-current-user` | no: run programs or containers the repository names |
//! | `--helm-command` | no: names the program kustomize runs as helm |
//! | `-o/--output` | no: writes files |
//! | anything else | no (unknown) |

use std::fmt;

/// Where build options came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionsOrigin {
    /// `--kustomize-build-options`: the user's choice.
    CommandLine,
    /// An `argocd-cm` ConfigMap in the tree: the repository's.
    Tree,
}

/// Validated `kustomize build` options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildOptions {
    args: Vec<String>,
}

/// Why build options are refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("kustomize build option {option:?} {reason}")]
pub struct BuildOptionError {
    /// The option (with its value).
    pub option: String,
    /// Why it is refused.
    #[source]
    pub reason: OptionRefusal,
}

/// Why one option is refused: the words follow the option in the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OptionRefusal {
    /// A word that does not start with `-`.
    #[error("is not an option (kustomize builds the app's own path)")]
    NotAnOption,
    /// An option that takes a value, last.
    #[error("needs a value")]
    NeedsValue,
    /// `-o/--output`, from anywhere.
    #[error("writes the output to files; kubectl gitops reads it from kustomize")]
    WritesOutput,
    /// A value with control characters, from anywhere.
    #[error("has control characters")]
    ControlCharacters,
    /// A boolean option with another value.
    #[error("takes true or false")]
    NotABool,
    /// `--load-restrictor LoadRestrictionsNone` from the tree.
    #[error(
        "lets kustomize read files outside the kustomization; only the command line may set it"
    )]
    LoadRestrictionsNone,
    /// `--load-restrictor` with an unknown value, from the tree.
    #[error("takes LoadRestrictionsRootOnly")]
    NotRootOnly,
    /// A Kubernetes version or API version that is not one.
    #[error(transparent)]
    Name(#[from] crate::names::NameError),
    /// An option that runs programs or containers, from the tree.
    #[error("runs programs or containers the repository names; only the command line may set it")]
    RunsPrograms,
    /// `--helm-command`, from the tree.
    #[error("names the program kustomize runs as helm; only the command line may set it")]
    HelmCommand,
    /// Any other option, from the tree.
    #[error(
        "is not one kubectl gitops accepts from argocd-cm in the tree; only the command line may set it"
    )]
    NotAccepted,
}

/// Options that take a value (as the next word, or after `=`).
const WITH_VALUE: &[&str] = &[
    "--load-restrictor",
    "--helm-command",
    "--helm-kube-version",
    "--helm-api-versions",
    "--env",
    "-e",
    "--mount",
    "--network-name",
    "--output",
    "-o",
    "--reorder",
];

impl BuildOptions {
    /// Parses `text` (words separated by whitespace, as Argo CD's `strings.Fields`), checked
    /// for `origin`.
    pub fn parse(text: &str, origin: OptionsOrigin) -> Result<BuildOptions, BuildOptionError> {
        let words: Vec<&str> = text.split_whitespace().collect();
        let mut args = Vec::new();
        let mut i = 0;
        while i < words.len() {
            let word = words[i];
            let (name, inline) = match word.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (word, None),
            };
            if !name.starts_with('-') {
                return Err(BuildOptionError {
                    option: word.to_string(),
                    reason: OptionRefusal::NotAnOption,
                });
            }
            let value = if WITH_VALUE.contains(&name) && inline.is_none() {
                i += 1;
                Some(
                    words
                        .get(i)
                        .map(|v| v.to_string())
                        .ok_or_else(|| BuildOptionError {
                            option: word.to_string(),
                            reason: OptionRefusal::NeedsValue,
                        })?,
                )
            } else {
                inline
            };
            check(name, value.as_deref(), origin).map_err(|reason| BuildOptionError {
                option: match &value {
                    Some(v) => format!("{name} {v}"),
                    None => name.to_string(),
                },
                reason,
            })?;
            args.push(match value {
                Some(v) => format!("{name}={v}"),
                None => name.to_string(),
            });
            i += 1;
        }
        Ok(BuildOptions { args })
    }

    /// The options as `kustomize build` arguments (`--name=value` form).
    pub fn args(&self) -> &[String] {
        &self.args
    }

    /// Whether `helmCharts` are inflated (`--enable-helm`).
    pub fn enable_helm(&self) -> bool {
        self.args
            .iter()
            .any(|a| a == "--enable-helm" || a == "--enable-helm=true")
    }

    /// Whether the options already set `name` (so it is not added again).
    pub fn sets(&self, name: &str) -> bool {
        self.args
            .iter()
            .any(|a| a == name || a.starts_with(&format!("{name}=")))
    }
}

impl fmt::Display for BuildOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.args.join(" "))
    }
}

/// Whether one option may be used, and why not.
fn check(name: &str, value: Option<&str>, origin: OptionsOrigin) -> Result<(), OptionRefusal> {
    if matches!(name, "-o" | "--output") {
        return Err(OptionRefusal::WritesOutput);
    }
    if value.is_some_and(|v| v.chars().any(|c| c.is_control())) {
        return Err(OptionRefusal::ControlCharacters);
    }
    if origin == OptionsOrigin::CommandLine {
        return Ok(());
    }
    let bool_value = || match value {
        None | Some("true" | "false") => Ok(()),
        Some(_) => Err(OptionRefusal::NotABool),
    };
    match name {
        "--enable-helm" | "--helm-debug" | "--enable-managedby-label" => bool_value(),
        "--load-restrictor" => match value {
            Some("LoadRestrictionsRootOnly") => Ok(()),
            Some("LoadRestrictionsNone") => Err(OptionRefusal::LoadRestrictionsNone),
            _ => Err(OptionRefusal::NotRootOnly),
        },
        "--helm-kube-version" => Ok(crate::names::kube_version(value.unwrap_or_default())?),
        "--helm-api-versions" => Ok(value
            .unwrap_or_default()
            .split(',')
            .try_for_each(crate::names::helm_api_version)?),
        "--enable-alpha-plugins"
        | "--enable-exec"
        | "--enable-star"
        | "--network"
        | "--network-name"
        | "--mount"
        | "-e"
        | "--env"
        | "--as-current-user" => Err(OptionRefusal::RunsPrograms),
        "--helm-command" => Err(OptionRefusal::HelmCommand),
        _ => Err(OptionRefusal::NotAccepted),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(text: &str) -> Result<BuildOptions, BuildOptionError> {
        BuildOptions::parse(text, OptionsOrigin::Tree)
    }

    #[test]
    fn the_tree_may_set_only_the_safe_options() {
        let o = tree("--enable-helm  --load-restrictor LoadRestrictionsRootOnly").unwrap();
        assert_eq!(
            o.args(),
            [
                "--enable-helm",
                "--load-restrictor=LoadRestrictionsRootOnly"
            ]
        );
        assert!(o.enable_helm());
        assert!(tree("--helm-kube-version=1.30.0 --helm-api-versions x.io/v1/Thing").is_ok());
        for (bad, why) in [
            ("--enable-alpha-plugins", "runs programs"),
            ("--enable-exec", "runs programs"),
            ("--network", "runs programs"),
            ("--helm-command /tmp/x", "names the program"),
            (
                "--load-restrictor LoadRestrictionsNone",
                "outside the kustomization",
            ),
            ("-o /tmp/out", "writes the output"),
            ("--load-restrictor", "needs a value"),
            ("--frobnicate", "not one"),
            ("/etc", "not an option"),
            ("--helm-kube-version --post-renderer", "kubeVersion"),
        ] {
            let e = tree(bad).unwrap_err().to_string();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn the_command_line_may_set_anything_but_the_output() {
        let o = BuildOptions::parse(
            "--enable-helm --enable-alpha-plugins --load-restrictor LoadRestrictionsNone",
            OptionsOrigin::CommandLine,
        )
        .unwrap();
        assert_eq!(o.args().len(), 3);
        assert!(o.sets("--load-restrictor"));
        assert!(BuildOptions::parse("--output=x", OptionsOrigin::CommandLine).is_err());
        assert!(
            BuildOptions::parse("", OptionsOrigin::Tree)
                .unwrap()
                .args()
                .is_empty()
        );
    }
}
