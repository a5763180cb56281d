//! Running an external renderer (kustomize, helm): argument vectors only, never a shell.

use std::path::Path;
use std::process::Command;

use super::error::RenderError;

/// Whether a program is on PATH.
pub fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|dir| {
            let p = dir.join(program);
            p.is_file()
                && std::fs::metadata(&p)
                    .map(|m| std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o111 != 0)
                    .unwrap_or(false)
        })
    })
}

/// Runs `program args...` in `cwd` and returns its stdout; a failure carries the last lines of
/// stderr and the command line (paths only, no values), so users can re-run it.
pub fn run(program: &str, args: &[String], cwd: &Path) -> Result<String, RenderError> {
    let shown = std::iter::once(program.to_string())
        .chain(args.iter().cloned())
        .collect::<Vec<_>>()
        .join(" ");
    let out = Command::new(program)
        .args(args)
        .current_dir(cwd)
        .output()
        .map_err(|e| RenderError::ToolFailed {
            command: shown.clone(),
            message: e.to_string(),
        })?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        let message = tail[tail.len().saturating_sub(3)..].join(" / ");
        return Err(RenderError::ToolFailed {
            command: shown,
            message,
        });
    }
    String::from_utf8(out.stdout).map_err(|_| RenderError::ToolFailed {
        command: shown,
        message: "output is not UTF-8".into(),
    })
}
