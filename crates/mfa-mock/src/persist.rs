//! The state file (`--state-file`): every API key's users, factors, challenges
//! and clock, kept on disk so a restarted server carries on where it stopped,
//! after a graceful shutdown or a crash.
//!
//! Two files: the state file itself (a seed file, see `seed.rs`, so it can also
//! seed other runs) and next to it `<state file>.log`, an append-only change
//! log. Whenever a tenant changes, a background flush (every
//! [`FLUSH_EVERY`]) appends that tenant's whole new state as one JSON line and
//! fsyncs the log: the promise of Redis's `appendfsync everysec`, a write
//! acknowledged more than a second before a crash is on disk. At start the
//! state file is read and the log replayed over it (a torn last line, from a
//! crash mid-write, is dropped), then both are compacted: the merged state is
//! written to the state file atomically (write, fsync, rename, fsync the
//! folder) and the log emptied. The same happens at graceful shutdown and
//! when the log outgrows the state file.
//!
//! Every line and the state file carry a sequence number, so a crash between
//! renaming a compacted state file and emptying the log never replays older
//! lines over newer state. Both files are created mode 0600: they hold keys,
//! TOTP secrets and pending codes. Every failure names the file.
//!
//! The SMS outbox, request journal, faults and idempotency keys are not kept:
//! they describe a run, not the world it built.

use std::collections::{BTreeMap, HashMap};
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tracing::warn;

use crate::seed::SeedFile;
use crate::state::{self, TenantState};
use crate::store::{Store, Tenant};

/// How often changed tenants are appended to the log and the log fsynced.
/// Well under a second, so a write is durable within a second even when a
/// flush waits a little for the disk.
pub(crate) const FLUSH_EVERY: Duration = Duration::from_millis(200);
/// The log is compacted once it is this large and larger than the state file.
const COMPACT_AT_BYTES: u64 = 64 * 1024 * 1024;

/// One line of the change log: a tenant's whole state, or its removal.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LogLine {
    sequence: u64,
    api_key: String,
    /// `None`: the tenant was reset or evicted, or holds nothing.
    state: Option<TenantState>,
}

/// The state file and its change log, open for appending.
#[derive(Debug)]
pub(crate) struct Persistence {
    path: PathBuf,
    log_path: PathBuf,
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    log: File,
    log_bytes: u64,
    state_bytes: u64,
    /// The last sequence number written.
    sequence: u64,
    /// Each key the files hold, with the tenant they hold it for: a key whose
    /// tenant was replaced (reset, evicted and back) is written again.
    written: HashMap<String, Weak<Tenant>>,
    /// The store's removal count when `written` was last reconciled with it.
    removals: u64,
    /// Whether the state file holds the signing key in use.
    key_saved: bool,
}

impl Persistence {
    /// Reads the state file at `path` and replays its log over it; returns the
    /// files, open for appending, and what they hold (`None` when there is
    /// nothing yet). Call [`Self::compact`] once the result is applied.
    pub(crate) fn open(path: &Path) -> Result<(Self, Option<SeedFile>), String> {
        let log_path = log_path(path);
        let saved = load(path)?;
        let (state_bytes, mut sequence) = match &saved {
            Some(file) => (
                std::fs::metadata(path).map_or(0, |meta| meta.len()),
                file.log_sequence.unwrap_or(0),
            ),
            None => (0, 0),
        };
        let mut tenants: BTreeMap<String, Option<TenantState>> = saved
            .as_ref()
            .map(|file| {
                file.tenants
                    .iter()
                    .map(|t| (t.api_key.clone().unwrap_or_default(), Some(t.clone())))
                    .collect()
            })
            .unwrap_or_default();
        let replayed = replay(&log_path, sequence, &mut tenants)?;
        sequence = sequence.max(replayed);
        let log = open_private(&log_path, OpenOptions::new().create(true).append(true)).map_err(
            |error| format!("cannot open the state log {}: {error}", log_path.display()),
        )?;
        let log_bytes = log.metadata().map_or(0, |meta| meta.len());
        let signing_key = saved.as_ref().and_then(|file| file.signing_key.clone());
        let merged = (saved.is_some() || log_bytes > 0).then(|| SeedFile {
            tenants: tenants
                .into_iter()
                .filter_map(|(api_key, state)| {
                    state.map(|state| TenantState {
                        api_key: Some(api_key),
                        ..state
                    })
                })
                .collect(),
            log_sequence: None,
            signing_key,
        });
        let persistence = Self {
            path: path.to_owned(),
            log_path,
            inner: Mutex::new(Inner {
                log,
                log_bytes,
                state_bytes,
                sequence,
                written: HashMap::new(),
                removals: 0,
                key_saved: false,
            }),
        };
        Ok((persistence, merged))
    }

