//! One sync per app at a time: a `coordination.k8s.io` Lease per app, as Kubernetes' own
//! leader election uses them. A run takes all the leases it needs at once or none: when one is
//! held by another run it lets go of those it got, waits and tries again, so two runs never
//! hold part of each other's set. The holder renews its leases while it works; a crashed
//! holder's lease expires after [`LEASE_SECONDS`] and the next run takes it over.

use std::time::{Duration, Instant};

use futures::{StreamExt, stream};
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, DeleteParams, PostParams, Preconditions};

use super::{ClusterError, Connection, paths};

/// How long a lease holds without renewal.
pub const LEASE_SECONDS: i32 = 30;

/// Why the locks could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another run holds one and did not let go in time.
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

/// One lease to take: where, its name, and what it guards (for messages).
#[derive(Clone)]
pub struct LeaseRequest {
    /// The cluster.
    pub conn: Connection,
    /// The namespace of the lease.
    pub namespace: String,
    /// The lease's name.
    pub name: String,
    /// What it guards, as messages say it (`app "blog"`).
    pub what: String,
}

/// Leases this run holds, renewed in the background until released.
pub struct HeldLeases {
    held: Vec<(Api<Lease>, String)>,
    /// Who holds them: only leases still held by this identity are renewed and released.
    holder: String,
    renewer: Option<tokio::task::JoinHandle<()>>,
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

/// The outcome of one attempt at one lease.
enum Attempt {
    /// Ours now (the resourceVersion of what we wrote, for a guarded delete).
    Taken,
    /// Another live holder has it.
    Busy { holder: String, since: String },
}

async fn try_take(req: &LeaseRequest, holder: &str) -> Result<Attempt, ClusterError> {
    let api: Api<Lease> = Api::namespaced(req.conn.client.clone(), &req.namespace);
    let now = Timestamp::now();
    let fresh = Lease {
        metadata: ObjectMeta {
            name: Some(req.name.clone()),
            namespace: Some(req.namespace.clone()),
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
    // Creating is the common case (the lease is deleted on release): one request.
    match api.create(&PostParams::default(), &fresh).await {
        Ok(_) => return Ok(Attempt::Taken),
        Err(kube::Error::Api(s)) if s.code == 409 => {}
        Err(e) => return Err(req.conn.error(e, "take a lock (Lease)")),
    }
    let Some(current) = api
        .get_opt(&req.name)
        .await
        .map_err(|e| req.conn.error(e, "read a lock (Lease)"))?
    else {
        return Ok(Attempt::Busy {
            holder: "another run (it was just released)".into(),
            since: now.to_string(),
        });
    };
    if !expired(&current, now) {
        let spec = current.spec.unwrap_or_default();
        return Ok(Attempt::Busy {
            holder: spec.holder_identity.unwrap_or_default(),
            since: spec
                .acquire_time
                .map(|MicroTime(t)| t.to_string())
                .unwrap_or_default(),
        });
    }
    // A crashed holder: take it over. resourceVersion is kept, so of two runs doing this at
    // once one gets a conflict.
    let transitions = current
        .spec
        .as_ref()
        .and_then(|s| s.lease_transitions)
        .unwrap_or(0);
    let mut taken = current;
    taken.spec = Some(spec(holder, now, transitions + 1));
    match api.replace(&req.name, &PostParams::default(), &taken).await {
        Ok(_) => Ok(Attempt::Taken),
        Err(kube::Error::Api(s)) if s.code == 409 => Ok(Attempt::Busy {
            holder: "another run".into(),
            since: now.to_string(),
        }),
        Err(e) => Err(req.conn.error(e, "take a lock (Lease)")),
    }
}

/// Takes every lease of `requests` for `holder`, all or none, waiting up to `wait` for other
/// holders to let go (or for their leases to expire).
pub async fn acquire_all(
    requests: &[LeaseRequest],
    holder: &str,
    wait: Duration,
    concurrency: usize,
) -> Result<HeldLeases, LockError> {
    for r in requests {
        paths::check(Some(&r.namespace), Some(&r.name)).map_err(ClusterError::from)?;
    }
    let started = Instant::now();
    let mut pause = Duration::from_millis(200);
    loop {
        let attempts: Vec<Result<Attempt, ClusterError>> = stream::iter(requests)
            .map(|r| try_take(r, holder))
            .buffered(concurrency.max(1))
            .collect()
            .await;
        let mut held = HeldLeases {
            held: Vec::new(),
            holder: holder.to_string(),
            renewer: None,
        };
        let mut busy = None;
        let mut failure = None;
        for (r, a) in requests.iter().zip(attempts) {
            match a {
                Ok(Attempt::Taken) => held.held.push((
                    Api::namespaced(r.conn.client.clone(), &r.namespace),
                    r.name.clone(),
                )),
                Ok(Attempt::Busy { holder, since }) => {
                    busy.get_or_insert((r.what.clone(), holder, since));
                }
                Err(e) => {
                    failure.get_or_insert(e);
                }
            }
        }
        if failure.is_none() && busy.is_none() {
            held.start_renewing();
            return Ok(held);
        }
        held.release().await;
        if let Some(e) = failure {
            return Err(e.into());
        }
        let waited = started.elapsed();
        if let Some((what, holder, since)) = busy
            && waited >= wait
        {
            return Err(LockError::Held {
                what,
                holder,
                since,
                waited: waited.as_secs(),
            });
        }
        tokio::time::sleep(pause.min(wait.saturating_sub(waited))).await;
        pause = (pause * 2).min(Duration::from_secs(2));
    }
}

impl HeldLeases {
    fn start_renewing(&mut self) {
        let leases = self.held.clone();
        let holder = self.holder.clone();
        self.renewer = Some(tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs((LEASE_SECONDS / 3) as u64)).await;
                for (api, name) in &leases {
                    let Ok(Some(mut lease)) = api.get_opt(name).await else {
                        continue;
                    };
                    let Some(spec) = lease.spec.as_mut() else {
                        continue;
                    };
                    if spec.holder_identity.as_deref() != Some(holder.as_str()) {
                        continue;
                    }
                    spec.renew_time = Some(MicroTime(Timestamp::now()));
                    let _ = api.replace(name, &PostParams::default(), &lease).await;
                }
            }
        }));
    }

    /// Lets go of every lease (deletes it, unless someone took it over), so the next run need
    /// not wait for them to expire.
    pub async fn release(self) {
        if let Some(r) = &self.renewer {
            r.abort();
        }
        let holder = self.holder.as_str();
        let deletes = self.held.iter().map(|(api, name)| async move {
            // The version read is the version deleted: a lease someone took over after ours
            // expired stays theirs, and one a last renewal changed in between is read again.
            for _ in 0..3 {
                let Ok(Some(lease)) = api.get_opt(name).await else {
                    return;
                };
                if lease
                    .spec
                    .as_ref()
                    .and_then(|s| s.holder_identity.as_deref())
                    != Some(holder)
                {
                    return;
                }
                let params = DeleteParams {
                    preconditions: Some(Preconditions {
                        resource_version: lease.metadata.resource_version,
                        uid: None,
                    }),
                    ..Default::default()
                };
                match api.delete(name, &params).await {
                    Err(kube::Error::Api(s)) if s.code == 409 => continue,
                    _ => return,
                }
            }
        });
        futures::future::join_all(deletes).await;
    }
}

