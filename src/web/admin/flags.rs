//! The back office's feature flags: each flag's state, a form to change it (or add one), and how
//! visitors on each side of a partial rollout converted.

use actix_web::{HttpResponse, web};
use maud::html;
use serde::Deserialize;

use super::{SignedIn, page, see_other};
use crate::domain::format_utc;
use crate::flags::FlagChange;
use crate::flags::model::Variant;
use crate::staff::Admin;
use crate::state::AppState;
use crate::web::{AppError, ErrorCode, PageError, blocking};

pub(super) async fn flags(who: SignedIn, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    who.may::<Admin>()?;
    state.flush_views().await;
    let store = state.store.clone();
    let stats = blocking(move || Ok(store.read()?.flag_stats()?)).await?;
    let figures = |name: &str, variant: Variant| {
        let (views, orders) = stats
            .iter()
            .filter(|s| s.0 == name && s.1 == variant.code())
            .fold((0u64, 0u64), |(v, o), s| (v + s.2, o + s.3));
        let rate = if views > 0 {
            format!("{:.2} %", orders as f64 * 100.0 / views as f64)
        } else {
            "–".to_owned()
        };
        format!("{views} views, {orders} orders ({rate})")
    };
    let body = html! {
        h1 { "Feature flags" }
        p.muted { "A change is in force at once, for every visitor. A rollout to a share of visitors keeps each visitor on the same side; the figures compare the two sides while a rollout runs." }
        table.order-lines {
            thead { tr { th { "Flag" } th { "State" } th { "Visitors with it on" } th { "With it off" } th { "Change" } } }
            tbody {
                @for flag in state.flags.all() {
                    tr {
                        td { strong { (flag.name) } br; small.muted { (flag.description) } }
                        td {
                            @if !flag.enabled { "off" } @else if flag.percent >= 100 { "on" } @else { "on for " (flag.percent) " %" }
                            @if flag.updated_ms > 0 { br; small.muted { (format_utc(flag.updated_ms)) " by " (flag.updated_by) } }
                        }
                        td.small { (figures(&flag.name, Variant::On)) }
                        td.small { (figures(&flag.name, Variant::Off)) }
                        td {
                            form.inline-form method="post" action={ "/admin/flags/" (flag.name) } {
                                input type="hidden" name="csrf" value=(who.session.csrf);
                                label.choice { input type="checkbox" name="enabled" value="on" checked[flag.enabled]; span { "on" } }
                                " for "
                                input type="number" name="percent" min="0" max="100" value=(flag.percent) style="width:5em" aria-label={ "percent of visitors for " (flag.name) };
                                " % "
                                button.button.secondary type="submit" { "Save" }
                            }
                        }
                    }
                }
            }
        }
        h2 { "Add a flag" }
        p.muted { "For your own templates and integrations: ask for it with the API or the flags your theme reads." }
        form.stack method="post" action="/admin/flags" {
            input type="hidden" name="csrf" value=(who.session.csrf);
            label for="name" { "Name (a-z, 0-9, _ and -)" }
            input #name name="name" required maxlength="40" pattern="[a-z0-9_-]+";
            label for="description" { "What it does" }
            input #description name="description" maxlength="200";
            label.choice { input type="checkbox" name="enabled" value="on"; span { "On" } }
            label for="percent" { "For this share of visitors (%)" }
            input #percent name="percent" type="number" min="0" max="100" value="100";
            button.button type="submit" { "Add" }
        }
    };
    Ok(page("Feature flags", Some(&who), body))
}

#[derive(Deserialize)]
pub(super) struct FlagForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    enabled: Option<String>,
    #[serde(default)]
    percent: String,
    #[serde(default)]
    description: Option<String>,
}

pub(super) async fn add(
    who: SignedIn,
    state: web::Data<AppState>,
    form: web::Form<FlagForm>,
) -> Result<HttpResponse, PageError> {
    let name = form.name.trim().to_owned();
    save(who, state, name, form.into_inner()).await
}

pub(super) async fn change(
    who: SignedIn,
    state: web::Data<AppState>,
    name: web::Path<String>,
    form: web::Form<FlagForm>,
) -> Result<HttpResponse, PageError> {
    save(who, state, name.into_inner(), form.into_inner()).await
}

async fn save(
    who: SignedIn,
    state: web::Data<AppState>,
    name: String,
    form: FlagForm,
) -> Result<HttpResponse, PageError> {
    who.check_csrf(&form.csrf)?;
    let admin = who.may::<Admin>()?;
    let invalid = |m: String| PageError(AppError::new(ErrorCode::InvalidInput, m));
    let percent = match form.percent.trim() {
        "" => 100,
        p => p
            .parse()
            .map_err(|_| invalid("the share is a whole number from 0 to 100".into()))?,
    };
    let change = FlagChange {
        enabled: form.enabled.is_some(),
        percent,
        description: form.description.filter(|d| !d.trim().is_empty()),
    };
    crate::web::api::flags::change_flag(&state, admin, name, change)
        .await?
        .map_err(invalid)?;
    Ok(see_other("/admin/flags"))
}
