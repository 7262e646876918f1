//! The only place that knows the byte format of stored values.
//!
//! Every value starts with a format byte so a later format (bincode is unmaintained, see
//! RUSTSEC-2025-0141) can be read side by side with this one and migrated in `schema`.

use super::StoreError;

const V1: u8 = 1;
/// bincode, then LZ4 (size-prefixed): for values large enough that writing fewer bytes and pages
/// beats the compression time (products with many fitments).
const V1_LZ4: u8 = 2;
const COMPRESS_ABOVE: usize = 2048;

fn config() -> bincode::config::Configuration {
    bincode::config::standard()
}

pub(crate) fn encode<T: bincode::Encode>(value: &T) -> Result<Vec<u8>, StoreError> {
    let mut out = Vec::with_capacity(256);
    out.push(V1);
    bincode::encode_into_std_write(value, &mut out, config()).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    if out.len() > COMPRESS_ABOVE {
        let mut packed = Vec::with_capacity(out.len() / 2);
        packed.push(V1_LZ4);
        packed.extend(lz4_flex::compress_prepend_size(&out[1..]));
        return Ok(packed);
    }
    Ok(out)
}

pub(crate) fn decode<T: bincode::Decode<()>>(bytes: &[u8]) -> Result<T, StoreError> {
    match bytes.split_first() {
        Some((&V1, rest)) => bincode::decode_from_slice(rest, config())
            .map(|(value, _)| value)
            .map_err(|e| StoreError::Corrupt(format!("undecodable value: {e}"))),
        Some((&V1_LZ4, rest)) => {
            let plain = lz4_flex::decompress_size_prepended(rest)
                .map_err(|e| StoreError::Corrupt(format!("undecompressable value: {e}")))?;
            bincode::decode_from_slice(&plain, config())
                .map(|(value, _)| value)
                .map_err(|e| StoreError::Corrupt(format!("undecodable value: {e}")))
        }
        Some((&other, _)) => Err(StoreError::Corrupt(format!("unknown value format {other}"))),
        None => Err(StoreError::Corrupt("empty value".into())),
    }
}
