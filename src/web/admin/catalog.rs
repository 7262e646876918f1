//! Catalog import (file or paste) and the streamed export.

use super::*;

pub(super) async fn import_form(who: SignedIn) -> Result<HttpResponse, PageError> {
    who.may::<crate::staff::Catalog>()?;
    Ok(import_page(&who, None))
}

pub(super) fn import_page(who: &SignedIn, report: Option<&crate::catalog::ops::ImportReport>) -> HttpResponse {
    let body = html! {
        h1 { "Import and export" }
        p { a.button.secondary href="/admin/export" download="catalog.jsonl" { "Download the catalog (JSON Lines)" } }
        @if let Some(r) = report {
            div.notice.ok[r.rejected.is_empty()].error[!r.rejected.is_empty()] role="status" {
                p { (r.created) " created, " (r.updated) " updated, " (r.unchanged) " unchanged, " (r.rejected.len()) " rejected." }
                @if !r.rejected.is_empty() {
                    table.order-lines {
                        thead { tr { th { "Line" } th { "Problem" } } }
                        tbody { @for x in r.rejected.iter().take(500) { tr { td { (x.line) } td { (x.message) } } } }
                    }
                }
            }
        }
        form method="post" action="/admin/import/file" enctype="multipart/form-data" .transition-form {
            input type="hidden" name="csrf" value=(who.session.csrf);
            fieldset {
                legend { "Upload a catalog file" }
                div.field {
                    label for="file" { "JSON Lines (.jsonl) or CSV (.csv), up to 64 MB" }
                    input #file type="file" name="catalog" accept=".jsonl,.json,.csv,.txt" required;
                }
                button.button type="submit" { "Import file" }
            }
        }
        form method="post" action="/admin/import" .transition-form {
            input type="hidden" name="csrf" value=(who.session.csrf);
            fieldset {
                legend { "Or paste a catalog" }
                label.choice { input type="radio" name="format" value="jsonl" checked; span { "JSON Lines" } }
                label.choice { input type="radio" name="format" value="csv"; span { "CSV" } }
                div.field { label for="catalog" { "Catalog (up to 8 MB here; larger files: the API or storefront import)" } textarea #catalog name="catalog" rows="12" required {} }
                button.button type="submit" { "Import" }
            }
        }
    };
    page("Import and export", Some(who), body)
}

#[derive(Deserialize)]
pub(super) struct ImportForm {
    #[serde(default)]
    csrf: String,
    format: String,
    catalog: String,
}

pub(super) async fn import(
    who: SignedIn,
    state: web::Data<AppState>,
    form: web::Form<ImportForm>,
) -> Result<HttpResponse, PageError> {
    who.check_csrf(&form.csrf)?;
    let catalog_scope = who.may::<crate::staff::Catalog>()?;
    let form = form.into_inner();
    let report = run_import(&state, &catalog_scope, form.catalog.into_bytes(), form.format == "csv").await?;
    Ok(import_page(&who, Some(&report)))
}

/// Streams the export as it is written, so a large catalog never sits in memory whole.
/// The largest catalog file the upload form takes (the same as the API).
pub(super) const IMPORT_FILE_LIMIT: usize = 64 << 20;

/// `multipart/form-data` with `csrf` and a `catalog` file; CSV when the file name ends in `.csv`.
pub(super) async fn import_file(
    who: SignedIn,
    state: web::Data<AppState>,
    form: actix_multipart::Multipart,
) -> Result<HttpResponse, PageError> {
    let limits = [("catalog", IMPORT_FILE_LIMIT, "the file may be at most 64 MB")];
    let mut parts = crate::web::multipart::read(form, &limits).await?;
    who.check_csrf(&crate::web::multipart::text(&parts, "csrf"))?;
    let catalog_scope = who.may::<crate::staff::Catalog>()?;
    let file = parts.remove("catalog").unwrap_or_default();
    let csv = file.filename.is_some_and(|f| f.to_ascii_lowercase().ends_with(".csv"));
    let report = run_import(&state, &catalog_scope, file.bytes, csv).await?;
    Ok(import_page(&who, Some(&report)))
}

/// Imports a catalog beside checkouts (in the importer's own batches) and records it in the
/// audit log.
pub(super) async fn run_import(
    state: &AppState,
    who: &crate::staff::Staff<crate::staff::Catalog>,
    bytes: Vec<u8>,
    csv: bool,
) -> Result<crate::catalog::ops::ImportReport, PageError> {
    let format = if csv {
        crate::catalog::import::Format::Csv
    } else {
        crate::catalog::import::Format::JsonLines
    };
    let store = state.store.clone();
    let actor = who.actor().to_owned();
    let report = blocking(move || {
        crate::catalog::ops::import(&store, &bytes[..], format, &actor, &mut |_| {})
            .map_err(|e| AppError::new(ErrorCode::InvalidInput, e.to_string()))
    })
    .await?;
    let summary =
        serde_json::json!({"created": report.created, "updated": report.updated, "rejected": report.rejected.len()})
            .to_string();
    let actor = who.actor().to_owned();
    state
        .writer
        .run(move |tx| ops::record(tx, &actor, "catalog.import", "catalog", "", &summary))
        .await
        .map_err(AppError::from)?;
    Ok(report)
}

pub(super) async fn export(who: SignedIn, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    who.may::<crate::staff::Catalog>()?;
    Ok(catalog_download(state.store.clone()))
}

/// The whole catalog as a JSON Lines download, streamed from one snapshot as it is written, so
/// a large catalog never sits in memory. Shared by the back office and the merchant API.
pub(crate) fn catalog_download(store: crate::store::Store) -> HttpResponse {
    let (send, receive) = tokio::sync::mpsc::channel::<Result<web::Bytes, std::io::Error>>(8);
    tokio::task::spawn_blocking(move || {
        let mut out = std::io::BufWriter::with_capacity(64 << 10, ChunkSender(send.clone()));
        if let Err(e) = crate::catalog::export::export(&store, &mut out) {
            let _ = send.blocking_send(Err(std::io::Error::other(e.to_string())));
        }
        let _ = std::io::Write::flush(&mut out);
    });
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::CONTENT_DISPOSITION, "attachment; filename=\"catalog.jsonl\""))
        .content_type("application/x-ndjson; charset=utf-8")
        .streaming(ChunkStream(receive))
}

/// The writing end of a streamed body: each write becomes one chunk.
pub(super) struct ChunkSender(tokio::sync::mpsc::Sender<Result<web::Bytes, std::io::Error>>);

impl std::io::Write for ChunkSender {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .blocking_send(Ok(web::Bytes::copy_from_slice(buf)))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the download was cancelled"))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub(super) struct ChunkStream(tokio::sync::mpsc::Receiver<Result<web::Bytes, std::io::Error>>);

impl futures_core::Stream for ChunkStream {
    type Item = Result<web::Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Option<Self::Item>> {
        self.0.poll_recv(cx)
    }
}
