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

thread_local! {
    /// Values are encoded here first, so a product of a few kilobytes costs one allocation of
    /// its final size rather than a series of doublings and an extra copy to compress.
    static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The scratch buffer is given back after a value larger than this, so one huge product does not
/// pin its size in every thread for good.
const KEEP_SCRATCH: usize = 1 << 20;

pub(crate) fn encode<T: bincode::Encode>(value: &T) -> Result<Vec<u8>, StoreError> {
    SCRATCH.with_borrow_mut(|plain| {
        if plain.capacity() > KEEP_SCRATCH {
            *plain = Vec::new();
        }
        plain.clear();
        bincode::encode_into_std_write(value, plain, config()).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        if plain.len() <= COMPRESS_ABOVE {
            let mut out = Vec::with_capacity(1 + plain.len());
            out.push(V1);
            out.extend_from_slice(plain);
            return Ok(out);
        }
        // The layout of `lz4_flex::compress_prepend_size`: the plain length (u32 LE), the block.
        let header = 1 + 4;
        let mut out = vec![0; header + lz4_flex::block::get_maximum_output_size(plain.len())];
        out[0] = V1_LZ4;
        let length = u32::try_from(plain.len()).map_err(|_| StoreError::Corrupt("value over 4 GB".into()))?;
        out[1..header].copy_from_slice(&length.to_le_bytes());
        let packed = lz4_flex::block::compress_into(plain, &mut out[header..])
            .map_err(|e| StoreError::Corrupt(format!("uncompressable value: {e}")))?;
        out.truncate(header + packed);
        Ok(out)
    })
}

/// A value encoded ahead of its write transaction, on whichever thread has time, so the writer
/// (the one thread that can write) only copies bytes.
pub struct Encoded<T> {
    bytes: Vec<u8>,
    of: std::marker::PhantomData<fn(&T)>,
}

impl<T: bincode::Encode> Encoded<T> {
    pub fn new(value: &T) -> Result<Encoded<T>, StoreError> {
        Ok(Encoded {
            bytes: encode(value)?,
            of: std::marker::PhantomData,
        })
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        &self.bytes
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_values_are_compressed_in_the_layout_earlier_builds_wrote() {
        let big: Vec<String> = (0..400).map(|i| format!("fitment name {}", i % 37)).collect();
        let bytes = encode(&big).unwrap();
        assert_eq!(bytes[0], V1_LZ4);
        let plain = bincode::encode_to_vec(&big, config()).unwrap();
        assert_eq!(bytes[1..], lz4_flex::compress_prepend_size(&plain)[..]);
        assert_eq!(decode::<Vec<String>>(&bytes).unwrap(), big);
        let small = vec!["one".to_owned()];
        let bytes = encode(&small).unwrap();
        assert_eq!(bytes[0], V1);
        assert_eq!(decode::<Vec<String>>(&bytes).unwrap(), small);
    }
}
