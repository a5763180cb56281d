//! `kubectl gitops version`: like `kubectl version`, client first, then the server.

use serde::Serialize;

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
    let client = ClientVersion {
        version: format!("v{VERSION}"),
        commit: COMMIT,
    };
    match args.output {
        OutputFormat::Json => {
            let doc = Versions {
                client_version: client,
                server_version: server.as_ref().and_then(|s| s.as_ref().ok()),
            };
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

/// The plugin's version, in `-o json`.
#[derive(Serialize)]
struct ClientVersion {
    version: String,
    commit: &'static str,
}

/// `version -o json`, as `kubectl version -o json` lays it out.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Versions<'a> {
    client_version: ClientVersion,
    #[serde(skip_serializing_if = "Option::is_none")]
    server_version: Option<&'a k8s_openapi::apimachinery::pkg::version::Info>,
}

fn report_server_error(e: &ClusterError) {
    eprintln!("error: {}", super::escape::terminal_line(&e.to_string()));
}
