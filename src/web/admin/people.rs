//! API tokens, staff accounts and the audit log.

use super::*;
use crate::store::Refusals;

#[derive(Deserialize)]
pub(super) struct AuditQuery {
    subject: Option<String>,
}

pub(super) async fn audit(
    who: SignedIn,
    state: web::Data<AppState>,
    q: web::Query<AuditQuery>,
) -> Result<HttpResponse, PageError> {
    who.may::<crate::staff::Admin>()?;
    let subject = q.subject.clone().filter(|s| !s.trim().is_empty());
    let store = state.store.clone();
    let wanted = subject.clone();
    let entries = blocking(move || Ok(store.read()?.audit_log(wanted.as_deref(), 200)?)).await?;
    let body = html! {
        h1 { "Audit log" }
        form method="get" action="/admin/audit" .inline-form {
            label for="subject" { "Subject" }
            input #subject name="subject" placeholder="product:BRK-1 or order:K7MX-3Q9D" value=(subject.unwrap_or_default());
            button.button.secondary type="submit" { "Filter" }
        }
        table.order-lines {
            thead { tr { th { "When" } th { "Who" } th { "What" } th { "Subject" } th { "Before" } th { "After" } } }
            tbody {
                @for e in &entries {
                    tr {
                        td { (format_utc(e.at_ms)) } td { (e.actor) } td { (e.action) }
                        td { a href={ "/admin/audit?subject=" (e.subject) } { (e.subject) } }
                        td.small { code { (e.before) } } td.small { code { (e.after) } }
                    }
                }
            }
        }
    };
    Ok(page("Audit log", Some(&who), body))
}

pub(super) async fn tokens(who: SignedIn, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    tokens_page(&who, &state, None).await
}

