//! The merchant API for what talks to the outside world: jobs, the mail log, webhook endpoints
//! and their deliveries, supplier feeds; and the suppliers' signed stock push.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::domain::{format_utc, now_ms};
use crate::feeds::FeedRun;
use crate::jobs::{Job, State};
use crate::merchant;
use crate::staff::{Admin, Staff};
use crate::state::AppState;
use crate::web::error::ErrorBody;
use crate::web::{ApiError, AppError, ErrorCode, blocking};

use super::admin::ok;

/// The largest stock push taken in one request.
const PUSH_LIMIT: usize = 16 << 20;

pub fn configure(cfg: &mut web::ServiceConfig) {
    use super::admin::staff_resource as resource;
    cfg.service(resource("/admin/jobs").route(crate::web::read().to(jobs)))
        .service(resource("/admin/jobs/{id}").route(web::delete().to(discard_job)))
        .service(resource("/admin/jobs/{id}/retry").route(web::post().to(retry_job)))
        .service(resource("/admin/mail").route(crate::web::read().to(mails)))
        .service(
            resource("/admin/webhooks")
                .route(crate::web::read().to(webhooks))
                .route(web::post().to(add_webhook)),
        )
        .service(resource("/admin/webhooks/deliveries").route(crate::web::read().to(deliveries)))
        .service(resource("/admin/webhooks/{id}").route(web::delete().to(remove_webhook)))
        .service(resource("/admin/feeds").route(crate::web::read().to(feeds)))
        .service(super::resource("/supplier/{name}/stock").route(web::post().to(push_stock)));
}

fn not_found(what: impl Into<String>) -> ApiError {
    AppError::new(ErrorCode::NotFound, what).into()
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct JobsQuery {
    /// queued, running, failed or dead; all when absent or empty.
    #[param(pattern = "^(queued|running|failed|dead)?$")]
    state: Option<String>,
    /// At most this many (1 to 500, default 100).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u64>,
}

pub(crate) fn job_json(job: &Job, state: State) -> Value {
    json!({
        "id": job.id,
        "kind": job.task.kind(),
        "state": state.name(),
        "subject": job.task.subject(),
        "description": job.task.describe(),
        "attempts": job.attempts,
        "created": format_utc(job.created_ms),
        "next_try": (state != State::Dead).then(|| format_utc(job.run_at_ms)),
        "last_error": job.last_error,
        "dead_since": job.dead_ms.map(format_utc),
    })
}

/// Jobs by state: mail, webhook deliveries and events waiting to fan out.
#[utoipa::path(get, path = "/api/v1/admin/jobs", tag = "merchant", security(("token" = ["admin"])),
    params(JobsQuery),
    responses((status = 200, description = "{items: [{id, kind, state, subject, description, attempts, created, next_try, last_error, dead_since}]}", body = Object),
        (status = 400, description = "An unknown state or a bad limit", body = ErrorBody),
        (status = 401, description = "No valid credential", body = ErrorBody),
        (status = 403, description = "The credential lacks the scope", body = ErrorBody),
        (status = 503, description = "Storage unavailable; retry", body = ErrorBody)))]
pub(crate) async fn jobs(
    _who: Staff<Admin>,
    state: web::Data<AppState>,
    q: web::Query<JobsQuery>,
) -> Result<HttpResponse, ApiError> {
    let wanted = match q.state.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(
            State::parse(s)
                .ok_or_else(|| AppError::new(ErrorCode::BadRequest, "state is queued, running, failed or dead"))?,
        ),
    };
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(AppError::new(ErrorCode::BadRequest, "limit is 1 to 500").into());
    }
    let items = list_jobs(&state, wanted, limit as usize).await?;
    Ok(ok(json!({ "items": items })))
}

/// The jobs in `wanted` state (every state if `None`), oldest first, with their state.
pub(crate) async fn list_jobs(state: &AppState, wanted: Option<State>, limit: usize) -> Result<Vec<Value>, AppError> {
    let store = state.store.clone();
    let (want_live, want_dead) = (wanted != Some(State::Dead), wanted.is_none_or(|w| w == State::Dead));
    let (live, dead) = blocking(move || {
        let read = store.read()?;
        let live = if want_live {
            read.jobs(false, 0, 5_000)?
        } else {
            Vec::new()
        };
        let dead = if want_dead {
            read.jobs(true, 0, limit)?
        } else {
            Vec::new()
        };
        Ok((live, dead))
    })
    .await?;
    let runner = &state.jobs;
    Ok(live
        .iter()
        .chain(&dead)
        .map(|job| (job, runner.state_of(job)))
        .filter(|(_, s)| wanted.is_none_or(|w| w == *s))
        .take(limit)
        .map(|(job, s)| job_json(job, s))
        .collect())
}

