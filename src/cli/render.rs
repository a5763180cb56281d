//! `kubectl gitops render`: the objects of the selected apps, exactly as sync would send them.

use serde_json::Value;

use super::CliError;
use super::args::{GlobalArgs, RenderArgs, RenderFormat};
use super::resolve::{gather_facts, report_tree_errors, resolve_apps};
use crate::plan::hooks::{self, HookRole};

pub(super) fn run(global: &GlobalArgs, args: &RenderArgs) -> Result<u8, CliError> {
    let resolved = resolve_apps(&args.tree, &gather_facts(global, &args.tree)?, &args.apps)?;
    let tree = &resolved.tree;
    for name in &args.apps {
        if tree.get(name).is_none() {
            let known: Vec<&str> = tree.apps.iter().map(|a| a.name.as_str()).collect();
            return Err(CliError(format!(
                "app {name:?} is not in the tree (apps: {})",
                known.join(", ")
            )));
        }
    }
    let objects: Vec<Value> = tree
        .apps
        .iter()
        .filter(|a| args.apps.is_empty() || args.apps.contains(&a.name))
        .flat_map(|a| a.objects.iter())
        .filter(|o| args.include_hooks || hooks::role(o) == HookRole::Resource)
        .map(|o| o.body.clone())
        .collect();
    match args.output {
        RenderFormat::Yaml => print!("{}", crate::yaml::to_documents(&objects)?),
        RenderFormat::Json => {
            /// kubectl's `List`.
            #[derive(serde::Serialize)]
            #[serde(rename_all = "camelCase")]
            struct List<'a> {
                api_version: &'static str,
                kind: &'static str,
                items: &'a [Value],
            }
            let list = List {
                api_version: "v1",
                kind: "List",
                items: &objects,
            };
            println!("{}", super::escape::json_pretty(&list)?);
        }
    }
    Ok(report_tree_errors(tree))
}