    /// The state file's path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Appends every tenant changed since the last flush (and every removed
    /// one) to the log and fsyncs it; compacts when the log has grown large.
    pub(crate) fn flush(&self, store: &Store) -> Result<(), String> {
        let mut inner = self.lock();
        if !inner.key_saved && store.signer.saved_pem().is_some() {
            // The signing key is made lazily, by the first sign-in or JWKS
            // request: compact now so that tokens issued with it still verify
            // after a crash.
            return self.compact_locked(&mut inner, store);
        }
        // Read before the tenants: a removal after this is seen by the next flush.
        let removals = store.removals();
        let reconcile = removals != inner.removals;
        let mut lines = Vec::new();
        let tenants = store.tenants();
        let mut present = HashMap::new();
        for (api_key, tenant) in &tenants {
            let dirty = tenant.take_dirty();
            let replaced = reconcile
                && inner
                    .written
                    .get(api_key)
                    .is_some_and(|known| !std::ptr::eq(known.as_ptr(), Arc::as_ptr(tenant)));
            if dirty || replaced {
                lines.push((api_key.clone(), document(tenant)));
            }
            if reconcile {
                present.insert(api_key.clone(), Arc::downgrade(tenant));
            } else if dirty && !inner.written.contains_key(api_key) {
                inner
                    .written
                    .insert(api_key.clone(), Arc::downgrade(tenant));
            }
        }
        if reconcile {
            for api_key in inner.written.keys() {
                if !present.contains_key(api_key) {
                    lines.push((api_key.clone(), None));
                }
            }
            inner.written = present;
            inner.removals = removals;
        }
        if lines.is_empty() {
            return Ok(());
        }
        let mut text = Vec::new();
        for (api_key, state) in lines {
            inner.sequence += 1;
            let line = LogLine {
                sequence: inner.sequence,
                api_key,
                state,
            };
            serde_json::to_writer(&mut text, &line).map_err(|error| self.log_error(&error))?;
            text.push(b'\n');
        }
        inner
            .log
            .write_all(&text)
            .and_then(|()| inner.log.sync_data())
            .map_err(|error| self.log_error(&error))?;
        inner.log_bytes += text.len() as u64;
        if inner.log_bytes > COMPACT_AT_BYTES.max(inner.state_bytes) {
            self.compact_locked(&mut inner, store)?;
        }
        Ok(())
    }

    /// Writes every tenant to the state file atomically and empties the log.
    pub(crate) fn compact(&self, store: &Store) -> Result<(), String> {
        let mut inner = self.lock();
        self.compact_locked(&mut inner, store)
    }