fn job_id(raw: &str) -> Result<u64, ApiError> {
    raw.parse()
        .map_err(|_| AppError::new(ErrorCode::NotFound, format!("no job {raw:?}")).into())
}

/// Run a waiting or dead job again now, with a fresh count of tries.
#[utoipa::path(post, path = "/api/v1/admin/jobs/{id}/retry", tag = "merchant", security(("token" = ["admin"])),
    params(("id" = String, Path)),
    responses((status = 200, description = "{retried: id}", body = Object),
        (status = 404, description = "No such job", body = ErrorBody),
        (status = 401, description = "No valid credential", body = ErrorBody),
        (status = 403, description = "The credential lacks the scope", body = ErrorBody),
        (status = 503, description = "Busy or storage unavailable; retry", body = ErrorBody)))]
pub(crate) async fn retry_job(
    who: Staff<Admin>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = job_id(&id)?;
    if !state.writer.run(move |tx| merchant::retry_job(tx, &who, id)).await? {
        return Err(not_found(format!("no job {id}")));
    }
    Ok(ok(json!({ "retried": id })))
}

/// Delete a job, waiting or dead: it will not run.
#[utoipa::path(delete, path = "/api/v1/admin/jobs/{id}", tag = "merchant", security(("token" = ["admin"])),
    params(("id" = String, Path)),
    responses((status = 200, description = "{discarded: id}", body = Object),
        (status = 404, description = "No such job", body = ErrorBody),
        (status = 401, description = "No valid credential", body = ErrorBody),
        (status = 403, description = "The credential lacks the scope", body = ErrorBody),
        (status = 503, description = "Busy or storage unavailable; retry", body = ErrorBody)))]
pub(crate) async fn discard_job(
    who: Staff<Admin>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = job_id(&id)?;
    if !state.writer.run(move |tx| merchant::discard_job(tx, &who, id)).await? {
        return Err(not_found(format!("no job {id}")));
    }
    Ok(ok(json!({ "discarded": id })))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct MailQuery {
    /// Mails older than this id (paging back); the newest when absent.
    #[param(minimum = 0, maximum = 1_000_000_000_000_000_u64)]
    before: Option<u64>,
    /// At most this many (1 to 200, default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u64>,
}

/// Mail sent, newest first; without `smtp_url` this is the outbox (nothing left the store).
#[utoipa::path(get, path = "/api/v1/admin/mail", tag = "merchant", security(("token" = ["admin"])),
    params(MailQuery),
    responses((status = 200, description = "{smtp, items: [{id, at, kind, to, subject, message_id, sent, text, html}]}", body = Object),
        (status = 400, description = "A bad limit", body = ErrorBody),
        (status = 401, description = "No valid credential", body = ErrorBody),
        (status = 403, description = "The credential lacks the scope", body = ErrorBody),
        (status = 503, description = "Storage unavailable; retry", body = ErrorBody)))]
pub(crate) async fn mails(
    _who: Staff<Admin>,
    state: web::Data<AppState>,
    q: web::Query<MailQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(AppError::new(ErrorCode::BadRequest, "limit is 1 to 200").into());
    }
    let before = q.before.unwrap_or(0);
    if before > 1_000_000_000_000_000 {
        return Err(AppError::new(ErrorCode::BadRequest, "before is a mail id").into());
    }
    let store = state.store.clone();
    let mails = blocking(move || Ok(store.read()?.mails(before, limit as usize)?)).await?;
    let items: Vec<Value> = mails
        .iter()
        .map(|m| {
            json!({"id": m.id, "at": format_utc(m.at_ms), "kind": m.kind, "to": m.to, "subject": m.subject,
                "message_id": m.message_id, "sent": m.sent, "text": m.text, "html": m.html})
        })
        .collect();
    Ok(ok(
        json!({ "smtp": state.config.mail.smtp_url.is_some(), "items": items }),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewWebhook {
    /// http:// or https://
    url: String,
    /// At least 16 characters; signs every delivery.
    secret: String,
    /// Event names; every event when empty.
    #[serde(default)]
    events: Vec<String>,
}

fn endpoint_json(e: &crate::webhooks::Endpoint, source: &str, breaker_open: bool) -> Value {
    json!({"id": e.id, "url": e.url, "events": e.events, "source": source, "breaker_open": breaker_open,
        "created": (e.created_ms > 0).then(|| format_utc(e.created_ms))})
}

/// Webhook endpoints: those of the config and those added here.
#[utoipa::path(get, path = "/api/v1/admin/webhooks", tag = "merchant", security(("token" = ["admin"])),
    responses((status = 200, description = "{events, items: [{id, url, events, source, breaker_open, created}]}", body = Object),
        (status = 401, description = "No valid credential", body = ErrorBody),
        (status = 403, description = "The credential lacks the scope", body = ErrorBody),
        (status = 503, description = "Storage unavailable; retry", body = ErrorBody)))]
