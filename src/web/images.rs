//! Product photos: uploaded in the back office, stored in the data dir under a name derived from
//! their content, and served with a year-long immutable cache (a new photo is a new name).

use std::path::{Path, PathBuf};

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use super::{AppError, ErrorCode, PageError};
use crate::app::AppState;

/// The photo directory inside the data dir.
pub const IMAGE_DIR: &str = "images";
/// The largest photo accepted.
pub const MAX_IMAGE_BYTES: usize = 5 << 20;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/images/{dir}/{file}").route(crate::web::read().to(serve)));
}

/// The image format from its first bytes (never from a name or a header a client chose).
pub fn sniff(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    match bytes {
        [0x89, b'P', b'N', b'G', ..] => Some(("png", "image/png")),
        [0xFF, 0xD8, 0xFF, ..] => Some(("jpg", "image/jpeg")),
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Some(("webp", "image/webp")),
        [b'G', b'I', b'F', b'8', ..] => Some(("gif", "image/gif")),
        _ => None,
    }
}

/// Writes `bytes` for `sku` (synced, then renamed into place) and returns its URL.
pub fn store(data_dir: &Path, sku: &str, bytes: &[u8]) -> Result<String, AppError> {
    let (ext, _) = sniff(bytes).ok_or_else(|| {
        AppError::new(
            ErrorCode::InvalidInput,
            "the photo must be a PNG, JPEG, WebP or GIF image",
        )
    })?;
    let dir = format!("{:016x}", xxhash_rust::xxh3::xxh3_64(sku.as_bytes()));
    let file = format!("{:016x}.{ext}", xxhash_rust::xxh3::xxh3_64(bytes));
    let folder = data_dir.join(IMAGE_DIR).join(&dir);
    let io = |e: std::io::Error| AppError::new(ErrorCode::StorageUnavailable, format!("cannot store the photo: {e}"));
    std::fs::create_dir_all(&folder).map_err(io)?;
    let partial = folder.join(format!("{file}.partial"));
    std::fs::write(&partial, bytes).map_err(io)?;
    std::fs::File::open(&partial).and_then(|f| f.sync_all()).map_err(io)?;
    std::fs::rename(&partial, folder.join(&file)).map_err(io)?;
    Ok(format!("/images/{dir}/{file}"))
}

/// Only names this module makes: 16 hex digits, a dot, a known extension.
fn path_of(data_dir: &Path, dir: &str, file: &str) -> Option<(PathBuf, &'static str)> {
    let hex16 = |s: &str| s.len() == 16 && s.bytes().all(|b| b.is_ascii_hexdigit());
    let (stem, ext) = file.split_once('.')?;
    let mime = match ext {
        "png" => "image/png",
        "jpg" => "image/jpeg",
        "webp" => "image/webp",
        "gif" => "image/gif",
        _ => return None,
    };
    (hex16(dir) && hex16(stem)).then(|| (data_dir.join(IMAGE_DIR).join(dir).join(file), mime))
}

async fn serve(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let (dir, file) = path.into_inner();
    let not_found = || PageError(AppError::new(ErrorCode::NotFound, "no such image"));
    let (path, mime) = path_of(&state.config.data_dir, &dir, &file).ok_or_else(not_found)?;
    if req.headers().contains_key(header::IF_NONE_MATCH) {
        // The name is the content's hash: whatever the client has is current.
        return Ok(HttpResponse::NotModified().finish());
    }
    let bytes = super::blocking(move || Ok(std::fs::read(&path).ok()))
        .await?
        .ok_or_else(not_found)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .insert_header((header::ETAG, format!("\"{file}\"")))
        .content_type(mime)
        .body(bytes))
}