    fn compact_locked(&self, inner: &mut Inner, store: &Store) -> Result<(), String> {
        let removals = store.removals();
        let tenants = store.tenants();
        for (_, tenant) in &tenants {
            tenant.take_dirty();
        }
        let signing_key = store.signer.saved_pem();
        inner.key_saved = signing_key.is_some();
        let mut file = snapshot(&tenants, signing_key);
        file.log_sequence = Some(inner.sequence);
        let json = serde_json::to_vec_pretty(&file).map_err(|error| self.state_error(&error))?;
        write_atomically(&self.path, &json).map_err(|error| self.state_error(&error))?;
        inner
            .log
            .set_len(0)
            .and_then(|()| inner.log.sync_data())
            .map_err(|error| self.log_error(&error))?;
        inner.log_bytes = 0;
        inner.state_bytes = json.len() as u64;
        inner.written = tenants
            .iter()
            .map(|(api_key, tenant)| (api_key.clone(), Arc::downgrade(tenant)))
            .collect();
        inner.removals = removals;
        Ok(())
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A poisoned lock means a panic mid-flush; the next flush rewrites what it needs.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn log_error(&self, error: &dyn std::fmt::Display) -> String {
        format!(
            "cannot write the state log {}: {error}",
            self.log_path.display()
        )
    }

    fn state_error(&self, error: &dyn std::fmt::Display) -> String {
        format!(
            "cannot write the state file {}: {error}",
            self.path.display()
        )
    }
}

/// `<state file>.log`.
fn log_path(path: &Path) -> PathBuf {
    let mut log = path.as_os_str().to_owned();
    log.push(".log");
    PathBuf::from(log)
}

/// The seed file at `path`, or `None` when there is no file yet.
pub(crate) fn load(path: &Path) -> Result<Option<SeedFile>, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => SeedFile::parse(&text)
            .map(Some)
            .map_err(|error| format!("state file {}: {error}", path.display())),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(format!(
            "cannot read the state file {}: {error}",
            path.display()
        )),
    }
}

/// Applies the log at `path` over `tenants`, skipping lines at or below
/// `after` (already in the state file); returns the last sequence seen.
fn replay(
    path: &Path,
    after: u64,
    tenants: &mut BTreeMap<String, Option<TenantState>>,
) -> Result<u64, String> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(after),
        Err(error) => {
            return Err(format!(
                "cannot read the state log {}: {error}",
                path.display()
            ));
        }
    };
    let mut last = after;
    let mut lines = BufReader::new(file).lines().enumerate().peekable();
    while let Some((index, line)) = lines.next() {
        let line =
            line.map_err(|error| format!("cannot read the state log {}: {error}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let parsed: LogLine = match serde_json::from_str(&line) {
            Ok(parsed) => parsed,
            // A crash mid-append leaves a torn last line: what it held was never acknowledged durable.
            Err(_) if lines.peek().is_none() => {
                warn!(path = %path.display(), line = index + 1, "dropped a torn last line of the state log");
                break;
            }
            Err(error) => {
                return Err(format!(
                    "state log {} line {}: {error}",
                    path.display(),
                    index + 1
                ));
            }
        };
        if parsed.sequence > after {
            last = last.max(parsed.sequence);
            tenants.insert(parsed.api_key, parsed.state);
        }
    }
    Ok(last)
}

/// Writes `bytes` to `path` through a mode-0600 `.partial` file, fsynced and
/// renamed over it, then fsyncs the folder so the rename itself is durable.
fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let mut file = open_private(
        &partial,
        OpenOptions::new().create(true).write(true).truncate(true),
    )?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&partial, path)?;
    sync_folder(path)
}

#[cfg(unix)]
fn sync_folder(path: &Path) -> io::Result<()> {
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    File::open(folder)?.sync_all()
}

#[cfg(not(unix))]
fn sync_folder(_: &Path) -> io::Result<()> {
    Ok(())
}

/// Opens `path` with `options`, creating it readable and writable by its owner only.
fn open_private(path: &Path, options: &mut OpenOptions) -> io::Result<File> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let file = options.mode(0o600).open(path)?;
        // An existing file keeps its mode through open(); tighten it.
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        Ok(file)
    }
    #[cfg(not(unix))]
    {
        options.open(path)
    }
}

/// What the files hold for `tenant`: its state, or `None` when it has no
/// objects and a running clock (nothing a restart would miss).
fn document(tenant: &Tenant) -> Option<TenantState> {
    let exported = state::export(tenant);
    let frozen = tenant.clock.is_frozen();
    let empty = exported.users.is_empty() && exported.factors.is_empty();
    (!empty || frozen).then(|| TenantState {
        object: None,
        api_key: None,
        freeze_at: frozen.then(|| tenant.clock.now().to_string()),
        clock: None,
        ..exported
    })
}

