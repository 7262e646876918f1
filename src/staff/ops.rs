//! Back-office use cases that run in store transactions: first-start bootstrap, tokens,
//! sessions, password changes, and the audit log.

use crate::domain::{now_ms, random_token};
use crate::store::{ReadTx, StoreError, WriteTx};

use super::model::{Account, ApiToken, AuditEntry, Scopes, Session};
use super::secrets;

/// Back-office sessions end after this long without a request…
pub const SESSION_IDLE_MS: u64 = 2 * 3_600_000;
/// …and after this long in any case.
pub const SESSION_MAX_MS: u64 = 12 * 3_600_000;
/// How stale a session's last-seen time may get before a request refreshes it.
pub const SESSION_TOUCH_MS: u64 = 5 * 60_000;

/// What a first start prints, once.
#[derive(Clone, Debug)]
pub struct FirstStart {
    pub username: String,
    pub password: String,
    pub token: String,
}

/// Creates the `admin` account (with a generated password that must be changed) and an admin
/// API token when the store has no accounts yet.
pub fn bootstrap(tx: &mut WriteTx<'_>) -> Result<Option<FirstStart>, StoreError> {
    if tx.has_accounts()? {
        return Ok(None);
    }
    let password = secrets::new_password();
    let account = Account {
        username: "admin".into(),
        scopes: Scopes::all(),
        password_hash: secrets::hash_password(&password),
        must_change_password: true,
        created_ms: now_ms(),
    };
    tx.put_account(&account)?;
    let token = create_token(tx, Scopes::all(), "first start", "system")?;
    record(
        tx,
        "system",
        "account.create",
        "account:admin",
        "",
        "{\"scopes\":\"admin\"}",
    )?;
    Ok(Some(FirstStart {
        username: account.username,
        password,
        token,
    }))
}

/// A new API token; returns the only copy of its secret.
pub fn create_token(tx: &mut WriteTx<'_>, scopes: Scopes, label: &str, actor: &str) -> Result<String, StoreError> {
    let (id, secret, shown) = secrets::new_token();
    tx.put_api_token(&ApiToken {
        id: id.clone(),
        secret_sha256: secrets::sha256(&secret),
        scopes,
        label: label.chars().take(100).collect(),
        created_ms: now_ms(),
        revoked: false,
    })?;
    record(
        tx,
        actor,
        "token.create",
        &format!("token:{id}"),
        "",
        &format!("{{\"scopes\":\"{scopes}\"}}"),
    )?;
    Ok(shown)
}

/// Revokes a token; `false` when there is no such token.
pub fn revoke_token(tx: &mut WriteTx<'_>, id: &str, actor: &str) -> Result<bool, StoreError> {
    let Some(mut token) = tx.api_token(id)? else {
        return Ok(false);
    };
    token.revoked = true;
    tx.put_api_token(&token)?;
    record(tx, actor, "token.revoke", &format!("token:{id}"), "", "")?;
    Ok(true)
}

/// The live token a bearer string names, if its secret matches.
pub fn token_for(read: &ReadTx, bearer: &str) -> Result<Option<ApiToken>, StoreError> {
    let Some((id, secret)) = secrets::parse_token(bearer.trim()) else {
        return Ok(None);
    };
    Ok(read
        .api_token(id)?
        .filter(|t| !t.revoked && secrets::same_secret(secret, &t.secret_sha256)))
}

/// Starts a session for a signed-in account; returns the cookie value.
pub fn start_session(tx: &mut WriteTx<'_>, username: &str) -> Result<String, StoreError> {
    let id = random_token(20);
    let now = now_ms();
    tx.put_session(
        &session_key(&id),
        &Session {
            username: username.to_owned(),
            csrf: random_token(20),
            created_ms: now,
            last_seen_ms: now,
        },
    )?;
    record(
        tx,
        &format!("admin:{username}"),
        "session.login",
        &format!("account:{username}"),
        "",
        "",
    )?;
    Ok(id)
}

pub fn end_session(tx: &mut WriteTx<'_>, cookie: &str) -> Result<(), StoreError> {
    tx.remove_session(&session_key(cookie))
}

