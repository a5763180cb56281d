//! `kubectl gitops version`: like `kubectl version`, client first, then the server.

use std::sync::OnceLock;

use serde::Serialize;

use super::args::{GlobalArgs, OutputFormat, VersionArgs};
use super::{CliError, EXIT_ERROR, EXIT_OK, runtime};
use crate::cluster::{ClusterError, connect};

/// The plugin's version in Cargo.toml.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The version the binary was stamped with, when it differs from Cargo.toml's.
static STAMPED: OnceLock<&'static str> = OnceLock::new();

/// Stamps the binary's version (without `v`): `main.rs` passes `KUBECTL_GITOPS_VERSION` from
/// build time, so that a release or the krew upgrade test can build another version without
/// editing Cargo.toml. Only the first call counts.
pub fn set_version(version: &'static str) {
    let _ = STAMPED.set(version);
}

/// The plugin's version (without `v`): the stamped one, else Cargo.toml's.
pub fn version() -> &'static str {
    STAMPED.get().copied().unwrap_or(VERSION)
}

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
    let version = version();
    let client = ClientVersion {
        version: format!("v{version}"),
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
            println!("Client Version: v{version} (commit {COMMIT})");
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
