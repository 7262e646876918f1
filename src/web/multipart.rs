//! Reading `multipart/form-data` uploads (photos, catalog files) with a size limit per field.

use std::collections::HashMap;

use actix_multipart::Multipart;

use super::{AppError, ErrorCode};

/// One field of an upload.
#[derive(Debug, Default)]
pub struct Part {
    pub filename: Option<String>,
    pub bytes: Vec<u8>,
}

/// Reads every field; `limits` names the fields that may be large, others get 1 KiB.
pub async fn read(mut form: Multipart, limits: &[(&str, usize, &str)]) -> Result<HashMap<String, Part>, AppError> {
    let bad = |e: String| AppError::new(ErrorCode::BadRequest, format!("the upload could not be read: {e}"));
    let mut parts = HashMap::new();
    while let Some(field) = next(&mut form).await {
        let mut field = field.map_err(|e| bad(e.to_string()))?;
        let name = field.name().unwrap_or_default().to_owned();
        let (limit, too_big) = limits
            .iter()
            .find(|(n, _, _)| *n == name)
            .map_or((1024, "a form field may be at most 1 KiB"), |(_, l, m)| (*l, *m));
        let mut part = Part {
            filename: field
                .content_disposition()
                .and_then(|d| d.get_filename())
                .map(String::from),
            bytes: Vec::new(),
        };
        while let Some(chunk) = next(&mut field).await {
            let chunk = chunk.map_err(|e| bad(e.to_string()))?;
            if part.bytes.len() + chunk.len() > limit {
                return Err(AppError::new(ErrorCode::PayloadTooLarge, too_big));
            }
            part.bytes.extend_from_slice(&chunk);
        }
        parts.insert(name, part);
    }
    Ok(parts)
}

/// The text of a small field such as `csrf`, or empty.
pub fn text(parts: &HashMap<String, Part>, name: &str) -> String {
    parts
        .get(name)
        .map(|p| String::from_utf8_lossy(&p.bytes).into_owned())
        .unwrap_or_default()
}

/// The next item of a stream (multipart fields and their chunks).
async fn next<S: futures_core::Stream + Unpin>(stream: &mut S) -> Option<S::Item> {
    std::future::poll_fn(|cx| std::pin::Pin::new(&mut *stream).poll_next(cx)).await
}