pub(crate) async fn webhooks(_who: Staff<Admin>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let store = state.store.clone();
    let stored = blocking(move || Ok(store.read()?.endpoints()?)).await?;
    let notifier = &state.notifier;
    let items: Vec<Value> = notifier
        .config_endpoints()
        .iter()
        .map(|e| endpoint_json(e, "config", notifier.breaker_open(&e.id)))
        .chain(
            stored
                .iter()
                .map(|e| endpoint_json(e, "api", notifier.breaker_open(&e.id))),
        )
        .collect();
    let events: Vec<&str> = crate::jobs::EventKind::ALL.iter().map(|k| k.name()).collect();
    Ok(ok(json!({ "events": events, "items": items })))
}

/// Add a webhook endpoint.
#[utoipa::path(post, path = "/api/v1/admin/webhooks", tag = "merchant", security(("token" = ["admin"])),
    request_body = NewWebhook,
    responses((status = 201, description = "{id, url, events, source, breaker_open, created}", body = Object),
        (status = 400, description = "A malformed body", body = ErrorBody),
        (status = 422, description = "A bad URL, a short secret or an unknown event", body = ErrorBody),
        (status = 401, description = "No valid credential", body = ErrorBody),
        (status = 403, description = "The credential lacks the scope", body = ErrorBody),
        (status = 503, description = "Busy or storage unavailable; retry", body = ErrorBody)))]
pub(crate) async fn add_webhook(
    who: Staff<Admin>,
    state: web::Data<AppState>,
    body: web::Json<NewWebhook>,
) -> Result<HttpResponse, ApiError> {
    let NewWebhook { url, secret, events } = body.into_inner();
    crate::webhooks::check_endpoint(&url, &secret, &events).map_err(|e| AppError::new(ErrorCode::InvalidInput, e))?;
    let endpoint = state
        .writer
        .run(move |tx| merchant::add_webhook(tx, &who, &url, &secret, events))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Cache-Control", "no-store"))
        .json(endpoint_json(&endpoint, "api", false)))
}

/// Remove a webhook endpoint added through the API (those of the config stay).
#[utoipa::path(delete, path = "/api/v1/admin/webhooks/{id}", tag = "merchant", security(("token" = ["admin"])),
    params(("id" = String, Path)),
    responses((status = 200, description = "{removed: id}", body = Object),
        (status = 404, description = "No such endpoint (or one from the config file)", body = ErrorBody),
        (status = 401, description = "No valid credential", body = ErrorBody),
        (status = 403, description = "The credential lacks the scope", body = ErrorBody),
        (status = 503, description = "Busy or storage unavailable; retry", body = ErrorBody)))]
pub(crate) async fn remove_webhook(
    who: Staff<Admin>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let key = id.into_inner();
    let target = key.clone();
    if !state
        .writer
        .run(move |tx| merchant::remove_webhook(tx, &who, &target))
        .await?
    {
        return Err(not_found(format!(
            "no webhook endpoint {key:?} (those of the config file are changed there)"
        )));
    }
    Ok(ok(json!({ "removed": key })))
}

pub(crate) fn delivery_json(d: &crate::webhooks::DeliveryRecord) -> Value {
    json!({"at": format_utc(d.at_ms), "endpoint": d.endpoint, "url": d.url, "event_id": d.event_id,
        "type": d.event_type, "subject": d.subject, "attempt": d.attempt, "status": d.status,
        "error": d.error, "ok": d.ok, "ms": d.millis})
}

/// Every try of every delivery, newest first.
#[utoipa::path(get, path = "/api/v1/admin/webhooks/deliveries", tag = "merchant", security(("token" = ["admin"])),
    responses((status = 200, description = "{items: [{at, endpoint, url, event_id, type, subject, attempt, status, error, ok, ms}]}", body = Object),
        (status = 401, description = "No valid credential", body = ErrorBody),
        (status = 403, description = "The credential lacks the scope", body = ErrorBody),
        (status = 503, description = "Storage unavailable; retry", body = ErrorBody)))]