pub(super) async fn tokens_page(
    who: &SignedIn,
    state: &AppState,
    created: Option<String>,
) -> Result<HttpResponse, PageError> {
    who.may::<crate::staff::Admin>()?;
    let store = state.store.clone();
    let list = blocking(move || Ok(store.read()?.api_tokens()?)).await?;
    let body = html! {
        h1 { "API tokens" }
        @if let Some(token) = &created {
            div.notice.ok role="status" {
                p { "Your new token. It is shown only now; copy it into the program that will use it:" }
                p { code.token { (token) } }
            }
        }
        form method="post" action="/admin/tokens" .transition-form {
            input type="hidden" name="csrf" value=(who.session.csrf);
            fieldset {
                legend { "New token" }
                @for scope in crate::staff::ScopeName::ALL {
                    label.choice { input type="checkbox" name="scope" value=(scope.as_str()); span { (scope.as_str()) } }
                }
                div.field { label for="label" { "What it is for" } input #label name="label" maxlength="100"; }
                button.button type="submit" { "Create token" }
            }
        }
        table.order-lines {
            thead { tr { th { "Id" } th { "Scopes" } th { "For" } th { "Created" } th { "" } } }
            tbody {
                @for t in &list {
                    tr {
                        td { code { (t.id) } } td { (t.scopes) } td { (t.label) } td { (format_utc(t.created_ms)) }
                        td {
                            @if t.revoked { span.muted { "revoked" } } @else {
                                form method="post" action="/admin/tokens/revoke" {
                                    input type="hidden" name="csrf" value=(who.session.csrf);
                                    input type="hidden" name="id" value=(t.id);
                                    button.link-button type="submit" { "Revoke" }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page("API tokens", Some(who), body))
}

pub(super) async fn create_token(
    who: SignedIn,
    state: web::Data<AppState>,
    body: String,
) -> Result<HttpResponse, PageError> {
    let form = RepeatedForm::parse(&body)?;
    who.check_csrf(&form.field("csrf"))?;
    let admin = who.may::<crate::staff::Admin>()?;
    let scopes = form.scopes()?;
    let label = form.field("label").chars().take(100).collect::<String>();
    let token = state
        .writer
        .run(move |tx| merchant::create_token(tx, &admin, scopes, &label))
        .await
        .map_err(AppError::from)?;
    tokens_page(&who, &state, Some(token)).await
}

#[derive(Deserialize)]
pub(super) struct RevokeForm {
    #[serde(default)]
    csrf: String,
    id: String,
}

pub(super) async fn revoke_token(
    who: SignedIn,
    state: web::Data<AppState>,
    form: web::Form<RevokeForm>,
) -> Result<HttpResponse, PageError> {
    who.check_csrf(&form.csrf)?;
    let admin = who.may::<crate::staff::Admin>()?;
    let id = form.id.clone();
    state
        .writer
        .run(move |tx| merchant::revoke_token(tx, &admin, &id))
        .await
        .map_err(AppError::from)?;
    Ok(see_other("/admin/tokens"))
}

pub(super) async fn staff_list(who: SignedIn, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    staff_page(&who, &state, None).await
}

pub(super) async fn staff_page(
    who: &SignedIn,
    state: &AppState,
    notice: Option<Markup>,
) -> Result<HttpResponse, PageError> {
    who.may::<crate::staff::Admin>()?;
    let store = state.store.clone();
    let (accounts, disabled) = blocking(move || {
        let read = store.read()?;
        Ok((read.accounts()?, read.disabled_accounts()?))
    })
    .await?;
    let body = html! {
        h1 { "Staff" }
        @if let Some(n) = notice { (n) }
        table.order-lines {
            thead { tr { th { "Username" } th { "Scopes" } th { "Since" } th { "State" } } }
            tbody { @for a in &accounts { tr {
                td { (a.username) } td { (a.scopes) } td { (format_day(a.created_ms)) }
                td {
                    @if disabled.contains(&a.username) { span.status { "disabled" } }
                    @else if a.must_change_password { span.muted { "first password not yet changed" } }
                    @else { "active" }
                }
            } } }
        }
        @for a in accounts.iter().filter(|a| a.username != who.account.username) {
            (account_form(who, a, disabled.contains(&a.username)))
        }
        form method="post" action="/admin/staff" .transition-form {
            input type="hidden" name="csrf" value=(who.session.csrf);
            fieldset {
                legend { "New account" }
                div.field { label for="username" { "Username" } input #username name="username" required pattern="[a-z0-9._-]{3,40}"; }
                p.small { "Scopes: catalog (products, import), stock, orders, admin (everything, including staff and tokens)." }
                @for scope in crate::staff::ScopeName::ALL {
                    label.choice { input type="checkbox" name="scope" value=(scope.as_str()); span { (scope.as_str()) } }
                }
                button.button type="submit" { "Create account" }
            }
        }
    };
    Ok(page("Staff", Some(who), body))
}

/// The changes an admin can make to another account, each its own button; the ones that cannot
/// be undone ask for a tick first.
fn account_form(who: &SignedIn, account: &crate::staff::Account, disabled: bool) -> Markup {
    let name = &account.username;
    html! {
        details.account-actions {
            summary { "Manage " (name) }
            form method="post" action={ "/admin/staff/" (super::encode_path(name)) } .transition-form {
                input type="hidden" name="csrf" value=(who.session.csrf);
                fieldset {
                    legend { "Scopes" }
                    @for scope in crate::staff::ScopeName::ALL {
                        label.choice { input type="checkbox" name="scope" value=(scope.as_str()) checked[account.scopes.contains(scope)]; span { (scope.as_str()) } }
                    }
                    button.button.secondary type="submit" name="action" value="scopes" { "Save scopes" }
                }
                fieldset {
                    legend { "Access" }
                    button.button.secondary type="submit" name="action" value="sessions" { "Sign out everywhere" }
                    " "
                    button.button.secondary type="submit" name="action" value="reset" { "Reset password" }
                    " "
                    @if disabled {
                        button.button.secondary type="submit" name="action" value="enable" { "Enable" }
                    } @else {
                        button.button.secondary type="submit" name="action" value="disable" { "Disable" }
                    }
                }
                fieldset {
                    legend { "Delete" }
                    label.choice { input type="checkbox" name="confirm" value="yes"; span { "Yes, delete " (name) " for good (the audit log keeps its history)" } }
                    button.button.danger type="submit" name="action" value="delete" { "Delete account" }
                }
            }
        }
    }
}

/// One change to another staff account, from its form on the staff page.
pub(super) async fn change_account(
    who: SignedIn,
    state: web::Data<AppState>,
    username: web::Path<String>,
    body: String,
) -> Result<HttpResponse, PageError> {
    let form = RepeatedForm::parse(&body)?;
    who.check_csrf(&form.field("csrf"))?;
    let admin = who.may::<crate::staff::Admin>()?;
    let username = username.into_inner();
    let mut password = None;
    let change = match form.field("action").as_str() {
        "disable" => merchant::AccountChange::Disable,
        "enable" => merchant::AccountChange::Enable,
        "sessions" => merchant::AccountChange::EndSessions,
        "scopes" => merchant::AccountChange::Rescope(form.scopes()?),
        "delete" if form.field("confirm") == "yes" => merchant::AccountChange::Delete,
        "delete" => {
            let notice = html! { p.notice.error role="alert" { "Tick the box to confirm deleting " (username) "." } };
            return staff_page(&who, &state, Some(notice)).await;
        }
        "reset" => {
            let fresh = secrets::new_password();
            let secret = fresh.clone();
            password = Some(fresh);
            merchant::AccountChange::ResetPassword(blocking(move || Ok(secrets::hash_password(&secret))).await?)
        }
        other => {
            return Err(PageError(AppError::new(
                ErrorCode::BadRequest,
                format!("unknown action {other:?}"),
            )));
        }
    };
    let name = username.clone();
    let outcome = state
        .writer
        .run_use_case(move |tx| merchant::change_account(tx, &admin, &name, change))
        .await
        .refusals()
        .map_err(AppError::from)?;
    let notice = match (outcome, password) {
        (Ok(()), Some(password)) => html! {
            div.notice.ok role="status" {
                p { "The password of " strong { (username) } " was reset and its sessions ended. Its new first password, shown only now:" }
                p { code.token { (password) } }
            }
        },
        (Ok(()), None) => html! { p.notice.ok role="status" { "Saved: " (username) "." } },
        (Err(e), _) => html! { p.notice.error role="alert" { (e) } },
    };
    staff_page(&who, &state, Some(notice)).await
}

pub(super) async fn create_account(
    who: SignedIn,
    state: web::Data<AppState>,
    body: String,
) -> Result<HttpResponse, PageError> {
    let form = RepeatedForm::parse(&body)?;
    who.check_csrf(&form.field("csrf"))?;
    let admin = who.may::<crate::staff::Admin>()?;
    let scopes = form.scopes()?;
    let username = form.field("username").trim().to_ascii_lowercase();
    let password = secrets::new_password();
    let secret = password.clone();
    let hash = blocking(move || Ok(secrets::hash_password(&secret))).await?;
    let name = username.clone();
    let outcome = state
        .writer
        .run_use_case(move |tx| merchant::create_account(tx, &admin, &name, scopes, hash))
        .await
        .refusals()
        .map_err(AppError::from)?;
    let notice = match outcome {
        Ok(()) => html! {
            div.notice.ok role="status" {
                p { "Account " strong { (username) } " created. Its first password, shown only now (it must be changed at first sign-in):" }
                p { code.token { (password) } }
            }
        },
        Err(e) => html! { p.notice.error role="alert" { (e) } },
    };
    staff_page(&who, &state, Some(notice)).await
}
