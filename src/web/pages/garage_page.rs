//! `/garage`: choose Year → Make → Model (→ Submodel, Engine) one step per page, no JavaScript
//! needed; the choice is kept in a cookie.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

use super::chrome;
use crate::search::{Level, VehicleFilter};
use crate::state::AppState;
use crate::web::views::layout::page;
use crate::web::{AppError, ErrorCode, PageError, blocking, garage};

#[derive(Deserialize, Default)]
pub struct Choice {
    year: Option<String>,
    make: Option<String>,
    model: Option<String>,
    submodel: Option<String>,
    engine: Option<String>,
    /// Where to go back to (a page of this shop), instead of the vehicle's parts.
    next: Option<String>,
}

fn filled(v: &Option<String>) -> Option<String> {
    v.as_ref().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    choice: web::Query<Choice>,
) -> Result<HttpResponse, PageError> {
    let visitor = crate::web::visitor::Visitor::of(&req);
    let current = visitor.vehicle.clone();
    let others = garage::others(&req);
    let choice = choice.into_inner();
    let shared = state.clone();
    let markup = blocking(move || {
        let year = filled(&choice.year).and_then(|y| y.parse::<u16>().ok());
        let (make, model) = (filled(&choice.make), filled(&choice.model));
        let values = |level| {
            shared
                .search
                .vehicle_values(level, year, make.as_deref(), model.as_deref(), None)
        };
        let step = match (year, &make, &model) {
            (None, _, _) => Step::Pick("year", "Year", values(Level::Year)),
            (Some(_), None, _) => Step::Pick("make", "Make", values(Level::Make)),
            (Some(_), Some(_), None) => Step::Pick("model", "Model", values(Level::Model)),
            (Some(_), Some(_), Some(_)) => Step::Finish(values(Level::Submodel), values(Level::Engine)),
        };
        let chrome = chrome(&shared, &shared.store.read()?, &visitor)?;
        Ok(page(
            &chrome,
            "My Garage",
            "Choose your vehicle",
            view(
                current.as_ref(),
                &others,
                year,
                make.as_deref(),
                model.as_deref(),
                &step,
            ),
        ))
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .content_type("text/html; charset=utf-8")
        .body(markup.into_string()))
}

enum Step {
    Pick(&'static str, &'static str, Vec<String>),
    Finish(Vec<String>, Vec<String>),
}

fn view(
    current: Option<&VehicleFilter>,
    others: &[VehicleFilter],
    year: Option<u16>,
    make: Option<&str>,
    model: Option<&str>,
    step: &Step,
) -> Markup {
    let chosen = [
        year.map(|y| y.to_string()),
        make.map(String::from),
        model.map(String::from),
    ];
    html! {
        section.garage {
            h1 { "My Garage" }
            @if let Some(v) = current {
                div.current-vehicle {
                    p { "Your vehicle: " strong { (garage::describe(v)) } }
                    form method="post" action="/garage/clear" { button.button.secondary type="submit" { "Remove it" } }
                }
            }
            @if !others.is_empty() {
                section.other-vehicles aria-labelledby="others-h" {
                    h2 #others-h { "Your other vehicles" }
                    ul {
                        @for (i, v) in others.iter().enumerate() {
                            li {
                                strong { (garage::describe(v)) } " "
                                form.inline-form method="post" action="/garage/switch" {
                                    input type="hidden" name="v" value=(i);
                                    button.button.secondary type="submit" { "Shop for this one" }
                                }
                                " "
                                form.inline-form method="post" action="/garage/forget" {
                                    input type="hidden" name="v" value=(i);
                                    button.button.secondary type="submit" { "Forget it" }
                                }
                            }
                        }
                    }
                }
            }
            p.muted { "Pick your vehicle step by step; we will show what fits it everywhere in the shop. A vehicle you had before stays in your garage, so you can switch back." }
            ol.steps {
                @for (label, value) in ["Year", "Make", "Model"].iter().zip(chosen.iter()) {
                    li { (label) ": " @if let Some(v) = value { strong { (v) } } @else { span.muted { "…" } } }
                }
            }
            @match step {
                Step::Pick(name, label, values) => {
                    @if values.is_empty() {
                        p { "No parts in the catalog fit a vehicle like that yet. " a href="/garage" { "Start again" } }
                    } @else {
                        form.garage-step method="get" action="/garage" {
                            @if let Some(y) = year { input type="hidden" name="year" value=(y); }
                            @if let Some(m) = make { input type="hidden" name="make" value=(m); }
                            label for="pick" { (label) }
                            select #pick name=(name) required {
                                @for v in values { option value=(v) { (v) } }
                            }
                            button.button type="submit" { "Next" }
                        }
                    }
                }
                Step::Finish(submodels, engines) => {
                    form.garage-step method="post" action="/garage" {
                        input type="hidden" name="year" value=[year];
                        input type="hidden" name="make" value=[make];
                        input type="hidden" name="model" value=[model];
                        @if !submodels.is_empty() {
                            label for="submodel" { "Submodel (optional)" }
                            select #submodel name="submodel" {
                                option value="" { "Any" }
                                @for v in submodels { option value=(v) { (v) } }
                            }
                        }
                        @if !engines.is_empty() {
                            label for="engine" { "Engine (optional)" }
                            select #engine name="engine" {
                                option value="" { "Any" }
                                @for v in engines { option value=(v) { (v) } }
                            }
                        }
                        button.button type="submit" { "Save my vehicle" }
                    }
                }
            }
            p { a href="/garage" { "Start over" } }
        }
    }
}

