//! Temporary files of a run: every temporary copy (a work tree for kustomize, a chart being
//! templated, a chart's dependencies) lives under one directory per run,
//! `$TMPDIR/kubectl-gitops-<uid>/run-<pid>`. Dropped `TempDir`s clean up after themselves on
//! the normal path; Ctrl-C (and SIGTERM) remove the run's directory before the process exits
//! (`cli::main` installs the handler); and whatever a killed run left (SIGKILL, a crash) is
//! removed by the next run, once the process that owned it is gone.
//!
//! The same goes for the half-written entries of the caches (`.tmp-<label>-<pid>-...`, renamed
//! into place when complete): [`sweep_stale`] removes those of processes that are gone.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use crate::source::SourceError;

/// The run's directory, created on first use (a failure is kept too, shared by every caller).
static RUN_DIR: OnceLock<Result<PathBuf, Arc<SourceError>>> = OnceLock::new();

/// Whether a process of this id still exists (a pid that cannot be asked about counts as
/// alive: nothing of it is removed).
fn alive(pid: u32) -> bool {
    let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return true;
    };
    // Signal 0 asks without sending: ESRCH means no such process; EPERM means another
    // user's, alive.
    !matches!(
        rustix::process::test_kill_process(pid),
        Err(e) if e == rustix::io::Errno::SRCH
    )
}

/// `$TMPDIR/kubectl-gitops-<uid>`: private to the user (0700, owned), shared by their runs.
fn base() -> PathBuf {
    std::env::temp_dir().join(format!(
        "kubectl-gitops-{}",
        rustix::process::geteuid().as_raw()
    ))
}

fn create_run_dir() -> Result<PathBuf, SourceError> {
    let base = base();
    crate::source::ensure_private_dir(&base)?;
    // What runs that are gone left behind.
    if let Ok(entries) = std::fs::read_dir(&base) {
        for e in entries.flatten() {
            let name = e.file_name();
            let Some(pid) = name
                .to_str()
                .and_then(|n| n.strip_prefix("run-"))
                .and_then(|p| p.parse::<u32>().ok())
            else {
                continue;
            };
            if pid != std::process::id() && !alive(pid) {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
    let run = base.join(format!("run-{}", std::process::id()));
    crate::source::ensure_private_dir(&run)?;
    // Another run that ended in between may have removed the (empty) base, which creating
    // ours made again with the umask's mode: made private again.
    crate::source::ensure_private_dir(&base)?;
    Ok(run)
}

/// The run's directory.
pub fn run_dir() -> std::io::Result<&'static Path> {
    match RUN_DIR.get_or_init(|| create_run_dir().map_err(Arc::new)) {
        Ok(p) => Ok(p),
        Err(e) => Err(std::io::Error::other(SourceError::Shared(Arc::clone(e)))),
    }
}

/// A private (0700) temporary directory in the run's directory, removed when dropped.
pub fn tempdir(prefix: &str) -> std::io::Result<tempfile::TempDir> {
    let mut b = tempfile::Builder::new();
    b.prefix(prefix);
    // tempfile's default is the umask's (often 0755): other users could read the copies.
    b.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700));
    b.tempdir_in(run_dir()?)
}

/// Removes the run's directory and all in it: for the end of a run that is interrupted (the
/// `TempDir`s are not dropped when the process exits on a signal) and for its normal end.
pub fn remove_run_dir() {
    if let Some(Ok(dir)) = RUN_DIR.get() {
        let _ = std::fs::remove_dir_all(dir);
        // The base too, when no other run is using it (removing a directory that is not
        // empty fails, harmlessly).
        let _ = std::fs::remove_dir(base());
    }
}

/// Removes the `.tmp-<label>-<pid>-<n>-<nanos>` entries of `dir` (see
/// `source::cache::unique_temp`) whose process is gone: a cache entry half written by a run
/// that was killed.
pub fn sweep_stale(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(name) = name.to_str().filter(|n| n.starts_with(".tmp-")) else {
            continue;
        };
        // The label may contain dashes; the last three fields are pid, counter and nanos.
        let mut fields = name.rsplitn(4, '-');
        let (_nanos, _n, pid) = (fields.next(), fields.next(), fields.next());
        let Some(pid) = pid.and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if pid != std::process::id() && !alive(pid) {
            let path = e.path();
            if path.is_dir() {
                let _ = std::fs::remove_dir_all(&path);
            } else {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pid no process has now (well above what this machine runs).
    fn dead_pid() -> u32 {
        (3_000_000..4_000_000)
            .find(|p| !alive(*p))
            .expect("a free pid")
    }

    #[test]
    fn this_process_is_alive_and_a_free_pid_is_not() {
        assert!(alive(std::process::id()));
        assert!(!alive(dead_pid()));
    }

    #[test]
    fn stale_cache_temps_of_dead_runs_go_and_others_stay() {
        let dir = tempfile::tempdir().unwrap();
        let dead = format!(".tmp-helm-deps-{}-0-123", dead_pid());
        let ours = format!(".tmp-clone-{}-1-456", std::process::id());
        let done = "0123456789abcdef".to_string();
        for n in [&dead, &ours, &done] {
            std::fs::create_dir(dir.path().join(n)).unwrap();
        }
        std::fs::write(
            dir.path().join(format!(".tmp-skipped-{}-2-7", dead_pid())),
            "x",
        )
        .unwrap();
        sweep_stale(dir.path());
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left, [ours, done]);
    }
}
