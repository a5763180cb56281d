//! One sync per app at a time: a `coordination.k8s.io` Lease per app, as Kubernetes' own
//! leader election uses them. The holder renews it while it works; a crashed holder's lease
//! expires after [`LEASE_SECONDS`] and the next sync takes it over.

use std::time::Duration;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, PostParams};

use super::{ClusterError, Connection, paths};

/// How long a lease holds without renewal.
pub const LEASE_SECONDS: i32 = 30;

/// Why a lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another run holds it and did not let go in time.
    #[error(
        "{what} is locked by {holder} (since {since}); waited {waited} s: try again later, or raise --lock-timeout"
    )]
    Held {
        /// What the lock guards.
        what: String,
        /// Who holds it.
        holder: String,
        /// Since when.
        since: String,
        /// How long this run waited.
        waited: u64,
    },
    /// The API server refused or could not be reached.
    #[error(transparent)]
    Cluster(#[from] ClusterError),
}

/// A lease this run holds; renewed in the background until released.
pub struct HeldLease {
    api: Api<Lease>,
    name: String,
    holder: String,
    renewer: tokio::task::JoinHandle<()>,
}

/// Who this run is, for other runs to read: `user@host (pid N)`.
pub fn holder_identity(user: &str) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown-host".into());
    format!("{user}@{host} (pid {})", std::process::id())
}

fn expired(lease: &Lease, now: Timestamp) -> bool {
    let Some(spec) = &lease.spec else {
        return true;
    };
    if spec.holder_identity.as_deref().is_none_or(str::is_empty) {
        return true;
    }
    let seconds = i64::from(spec.lease_duration_seconds.unwrap_or(LEASE_SECONDS));
    match &spec.renew_time {
        Some(MicroTime(t)) => t.as_second() + seconds < now.as_second(),
        None => true,
    }
}

fn spec(holder: &str, now: Timestamp, transitions: i32) -> LeaseSpec {
    LeaseSpec {
        holder_identity: Some(holder.to_string()),
        lease_duration_seconds: Some(LEASE_SECONDS),
        acquire_time: Some(MicroTime(now)),
        renew_time: Some(MicroTime(now)),
        lease_transitions: Some(transitions),
        ..Default::default()
    }
}

/// Takes the lease `name` in `namespace` for `holder`, waiting up to `wait` for another holder
/// to let go (or for its lease to expire). `what` names the lock in messages.
pub async fn acquire(
    conn: &Connection,
    namespace: &str,
    name: &str,
    holder: &str,
    what: &str,
    wait: Duration,
) -> Result<HeldLease, LockError> {
    paths::check(Some(namespace), Some(name)).map_err(ClusterError::from)?;
    let api: Api<Lease> = Api::namespaced(conn.client.clone(), namespace);
    let started = std::time::Instant::now();
    loop {
        let now = Timestamp::now();
        let current = api
            .get_opt(name)
            .await
            .map_err(|e| conn.error(e, "read a lock (Lease)"))?;
        let attempt = match current {
            None => {
                let lease = Lease {
                    metadata: ObjectMeta {
                        name: Some(name.to_string()),
                        namespace: Some(namespace.to_string()),
                        labels: Some(
                            [(
                                "app.kubernetes.io/managed-by".to_string(),
                                "kubectl-gitops".to_string(),
                            )]
                            .into(),
                        ),
                        ..Default::default()
                    },
                    spec: Some(spec(holder, now, 0)),
                };
                api.create(&PostParams::default(), &lease).await
            }
            Some(lease) if expired(&lease, now) => {
                let transitions = lease
                    .spec
                    .as_ref()
                    .and_then(|s| s.lease_transitions)
                    .unwrap_or(0);
                let mut taken = lease.clone();
                taken.spec = Some(spec(holder, now, transitions + 1));
                // resourceVersion is kept: if another run takes it at the same time, one of
                // the two replaces fails with a conflict and waits.
                api.replace(name, &PostParams::default(), &taken).await
            }
            Some(lease) => {
                let spec = lease.spec.unwrap_or_default();
                let waited = started.elapsed();
                if waited >= wait {
                    return Err(LockError::Held {
                        what: what.to_string(),
                        holder: spec.holder_identity.unwrap_or_default(),
                        since: spec
                            .acquire_time
                            .map(|MicroTime(t)| t.to_string())
                            .unwrap_or_default(),
                        waited: waited.as_secs(),
                    });
                }
                tokio::time::sleep(Duration::from_millis(500).min(wait - waited)).await;
                continue;
            }
        };
        match attempt {
            Ok(_) => break,
            // Someone else got there first: look again.
            Err(kube::Error::Api(s)) if s.code == 409 => continue,
            Err(e) => return Err(conn.error(e, "take a lock (Lease)").into()),
        }
    }
    let renewer = {
        let api = api.clone();
        let (name, holder) = (name.to_string(), holder.to_string());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs((LEASE_SECONDS / 3) as u64)).await;
                let Ok(Some(mut lease)) = api.get_opt(&name).await else {
                    return;
                };
                let Some(spec) = lease.spec.as_mut() else {
                    return;
                };
                if spec.holder_identity.as_deref() != Some(holder.as_str()) {
                    return;
                }
                spec.renew_time = Some(MicroTime(Timestamp::now()));
                let _ = api.replace(&name, &PostParams::default(), &lease).await;
            }
        })
    };
    Ok(HeldLease {
        api,
        name: name.to_string(),
        holder: holder.to_string(),
        renewer,
    })
}

impl HeldLease {
    /// Lets go of the lease, so the next sync need not wait for it to expire.
    pub async fn release(self) {
        self.renewer.abort();
        if let Ok(Some(mut lease)) = self.api.get_opt(&self.name).await
            && let Some(spec) = lease.spec.as_mut()
            && spec.holder_identity.as_deref() == Some(self.holder.as_str())
        {
            spec.holder_identity = None;
            spec.renew_time = None;
            let _ = self
                .api
                .replace(&self.name, &PostParams::default(), &lease)
                .await;
        }
    }
}