/// Saves the vehicle as the current one (the one it replaces joins the others) and shows the
/// parts that fit it.
pub async fn save(req: HttpRequest, form: web::Form<Choice>) -> Result<HttpResponse, PageError> {
    let year = filled(&form.year).and_then(|y| y.parse::<u16>().ok());
    let (Some(year), Some(make), Some(model)) = (year, filled(&form.make), filled(&form.model)) else {
        return Err(AppError::new(ErrorCode::BadRequest, "choose a year, make and model").into());
    };
    let vehicle = VehicleFilter {
        year,
        make,
        model,
        submodel: filled(&form.submodel),
        engine: filled(&form.engine),
    };
    // Only a path of this shop: never another site (an open redirect).
    let back = filled(&form.next).filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\'));
    let others = garage::others_after_choosing(garage::vehicle(&req), garage::others(&req), &vehicle);
    // The vehicle's own page, its parts by department; with a submodel or engine chosen, the
    // search that narrows to them.
    let landing = if vehicle.submodel.is_none() && vehicle.engine.is_none() {
        super::search::fits_path(&vehicle.year.to_string(), &vehicle.make, &vehicle.model)
    } else {
        garage::search_href(&vehicle)
    };
    Ok(HttpResponse::SeeOther()
        .cookie(garage::cookie(&vehicle))
        .cookie(garage::others_cookie(&others))
        .insert_header((header::LOCATION, back.unwrap_or(landing)))
        .finish())
}

/// Which of the other vehicles a form means (its place in the list).
#[derive(Deserialize)]
pub struct Pick {
    v: usize,
}

/// Makes one of the other vehicles the current one.
pub async fn switch(req: HttpRequest, form: web::Form<Pick>) -> Result<HttpResponse, PageError> {
    let others = garage::others(&req);
    let chosen = others
        .get(form.v)
        .cloned()
        .ok_or_else(|| AppError::new(ErrorCode::NotFound, "no such vehicle in your garage"))?;
    let rest = garage::others_after_choosing(garage::vehicle(&req), others, &chosen);
    Ok(HttpResponse::SeeOther()
        .cookie(garage::cookie(&chosen))
        .cookie(garage::others_cookie(&rest))
        .insert_header((header::LOCATION, garage::search_href(&chosen)))
        .finish())
}

/// Forgets one of the other vehicles.
pub async fn forget(req: HttpRequest, form: web::Form<Pick>) -> HttpResponse {
    let mut others = garage::others(&req);
    if form.v < others.len() {
        others.remove(form.v);
    }
    HttpResponse::SeeOther()
        .cookie(garage::others_cookie(&others))
        .insert_header((header::LOCATION, "/garage"))
        .finish()
}

pub async fn clear() -> HttpResponse {
    HttpResponse::SeeOther()
        .cookie(garage::removal())
        .insert_header((header::LOCATION, "/"))
        .finish()
}