pub(crate) async fn deliveries(_who: Staff<Admin>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let store = state.store.clone();
    let list = blocking(move || Ok(store.read()?.deliveries(500)?)).await?;
    Ok(ok(
        json!({ "items": list.iter().map(delivery_json).collect::<Vec<_>>() }),
    ))
}

/// Supplier feeds and each one's last run.
#[utoipa::path(get, path = "/api/v1/admin/feeds", tag = "merchant", security(("token" = ["admin"])),
    responses((status = 200, description = "{items: [{name, push, pull, every_minutes, last_run}]}", body = Object),
        (status = 401, description = "No valid credential", body = ErrorBody),
        (status = 403, description = "The credential lacks the scope", body = ErrorBody),
        (status = 503, description = "Storage unavailable; retry", body = ErrorBody)))]
pub(crate) async fn feeds(_who: Staff<Admin>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let store = state.store.clone();
    let runs = blocking(move || Ok(store.read()?.feed_runs()?)).await?;
    let items: Vec<Value> = state
        .config
        .supplier_feeds
        .iter()
        .map(|f| {
            let last = runs
                .iter()
                .find(|(name, _)| *name == f.name)
                .map(|(_, run)| run_json(run));
            json!({"name": f.name, "push": f.secret.is_some(), "pull": f.url.as_deref().map(crate::mail::redact),
                "every_minutes": f.every.as_secs() / 60, "last_run": last})
        })
        .collect();
    Ok(ok(json!({ "items": items })))
}

fn run_json(run: &FeedRun) -> Value {
    let mut value = serde_json::to_value(run).unwrap_or(Value::Null);
    if let Some(map) = value.as_object_mut() {
        map.remove("at_ms");
        map.insert("at".into(), json!(format_utc(run.at_ms)));
    }
    value
}

/// A supplier's stock levels, signed with the feed's secret like outgoing webhooks.
#[utoipa::path(post, path = "/api/v1/supplier/{name}/stock", tag = "supplier",
    params(("name" = String, Path), ("Storefront-Signature" = String, Header, description = "t=UNIX,v1=HEX(HMAC-SHA256(secret, \"t.body\"))"),
        ("Idempotency-Key" = Option<String>, Header, description = "A repeated key applies once")),
    request_body(description = "{\"items\":[{\"sku\",\"quantity\"}]} or CSV sku,quantity", content((Object = "application/json"), (String = "text/csv"))),
    responses((status = 200, description = "The run: {applied, unchanged, unknown_count, unknown, bad_count, bad_lines, replayed, at}", body = Object),
        (status = 401, description = "Missing, stale or wrong signature", body = ErrorBody),
        (status = 404, description = "No feed of that name takes pushes", body = ErrorBody),
        (status = 413, description = "Over 16 MiB", body = ErrorBody),
        (status = 400, description = "The body cannot be read", body = ErrorBody),
        (status = 503, description = "Busy or storage unavailable; retry", body = ErrorBody)))]
pub(crate) async fn push_stock(
    req: HttpRequest,
    state: web::Data<AppState>,
    name: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let feed = state
        .config
        .supplier_feeds
        .iter()
        .find(|f| f.name == *name && f.secret.is_some())
        .cloned()
        .ok_or_else(|| not_found(format!("no supplier feed {:?} takes pushes", name.as_str())))?;
    let body = crate::web::guard::read_body(payload, PUSH_LIMIT).await?;
    let header = req.headers().get("Storefront-Signature").and_then(|v| v.to_str().ok());
    let secret = feed.secret.as_deref().unwrap_or_default();
    crate::webhooks::verify(secret, header, &body, now_ms() / 1000)
        .map_err(|e| AppError::new(ErrorCode::Unauthorized, e.to_string()))?;
    let key = req
        .headers()
        .get("Idempotency-Key")
        .and_then(|v| v.to_str().ok())
        .map(|k| k.chars().take(200).collect::<String>());
    let mut run = FeedRun {
        source: "push".into(),
        ..FeedRun::default()
    };
    let items = crate::feeds::parse(&body, &mut run);
    let done = state
        .writer
        .run(move |tx| crate::feeds::apply(tx, &feed.name, &items, run, key.as_deref()))
        .await?;
    Ok(ok(run_json(&done)))
}
