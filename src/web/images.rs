//! Product photos: uploaded in the back office, stored in the data dir under a name derived from
//! their content, and served with a year-long immutable cache (a new photo is a new name).

use std::path::{Path, PathBuf};

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use super::{AppError, ErrorCode, PageError};
use crate::state::AppState;

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

/// Writes `bytes` for `sku` (synced, then renamed into place) and returns its URL and whether
/// the file is new (the same photo uploaded again is already there). Nothing is left behind on
/// failure, not even the `.partial` file.
pub fn store(data_dir: &Path, sku: &str, bytes: &[u8]) -> Result<(String, bool), AppError> {
    let (ext, _) = sniff(bytes).ok_or_else(|| {
        AppError::new(
            ErrorCode::InvalidInput,
            "the photo must be a PNG, JPEG, WebP or GIF image",
        )
    })?;
    let dir = format!("{:016x}", xxhash_rust::xxh3::xxh3_64(sku.as_bytes()));
    let file = format!("{:016x}.{ext}", xxhash_rust::xxh3::xxh3_64(bytes));
    let folder = data_dir.join(IMAGE_DIR).join(&dir);
    let url = format!("/images/{dir}/{file}");
    if folder.join(&file).exists() {
        return Ok((url, false));
    }
    let io = |e: std::io::Error| AppError::new(ErrorCode::StorageUnavailable, format!("cannot store the photo: {e}"));
    std::fs::create_dir_all(&folder).map_err(io)?;
    let partial = folder.join(format!("{file}.partial"));
    let written = std::fs::write(&partial, bytes)
        .and_then(|()| std::fs::File::open(&partial)?.sync_all())
        .and_then(|()| std::fs::rename(&partial, folder.join(&file)));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&partial);
        return Err(io(e));
    }
    Ok((url, true))
}

/// Removes a stored photo by its URL (one this module made); a name it did not make is left.
pub fn remove(data_dir: &Path, url: &str) {
    let Some((dir, file)) = url.strip_prefix("/images/").and_then(|rest| rest.split_once('/')) else {
        return;
    };
    if let Some((path, _)) = path_of(data_dir, dir, file) {
        let _ = std::fs::remove_file(path);
    }
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