/// Every API key with users, factors, challenges or a frozen clock.
fn snapshot(tenants: &[(String, Arc<Tenant>)], signing_key: Option<String>) -> SeedFile {
    let mut tenants: Vec<TenantState> = tenants
        .iter()
        .filter_map(|(api_key, tenant)| {
            document(tenant).map(|state| TenantState {
                api_key: Some(api_key.clone()),
                ..state
            })
        })
        .collect();
    tenants.sort_by(|a, b| a.api_key.cmp(&b.api_key));
    SeedFile {
        tenants,
        log_sequence: None,
        signing_key,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("mfa-mock-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp folder");
        dir
    }

    fn seeded() -> Store {
        let seeds = SeedFile::parse(
            "tenants:\n  - api_key: sk_test_a\n    freeze_at: \"2026-01-15T12:00:00Z\"\n    users: [{ id: user_ada, email: ada@example.com }]\n    factors: [{ id: auth_factor_ada, type: totp, user_id: user_ada, totp: { issuer: Foo, user: ada, secret: JBSWY3DPEHPK3PXP } }]\n",
        )
        .expect("parses");
        let store = Store::default();
        crate::seed::apply(&store, &seeds).expect("seeds");
        store.tenant("sk_test_empty");
        store
    }

    #[test]
    fn a_compacted_store_loads_back_with_the_same_objects() {
        let dir = folder("compact");
        let path = dir.join("state.json");
        let first = seeded();
        let (files, nothing) = Persistence::open(&path).expect("opens");
        assert!(nothing.is_none());
        files.compact(&first).expect("compacts");

        let (_, loaded) = Persistence::open(&path).expect("reopens");
        let loaded = loaded.expect("exists");
        assert_eq!(loaded.tenants.len(), 1, "empty keys are not written");
        let second = Store::default();
        crate::seed::apply(&second, &loaded).expect("restarts");
        let (a, b) = (first.tenant("sk_test_a"), second.tenant("sk_test_a"));
        assert_eq!(state::export(&a), state::export(&b));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn changes_flushed_to_the_log_survive_without_a_compaction() {
        let dir = folder("log");
        let path = dir.join("state.json");
        let store = seeded();
        let (files, _) = Persistence::open(&path).expect("opens");
        files.compact(&store).expect("compacts");
        let tenant = store.tenant("sk_test_b");
        tenant.insert_user(crate::model::User {
            object: "user",
            id: "user_b".into(),
            email: "b@example.com".into(),
            first_name: None,
            last_name: None,
            email_verified: false,
            profile_picture_url: None,
            external_id: None,
            password: None,
            last_sign_in_at: None,
            metadata: serde_json::Map::new(),
            created_at: tenant.clock.now(),
            updated_at: tenant.clock.now(),
        });
        tenant.mark_dirty();
        store.reset("sk_test_a");
        files.flush(&store).expect("flushes");
        drop(files);
        // A crash mid-append leaves half a line, which is dropped.
        let mut log = OpenOptions::new()
            .append(true)
            .open(log_path(&path))
            .expect("log");
        log.write_all(b"{\"sequence\": 99, \"api_")
            .expect("torn line");

        let (_, loaded) = Persistence::open(&path).expect("replays");
        let keys: Vec<Option<String>> = loaded
            .expect("state")
            .tenants
            .into_iter()
            .map(|t| t.api_key)
            .collect();
        assert_eq!(keys, [Some("sk_test_b".to_owned())]);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[cfg(unix)]
    #[test]
    fn both_files_are_private_to_their_owner() {
        use std::os::unix::fs::PermissionsExt;
        let dir = folder("mode");
        let path = dir.join("state.json");
        let (files, _) = Persistence::open(&path).expect("opens");
        files.compact(&seeded()).expect("compacts");
        for file in [path.clone(), log_path(&path)] {
            let mode = std::fs::metadata(&file)
                .expect("exists")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{}", file.display());
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_corrupt_line_before_the_last_names_the_log_and_line() {
        let dir = folder("corrupt");
        let path = dir.join("state.json");
        std::fs::write(
            log_path(&path),
            "not json\n{\"sequence\":1,\"api_key\":\"k\",\"state\":null}\n",
        )
        .expect("writes");
        let error = Persistence::open(&path).expect_err("corrupt");
        assert!(error.contains("state.json.log line 1"), "{error}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_missing_state_file_is_a_fresh_start() {
        let dir = folder("missing");
        let (_, loaded) = Persistence::open(&dir.join("none.json")).expect("no error");
        assert!(loaded.is_none());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
