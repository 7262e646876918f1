//! Backups while the shop runs, restores, and scheduled backups with rotation.
//!
//! redb lets one process hold the store, so a backup of a running shop is written by the server
//! itself: `storefront backup DEST` asks it over a Unix socket in the data dir (mode 0600, so only
//! the shop's own user can ask). With no server running, the CLI opens the store and copies it.
//! Either way the copy comes from one read snapshot, which never blocks checkouts.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

use crate::store::{BackupReport, STORE_FILE, Store, StoreError, StoreOptions};

/// The control socket's name inside the data dir.
pub const SOCKET: &str = "control.sock";

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Request {
    Backup(PathBuf),
    CreateToken { scopes: String, label: String },
}

#[derive(Serialize, Deserialize, Default)]
struct Reply {
    ok: bool,
    error: Option<String>,
    #[serde(default)]
    token: Option<String>,
    bytes: u64,
    products: u64,
    orders: u64,
    millis: u64,
}

/// A backup's destination directory becomes a data dir of its own (`DEST/store.redb`); the search
/// index is not copied (it is rebuilt from the store at start).
pub fn backup_file(dest_dir: &Path) -> PathBuf {
    dest_dir.join(STORE_FILE)
}

/// How a backup was made.
pub enum Made {
    ByServer(BackupReport),
    Offline(BackupReport),
}

/// `storefront backup DEST`: through the running server if there is one, else directly.
pub fn backup(data_dir: &Path, options: &StoreOptions, dest_dir: &Path) -> anyhow::Result<Made> {
    let dest_dir = absolute(dest_dir)?;
    if let Some(stream) = connect(data_dir) {
        return ask_server(stream, &dest_dir).map(Made::ByServer);
    }
    let store = match Store::open(data_dir, options) {
        Err(StoreError::InUse(_)) => bail!(
            "a storefront server holds {} but its control socket ({SOCKET}) does not answer; is it an older version?",
            data_dir.display()
        ),
        other => other?,
    };
    Ok(Made::Offline(store.backup_to(&backup_file(&dest_dir))?))
}

fn connect(data_dir: &Path) -> Option<UnixStream> {
    let stream = UnixStream::connect(data_dir.join(SOCKET)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(3600))).ok()?;
    Some(stream)
}

fn exchange(stream: &mut UnixStream, request: &Request) -> anyhow::Result<Reply> {
    let mut line = serde_json::to_string(request)?;
    line.push('\n');
    stream.write_all(line.as_bytes())?;
    let mut answer = String::new();
    BufReader::new(stream).read_line(&mut answer)?;
    let reply: Reply = serde_json::from_str(&answer).context("the server's answer was not understood")?;
    if !reply.ok {
        bail!("the server refused: {}", reply.error.unwrap_or_default());
    }
    Ok(reply)
}

/// `storefront token create`: through the running server if there is one, else directly.
pub fn create_token(
    data_dir: &Path,
    options: &StoreOptions,
    scopes: crate::staff::Scopes,
    label: &str,
) -> anyhow::Result<String> {
    if let Some(mut stream) = connect(data_dir) {
        let request = Request::CreateToken {
            scopes: scopes.to_string(),
            label: label.to_owned(),
        };
        return exchange(&mut stream, &request)?
            .token
            .context("the server sent no token");
    }
    let store = match Store::open(data_dir, options) {
        Err(StoreError::InUse(_)) => bail!(
            "a storefront server holds {} but its control socket ({SOCKET}) does not answer",
            data_dir.display()
        ),
        other => other?,
    };
    Ok(store.write(|tx| crate::staff::ops::create_token(tx, scopes, label, "cli"))?)
}

fn ask_server(mut stream: UnixStream, dest_dir: &Path) -> anyhow::Result<BackupReport> {
    let reply = exchange(&mut stream, &Request::Backup(backup_file(dest_dir)))?;
    Ok(BackupReport {
        bytes: reply.bytes,
        products: reply.products,
        orders: reply.orders,
        millis: reply.millis,
    })
}

/// What the control socket's requests act on: backups read the store, a new token goes through
/// the serving process's writer like every other write.
#[derive(Clone)]
pub struct Control {
    pub store: Store,
    pub writer: std::sync::Arc<crate::store::Writer>,
}

/// Serves backup requests on the data dir's control socket until shutdown.
pub fn serve_control_socket(
    data_dir: &Path,
    control: Control,
    background: &crate::background::Background,
) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let path = data_dir.join(SOCKET);
    // We hold the store, so no other server is using this socket: a file here is stale.
    let _ = std::fs::remove_file(&path);
    let listener =
        tokio::net::UnixListener::bind(&path).with_context(|| format!("cannot listen on {}", path.display()))?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    let stopped = background.stopped();
    background.spawn("control socket", async move {
        tokio::pin!(stopped);
        loop {
            let accepted = tokio::select! {
                () = &mut stopped => return,
                accepted = listener.accept() => accepted,
            };
            let Ok((stream, _)) = accepted else {
                continue;
            };
            let control = control.clone();
            tokio::spawn(async move {
                if let Err(e) = answer(stream, control).await {
                    tracing::warn!(error = %e, "control socket request failed");
                }
            });
        }
    });
    Ok(())
}