/// The live session a cookie names, with its account.
pub fn session_for(read: &ReadTx, cookie: &str, now: u64) -> Result<Option<(Session, Account)>, StoreError> {
    let Some(session) = read.session(&session_key(cookie))? else {
        return Ok(None);
    };
    let fresh = now.saturating_sub(session.last_seen_ms) < SESSION_IDLE_MS
        && now.saturating_sub(session.created_ms) < SESSION_MAX_MS;
    if !fresh || read.is_account_disabled(&session.username)? {
        return Ok(None);
    }
    Ok(read.account(&session.username)?.map(|account| (session, account)))
}

/// Whether a session seen at `last_seen_ms` should have its time refreshed at `now`: a session
/// expires after `SESSION_IDLE_MS` without use, so use must be recorded, but once every few
/// minutes is enough (each refresh is a write).
pub fn session_needs_touch(session: &Session, now: u64) -> bool {
    now.saturating_sub(session.last_seen_ms) >= SESSION_TOUCH_MS
}

/// Records that the session `cookie` names was used at `now`.
pub fn touch_session(tx: &mut WriteTx<'_>, cookie: &str, now: u64) -> Result<(), StoreError> {
    let key = session_key(cookie);
    if let Some(mut session) = tx.session(&key)? {
        session.last_seen_ms = session.last_seen_ms.max(now);
        tx.put_session(&key, &session)?;
    }
    Ok(())
}

/// Sets a new password (already hashed off the writer thread) and ends the account's other
/// sessions: whoever else was signed in with the old password is signed out. `keep` is the
/// cookie of the session that made the change, if it was the account's own.
pub fn set_password(
    tx: &mut WriteTx<'_>,
    username: &str,
    hash: String,
    actor: &str,
    keep: Option<&str>,
) -> Result<bool, StoreError> {
    let Some(mut account) = tx.account(username)? else {
        return Ok(false);
    };
    account.password_hash = hash;
    account.must_change_password = false;
    tx.put_account(&account)?;
    let kept = keep.map(session_key);
    let ended = tx.remove_sessions_of(username, kept.as_deref())?;
    record(
        tx,
        actor,
        "account.password",
        &format!("account:{username}"),
        "",
        &format!("{{\"sessions_ended\":{ended}}}"),
    )?;
    Ok(true)
}

/// Appends one change to the audit log.
pub fn record(
    tx: &mut WriteTx<'_>,
    actor: &str,
    action: &str,
    subject: &str,
    before: &str,
    after: &str,
) -> Result<(), StoreError> {
    tx.audit(&AuditEntry {
        at_ms: now_ms(),
        actor: actor.to_owned(),
        action: action.to_owned(),
        subject: subject.to_owned(),
        before: before.to_owned(),
        after: after.to_owned(),
    })
}

fn session_key(cookie: &str) -> String {
    secrets::sha256(cookie).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    fn store_with_admin() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), &Default::default()).unwrap();
        store.write(bootstrap).unwrap();
        (dir, store)
    }

    #[test]
    fn a_session_ends_after_two_idle_hours_but_use_keeps_it_alive_up_to_twelve() {
        let (_dir, store) = store_with_admin();
        let cookie = store.write(|tx| start_session(tx, "admin")).unwrap();
        let started = store
            .read()
            .unwrap()
            .session(&session_key(&cookie))
            .unwrap()
            .unwrap()
            .created_ms;
        let alive = |at: u64| session_for(&store.read().unwrap(), &cookie, at).unwrap().is_some();
        assert!(alive(started + SESSION_IDLE_MS - 1));
        assert!(!alive(started + SESSION_IDLE_MS), "two idle hours end it");
        // Used every hour, it lasts until the twelve-hour cap.
        for hour in 1..12 {
            let at = started + hour * 3_600_000;
            assert!(alive(at), "hour {hour}");
            store.write(|tx| touch_session(tx, &cookie, at)).unwrap();
        }
        assert!(!alive(started + SESSION_MAX_MS), "twelve hours end it whatever the use");
    }

    #[test]
    fn a_used_session_is_refreshed_only_every_few_minutes() {
        let session = Session {
            username: "admin".into(),
            csrf: String::new(),
            created_ms: 0,
            last_seen_ms: 1_000,
        };
        assert!(!session_needs_touch(&session, 1_000 + SESSION_TOUCH_MS - 1));
        assert!(session_needs_touch(&session, 1_000 + SESSION_TOUCH_MS));
    }
}