/// Marks a long-running process (a watch) as alive for `seconds`: creates or renews the lease
/// `name`. Other commands read it with [`live_holder`].
pub async fn announce(
    conn: &Connection,
    namespace: &str,
    name: &str,
    holder: &str,
    seconds: i32,
) -> Result<(), ClusterError> {
    paths::check(Some(namespace), Some(name))?;
    let api: Api<Lease> = Api::namespaced(conn.client.clone(), namespace);
    let now = Timestamp::now();
    let mut lease = api
        .get_opt(name)
        .await
        .map_err(|e| conn.error(e, "read a lease"))?
        .unwrap_or_else(|| Lease {
            metadata: ObjectMeta {
                name: Some(name.to_string()),
                namespace: Some(namespace.to_string()),
                ..Default::default()
            },
            spec: None,
        });
    let exists = lease.metadata.resource_version.is_some();
    let mut spec = spec(holder, now, 0);
    spec.lease_duration_seconds = Some(seconds);
    lease.spec = Some(spec);
    let result = if exists {
        api.replace(name, &PostParams::default(), &lease).await
    } else {
        api.create(&PostParams::default(), &lease).await
    };
    result
        .map(|_| ())
        .map_err(|e| conn.error(e, "write a lease"))
}

/// Who holds the lease `name`, if anyone does and it has not expired.
pub async fn live_holder(
    conn: &Connection,
    namespace: &str,
    name: &str,
) -> Result<Option<String>, ClusterError> {
    paths::check(Some(namespace), Some(name))?;
    let api: Api<Lease> = Api::namespaced(conn.client.clone(), namespace);
    let lease = match api.get_opt(name).await {
        Ok(l) => l,
        Err(kube::Error::Api(s)) if s.code == 404 => None,
        Err(e) => return Err(conn.error(e, "read a lease")),
    };
    Ok(lease
        .filter(|l| !expired(l, Timestamp::now()))
        .and_then(|l| l.spec.and_then(|s| s.holder_identity)))
}

/// The names of the leases in `namespace` that someone holds (not expired): one LIST, for a
/// run that only needs to know whether anyone is at work.
pub async fn held_names(
    conn: &Connection,
    namespace: &str,
) -> Result<std::collections::HashSet<String>, ClusterError> {
    paths::check(Some(namespace), None)?;
    let api: Api<Lease> = Api::namespaced(conn.client.clone(), namespace);
    let leases = match api.list(&Default::default()).await {
        Ok(l) => l.items,
        Err(kube::Error::Api(s)) if s.code == 404 => Vec::new(),
        Err(e) => return Err(conn.error(e, "list leases")),
    };
    let now = Timestamp::now();
    Ok(leases
        .into_iter()
        .filter(|l| !expired(l, now))
        .filter_map(|l| l.metadata.name)
        .collect())
}

/// Gives a lease up at once (a watch that stops).
pub async fn withdraw(conn: &Connection, namespace: &str, name: &str) {
    let api: Api<Lease> = Api::namespaced(conn.client.clone(), namespace);
    let _ = api.delete(name, &DeleteParams::default()).await;
}