async fn answer(stream: tokio::net::UnixStream, control: Control) -> anyhow::Result<()> {
    let Control { store, writer } = control;
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
    let (read, mut write) = stream.into_split();
    let mut line = String::new();
    tokio::io::BufReader::new(read).read_line(&mut line).await?;
    let reply = match serde_json::from_str::<Request>(&line) {
        Ok(Request::Backup(path)) => {
            let outcome = tokio::task::spawn_blocking(move || store.backup_to(&path)).await?;
            match outcome {
                Ok(r) => {
                    tracing::info!(bytes = r.bytes, ms = r.millis, "backup written");
                    reply_ok(&r)
                }
                Err(e) => reply_err(e.to_string()),
            }
        }
        Ok(Request::CreateToken { scopes, label }) => match crate::staff::Scopes::parse(&scopes) {
            Ok(scopes) => {
                // The socket is only reachable by the shop's own user (mode 0600), who could as
                // well stop the server and run the CLI.
                let outcome = writer
                    .run(move |tx| crate::staff::ops::create_token(tx, scopes, &label, "cli"))
                    .await;
                match outcome {
                    Ok(token) => Reply {
                        ok: true,
                        token: Some(token),
                        ..Reply::default()
                    },
                    Err(e) => reply_err(e.to_string()),
                }
            }
            Err(e) => reply_err(e),
        },
        Err(e) => reply_err(format!("bad request: {e}")),
    };
    let mut text = serde_json::to_string(&reply)?;
    text.push('\n');
    write.write_all(text.as_bytes()).await?;
    Ok(())
}

fn reply_ok(r: &BackupReport) -> Reply {
    Reply {
        ok: true,
        error: None,
        token: None,
        bytes: r.bytes,
        products: r.products,
        orders: r.orders,
        millis: r.millis,
    }
}

fn reply_err(error: String) -> Reply {
    Reply {
        ok: false,
        error: Some(error),
        token: None,
        bytes: 0,
        products: 0,
        orders: 0,
        millis: 0,
    }
}

/// `storefront restore SRC`: copies a backup into an empty data dir and checks it opens.
pub fn restore(src: &Path, data_dir: &Path, options: &StoreOptions) -> anyhow::Result<(u64, u64)> {
    let file = if src.is_dir() { backup_file(src) } else { src.to_owned() };
    if !file.is_file() {
        bail!("{} is not a backup (no {STORE_FILE} there)", src.display());
    }
    if data_dir.join(STORE_FILE).exists() {
        bail!(
            "{} already holds a store; restore only into an empty data dir",
            data_dir.display()
        );
    }
    std::fs::create_dir_all(data_dir)?;
    let partial = data_dir.join("store.redb.partial");
    std::fs::copy(&file, &partial).with_context(|| format!("cannot copy {}", file.display()))?;
    std::fs::File::open(&partial)?.sync_all()?;
    std::fs::rename(&partial, data_dir.join(STORE_FILE))?;
    std::fs::File::open(data_dir)?.sync_all()?;
    let store = Store::open(data_dir, options)?;
    let read = store.read()?;
    Ok((read.product_count()?, read.order_count()?))
}

/// Scheduled backups: every `every`, into `dir/backup-<UTC time>/`, keeping the newest `keep`.
pub fn schedule(store: Store, dir: PathBuf, every: Duration, keep: usize, background: &crate::background::Background) {
    background.every("scheduled backups", every, move || {
        let (store, dir) = (store.clone(), dir.clone());
        async move {
            let outcome = tokio::task::spawn_blocking(move || scheduled_backup(&store, &dir, keep)).await;
            match outcome {
                Ok(Ok(path)) => tracing::info!(path = %path.display(), "scheduled backup written"),
                Ok(Err(e)) => tracing::error!(error = %e, "scheduled backup failed"),
                Err(e) => tracing::error!(error = %e, "scheduled backup panicked"),
            }
        }
    });
}

/// One scheduled backup plus rotation; returns the new backup's directory.
pub fn scheduled_backup(store: &Store, dir: &Path, keep: usize) -> anyhow::Result<PathBuf> {
    let stamp = crate::domain::format_utc(crate::domain::now_ms()).replace([':', '-'], "");
    let target = dir.join(format!("backup-{stamp}"));
    store.backup_to(&backup_file(&target))?;
    rotate(dir, keep)?;
    Ok(target)
}

/// Deletes all but the newest `keep` `backup-*` directories (names sort by time).
fn rotate(dir: &Path, keep: usize) -> anyhow::Result<()> {
    let mut backups: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_dir()
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("backup-"))
        })
        .collect();
    backups.sort();
    let excess = backups.len().saturating_sub(keep.max(1));
    for old in &backups[..excess] {
        std::fs::remove_dir_all(old).with_context(|| format!("cannot remove old backup {}", old.display()))?;
    }
    Ok(())
}

fn absolute(path: &Path) -> anyhow::Result<PathBuf> {
    Ok(if path.is_absolute() {
        path.to_owned()
    } else {
        std::env::current_dir()?.join(path)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheduled_backups_keep_only_the_newest() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("data"), &StoreOptions::default()).unwrap();
        let backups = dir.path().join("backups");
        for old in [
            "backup-20260101T000000Z",
            "backup-20260102T000000Z",
            "backup-20260103T000000Z",
        ] {
            std::fs::create_dir_all(backups.join(old)).unwrap();
        }
        std::fs::write(backups.join("notes.txt"), "not a backup").unwrap();
        let newest = scheduled_backup(&store, &backups, 2).unwrap();
        assert!(backup_file(&newest).is_file());
        let mut left: Vec<String> = std::fs::read_dir(&backups)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left.len(), 3, "{left:?}");
        assert_eq!(left[0], "backup-20260103T000000Z");
        assert!(left[1].starts_with("backup-2026") && left[1] != left[0]);
        assert_eq!(left[2], "notes.txt", "other files are left alone");
    }
}
