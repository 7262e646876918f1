//! Jobs, the mail log (the outbox without SMTP), webhook endpoints with their deliveries, and
//! supplier feeds with their last runs.

use super::*;
use crate::jobs::State;

#[derive(Deserialize)]
pub(super) struct JobsQuery {
    state: Option<String>,
}

pub(super) async fn jobs(
    who: SignedIn,
    state: web::Data<AppState>,
    q: web::Query<JobsQuery>,
) -> Result<HttpResponse, PageError> {
    who.may::<crate::staff::Admin>()?;
    let wanted = q.state.as_deref().and_then(State::parse);
    let items = crate::web::api::outside::list_jobs(&state, wanted, 300).await?;
    let body = html! {
        h1 { "Jobs" }
        p.muted { "Mail, webhook deliveries and events waiting to fan out. A failed job is retried with a growing wait; after its last try it is kept as dead until you retry or discard it." }
        nav.inline-form aria-label="Job states" {
            a href="/admin/jobs" { "All" }
            @for s in State::ALL { " · " a href={ "/admin/jobs?state=" (s.name()) } { (s.name()) } }
        }
        @if items.is_empty() {
            p { "No jobs" @if let Some(s) = wanted { " " (s.name()) } "." }
        } @else {
            table.order-lines {
                thead { tr { th { "#" } th { "State" } th { "What" } th { "Tries" } th { "Next try" } th { "Last error" } th {} } }
                tbody {
                    @for job in &items {
                        @let id = job["id"].as_u64().unwrap_or_default();
                        tr {
                            td { (id) }
                            td { (job["state"].as_str().unwrap_or_default()) }
                            td { (job["description"].as_str().unwrap_or_default()) }
                            td { (job["attempts"]) }
                            td.small { (job["next_try"].as_str().unwrap_or("—")) }
                            td.small { (job["last_error"].as_str().unwrap_or("")) }
                            td {
                                form method="post" action={ "/admin/jobs/" (id) "/retry" } .inline-form {
                                    input type="hidden" name="csrf" value=(who.session.csrf);
                                    button.button.secondary type="submit" { "Retry now" }
                                }
                                form method="post" action={ "/admin/jobs/" (id) "/discard" } .inline-form {
                                    input type="hidden" name="csrf" value=(who.session.csrf);
                                    button.button.secondary type="submit" { "Discard" }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page("Jobs", Some(&who), body))
}

#[derive(Deserialize)]
pub(super) struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub(super) async fn job_action(
    who: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<(u64, String)>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PageError> {
    who.check_csrf(&form.csrf)?;
    let admin = who.may::<crate::staff::Admin>()?;
    let (id, action) = path.into_inner();
    let retry = action == "retry";
    state
        .writer
        .run(move |tx| {
            if retry {
                merchant::retry_job(tx, &admin, id)
            } else {
                merchant::discard_job(tx, &admin, id)
            }
        })
        .await
        .map_err(AppError::from)?;
    Ok(see_other("/admin/jobs"))
}

pub(super) async fn mails(who: SignedIn, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    who.may::<crate::staff::Admin>()?;
    let store = state.store.clone();
    let mails = blocking(move || Ok(store.read()?.mails(0, 200)?)).await?;
    let smtp = state.config.mail.smtp_url.is_some();
    let body = html! {
        h1 { @if smtp { "Mail sent" } @else { "Outbox" } }
        @if smtp {
            p.muted { "Mail handed to the SMTP server, newest first." }
        } @else {
            p.notice { "No SMTP server is set ([mail] smtp_url), so mail stays here in the outbox and nothing leaves the store. Set smtp_url to send it (see the README)." }
        }
        table.order-lines {
            thead { tr { th { "When" } th { "To" } th { "Subject" } th { "Kind" } } }
            tbody {
                @for m in &mails {
                    tr {
                        td.small { (format_utc(m.at_ms)) }
                        td { (m.to) }
                        td { a href={ "/admin/mail/" (m.id) } { (m.subject) } }
                        td.small { (m.kind) }
                    }
                }
            }
        }
    };
    Ok(page(if smtp { "Mail sent" } else { "Outbox" }, Some(&who), body))
}

pub(super) async fn mail(
    who: SignedIn,
    state: web::Data<AppState>,
    id: web::Path<u64>,
) -> Result<HttpResponse, PageError> {
    who.may::<crate::staff::Admin>()?;
    let (store, id) = (state.store.clone(), id.into_inner());
    let mail = blocking(move || Ok(store.read()?.mail(id)?))
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound, "no such mail (old mail is dropped after 10,000)"))?;
    let body = html! {
        p { a href="/admin/mail" { "← All mail" } }
        h1 { (mail.subject) }
        p.muted { "To " (mail.to) " · " (format_utc(mail.at_ms)) " · " code { (mail.message_id) } }
        h2 { "Text" }
        pre.mail-text { (mail.text) }
        h2 { "HTML" }
        iframe sandbox="" title="The HTML part" style="width: 100%; height: 30rem; border: 1px solid #ccc" srcdoc=(mail.html) {}
    };
    Ok(page(&mail.subject, Some(&who), body))
}

pub(super) async fn webhooks(who: SignedIn, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    who.may::<crate::staff::Admin>()?;
    let store = state.store.clone();
    let (stored, deliveries, runs) = blocking(move || {
        let read = store.read()?;
        Ok((read.endpoints()?, read.deliveries(100)?, read.feed_runs()?))
    })
    .await?;
    let notifier = &state.notifier;
    let body = html! {
        h1 { "Webhooks and supplier feeds" }
        h2 { "Webhook endpoints" }
        p.muted { "Each event is POSTed as JSON, signed in Storefront-Signature (t=UNIX,v1=HMAC-SHA256 of \"t.body\" with the endpoint's secret), at least once and in order per order or product, retried for three days." }
        table.order-lines {
            thead { tr { th { "URL" } th { "Events" } th { "From" } th { "State" } th {} } }
            tbody {
                @for e in notifier.config_endpoints().iter().chain(&stored) {
                    tr {
                        td { (e.url) }
                        td.small { @if e.events.is_empty() { "every event" } @else { (e.events.join(", ")) } }
                        td { @if e.id.starts_with("config:") { "config file" } @else { "back office / API" } }
                        td { @if notifier.breaker_open(&e.id) { strong { "paused: failing" } } @else { "ok" } }
                        td {
                            @if !e.id.starts_with("config:") {
                                form method="post" action="/admin/webhooks/delete" .inline-form {
                                    input type="hidden" name="csrf" value=(who.session.csrf);
                                    input type="hidden" name="id" value=(e.id);
                                    button.button.secondary type="submit" { "Delete" }
                                }
                            }
                        }
                    }
                }
            }
        }
        form method="post" action="/admin/webhooks" .stack {
            input type="hidden" name="csrf" value=(who.session.csrf);
            label for="url" { "URL" }
            input #url name="url" type="url" required placeholder="https://erp.example.com/hooks/storefront";
            label for="secret" { "Secret (16 characters or more)" }
            input #secret name="secret" required minlength="16";
            fieldset {
                legend { "Events (none ticked: every event)" }
                @for kind in crate::jobs::EventKind::ALL {
                    label { input type="checkbox" name="events" value=(kind.name()); " " (kind.name()) } " "
                }
            }
            button.button type="submit" { "Add endpoint" }
        }
        h2 { "Recent deliveries" }
        table.order-lines {
            thead { tr { th { "When" } th { "Event" } th { "Subject" } th { "To" } th { "Try" } th { "Answer" } th { "ms" } } }
            tbody {
                @for d in &deliveries {
                    tr {
                        td.small { (format_utc(d.at_ms)) }
                        td { (d.event_type) br; small { (d.event_id) } }
                        td { (d.subject) }
                        td.small { (d.url) }
                        td { (d.attempt) }
                        td { @if d.ok { "✓ " } @else { "✗ " } (d.status.map(|s| s.to_string()).unwrap_or_default()) " " small { (d.error.as_deref().unwrap_or("")) } }
                        td { (d.millis) }
                    }
                }
            }
        }
        h2 { "Supplier feeds" }
        @if state.config.supplier_feeds.is_empty() {
            p.muted { "No feeds. Add [[supplier_feeds]] to the config: a name, a secret for pushes to /api/v1/supplier/{name}/stock, and/or a url to pull every few minutes." }
        }
        table.order-lines {
            thead { tr { th { "Feed" } th { "Push" } th { "Pull" } th { "Last run" } th { "Applied" } th { "Unchanged" } th { "Unknown SKUs" } th { "Bad lines" } } }
            tbody {
                @for f in &state.config.supplier_feeds {
                    @let run = runs.iter().find(|(n, _)| *n == f.name).map(|(_, r)| r);
                    tr {
                        td { (f.name) }
                        td { @if f.secret.is_some() { "yes" } @else { "no" } }
                        td.small { (f.url.as_deref().map(crate::mail::redact).unwrap_or_default()) @if f.url.is_some() { " every " (f.every.as_secs() / 60) " min" } }
                        @match run {
                            Some(r) => {
                                td.small { (format_utc(r.at_ms)) " (" (r.source) ")" @if let Some(e) = &r.error { br; strong { (e) } } }
                                td { (r.applied) } td { (r.unchanged) }
                                td { (r.unknown_count) @if !r.unknown.is_empty() { br; small { (r.unknown.join(", ")) } } }
                                td { (r.bad_count) @if !r.bad_lines.is_empty() { br; small { (r.bad_lines.join("; ")) } } }
                            }
                            None => { td colspan="5" { "not run yet" } }
                        }
                    }
                }
            }
        }
    };
    Ok(page("Webhooks and feeds", Some(&who), body))
}

pub(super) async fn add_webhook(
    who: SignedIn,
    state: web::Data<AppState>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    who.check_csrf(&field("csrf"))?;
    let admin = who.may::<crate::staff::Admin>()?;
    let (url, secret) = (field("url").trim().to_owned(), field("secret"));
    let events: Vec<String> = form
        .iter()
        .filter(|(k, _)| k == "events")
        .map(|(_, v)| v.clone())
        .collect();
    crate::webhooks::check_endpoint(&url, &secret, &events).map_err(|e| AppError::new(ErrorCode::InvalidInput, e))?;
    state
        .writer
        .run(move |tx| merchant::add_webhook(tx, &admin, &url, &secret, events))
        .await
        .map_err(AppError::from)?;
    Ok(see_other("/admin/webhooks"))
}

#[derive(Deserialize)]
pub(super) struct DeleteForm {
    #[serde(default)]
    csrf: String,
    id: String,
}

pub(super) async fn delete_webhook(
    who: SignedIn,
    state: web::Data<AppState>,
    form: web::Form<DeleteForm>,
) -> Result<HttpResponse, PageError> {
    who.check_csrf(&form.csrf)?;
    let admin = who.may::<crate::staff::Admin>()?;
    let id = form.id.clone();
    state
        .writer
        .run(move |tx| merchant::remove_webhook(tx, &admin, &id))
        .await
        .map_err(AppError::from)?;
    Ok(see_other("/admin/webhooks"))
}
