//! Catalog import (file or paste) and the streamed export.

use super::*;

/// The optional fields of an import line, as the import page lists them (docs/import-format.md
/// has the full reference).
const IMPORT_FIELDS: [(&str, &str); 16] = [
    ("currency", "ISO code, default USD"),
    (
        "stock",
        "units on hand, 0 to 1,000,000,000 (absent: unchanged, or 0 for a new item)",
    ),
    ("description", "plain text"),
    ("brand", "a search facet"),
    ("category", "a path such as Brakes/Brake Pads"),
    ("part_numbers", "its own number first, then interchange and OEM numbers"),
    (
        "attributes",
        "name and value pairs, each a facet (CSV: attr.NAME columns)",
    ),
    (
        "fitments",
        "vehicles it fits: years, make, model, optional submodel and engine",
    ),
    ("universal", "true for a part that fits every vehicle"),
    ("group", "a handle joining variants on one product page"),
    (
        "options",
        "what tells variants apart, such as size (CSV: option.NAME columns)",
    ),
    ("featured", "true shows it on the home page"),
    ("popularity", "orders best sellers before there are sales"),
    ("image", "an https:// URL, or the /images/… path an upload made"),
    (
        "sale_price_cents",
        "a scheduled price below price_cents, from sale_starts to sale_ends (RFC 3339, either optional)",
    ),
    (
        "bundle",
        "sells it as a set of other SKUs (CSV: HS-1;HS-2*2); its stock is what they allow",
    ),
];

/// A CSV with every column and three rows: a part with fitments, a sauce with a variant and a
/// scheduled price, and a gift set sold as a bundle of two sauces.
const SAMPLE_CSV: &str = "sku,title,price_cents,currency,stock,description,brand,category,part_numbers,fitments,universal,group,option.size,attr.position,attr.scoville,featured,popularity,image,sale_price_cents,sale_starts,sale_ends,bundle\r\n\
BRK-1042,Ceramic Front Brake Pads,4999,USD,25,Low-dust ceramic pads.,StopTech,Brakes/Brake Pads,BP-1042-A;45022-SDA-A01,2003-2007|Honda|Accord|EX|2.4L,false,,,Front,,false,10,,,,,\r\n\
HS-REAPER-5OZ,Reaper Hot Sauce 5 oz,1299,USD,40,Carolina Reaper and roasted garlic.,Redline,Hot Sauce,,,,reaper-sauce,5 oz,,1500000,true,50,https://example.com/reaper.jpg,999,2026-12-05T09:00:00Z,2026-12-07T09:00:00Z,\r\n\
GIFT-DUO,Hot Sauce Gift Duo,2199,USD,,Two bottles of Reaper in a gift box.,Redline,Gift Sets,,,,,,,,false,,,,,,HS-REAPER-5OZ*2\r\n";

pub(super) async fn sample_csv(who: SignedIn) -> Result<HttpResponse, PageError> {
    who.may::<crate::staff::Catalog>()?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", "attachment; filename=\"sample.csv\""))
        .body(SAMPLE_CSV))
}

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
        details.import-columns {
            summary { "Columns and fields" }
            p { "Required: " code { "sku" } ", " code { "title" } ", " code { "price_cents" } " (minor units: 1299 is $12.99). "
                "Optional: " @for (i, (name, _)) in IMPORT_FIELDS.iter().enumerate() { @if i > 0 { ", " } code { (name) } } ". "
                "CSV: lists are " code { ";" } "-separated, a fitment is " code { "2003-2007|Honda|Accord|EX|2.4L" } ", attributes and options are "
                code { "attr.NAME" } " and " code { "option.NAME" } " columns. Other fields are kept and exported back." }
            dl { @for (name, meaning) in IMPORT_FIELDS { dt { code { (name) } } dd { (meaning) } } }
            p { a href="/admin/import/sample.csv" download="sample.csv" { "Download a sample CSV" } " with every column." }
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
    let (writer, who) = (state.writer.clone(), who.clone());
    let report = blocking(move || Ok(crate::merchant::import_catalog(&writer, &who, &bytes, format)?)).await?;
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
