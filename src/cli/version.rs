//! `kubectl gitops version`: like `kubectl version`, client first, then the server.

use serde_json::json;

use super::args::{GlobalArgs, OutputFormat, VersionArgs};
use super::{CliError, EXIT_ERROR, EXIT_OK, runtime};
use crate::cluster::{ClusterError, connect};

/// The plugin's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The Git commit the plugin was built from.
pub const COMMIT: &str = env!("KUBECTL_GITOPS_COMMIT");

pub(super) fn run(global: &GlobalArgs, args: &VersionArgs) -> Result<u8, CliError> {
    let server = if args.client {
        None
    } else {
        let rt = runtime()?;
        Some(rt.block_on(async {
            let conn = connect(&global.target()).await?;
            conn.server_version().await
        }))
    };
    let client = json!({ "version": format!("v{VERSION}"), "commit": COMMIT });
    match args.output {
        OutputFormat::Json => {
            let mut doc = json!({ "clientVersion": client });
            if let Some(Ok(info)) = &server {
                doc["serverVersion"] = serde_json::to_value(info)?;
            }
            println!("{}", super::escape::json_pretty(&doc)?);
        }
        OutputFormat::Text => {
            println!("Client Version: v{VERSION} (commit {COMMIT})");
            if let Some(Ok(info)) = &server {
                println!("Server Version: {}", info.git_version);
            }
        }
    }
    // kubectl version prints what it knows, then why the server could not be asked.
    match server {
        Some(Err(e)) => {
            report_server_error(&e);
            Ok(EXIT_ERROR)
        }
        _ => Ok(EXIT_OK),
    }
}

fn report_server_error(e: &ClusterError) {
    eprintln!("error: {}", super::escape::terminal_line(&e.to_string()));
}
