//! The only place that knows the byte format of stored values.
//!
//! Every value starts with a format byte so a later format (bincode is unmaintained, see
//! RUSTSEC-2025-0141) can be read side by side with this one and migrated in `schema`.
//!
//! Every stored type is a [`Record`] with a layout version. Version 1 is written as it always
//! was (format byte 1 or 2, then bincode); a later version carries its number after the format
//! byte (format 3 or 4), and reading a row of an older version goes through the type's
//! `read_older`, which decodes the frozen old layout (kept in `store::records`) and converts it.
//! So a field can be added to a stored type without making a single existing row unreadable.

use super::StoreError;

/// bincode, layout version 1 (no version byte: every row written before versions existed).
const V1: u8 = 1;
/// bincode, then LZ4 (size-prefixed): for values large enough that writing fewer bytes and pages
/// beats the compression time (products with many fitments).
const V1_LZ4: u8 = 2;
/// A layout version byte, then bincode.
const VERSIONED: u8 = 3;
/// A layout version byte, then LZ4-compressed bincode.
const VERSIONED_LZ4: u8 = 4;

/// A type the store keeps. Its layout is bincode's, field by field in order, so any change to
/// the type (or to a type inside it) changes the layout: bump `VERSION`, keep the previous layout
/// as a frozen type in `store::records`, and read it in `read_older`. The golden test over the
/// round-1 fixture store (`store::records`) fails when a layout changes without that.
pub trait Record: bincode::Encode + bincode::Decode<()> + Sized {
    /// The layout written now.
    const VERSION: u8;
    /// Reads a row written with an older layout `version` (its bincode bytes, decompressed).
    fn read_older(version: u8, bincode: &[u8]) -> Result<Self, StoreError> {
        let _ = bincode;
        Err(StoreError::Corrupt(format!(
            "a {} row of layout version {version}, which this build cannot read (it writes {})",
            std::any::type_name::<Self>(),
            Self::VERSION
        )))
    }
}

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

pub(crate) fn encode<T: Record>(value: &T) -> Result<Vec<u8>, StoreError> {
    // Version 1 keeps the bytes every earlier build wrote (no version byte).
    let (plain_format, packed_format, version) = if T::VERSION == 1 {
        (V1, V1_LZ4, None)
    } else {
        (VERSIONED, VERSIONED_LZ4, Some(T::VERSION))
    };
    SCRATCH.with_borrow_mut(|plain| {
        if plain.capacity() > KEEP_SCRATCH {
            *plain = Vec::new();
        }
        plain.clear();
        bincode::encode_into_std_write(value, plain, config()).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let head = 1 + usize::from(version.is_some());
        if plain.len() <= COMPRESS_ABOVE {
            let mut out = Vec::with_capacity(head + plain.len());
            out.push(plain_format);
            out.extend(version);
            out.extend_from_slice(plain);
            return Ok(out);
        }
        // The layout of `lz4_flex::compress_prepend_size`: the plain length (u32 LE), the block.
        let header = head + 4;
        let mut out = vec![0; header + lz4_flex::block::get_maximum_output_size(plain.len())];
        out[0] = packed_format;
        if let Some(v) = version {
            out[1] = v;
        }
        let length = u32::try_from(plain.len()).map_err(|_| StoreError::Corrupt("value over 4 GB".into()))?;
        out[head..header].copy_from_slice(&length.to_le_bytes());
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

impl<T: Record> Encoded<T> {
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

pub(crate) fn decode<T: Record>(bytes: &[u8]) -> Result<T, StoreError> {
    let unpack = |rest: &[u8]| {
        lz4_flex::decompress_size_prepended(rest)
            .map_err(|e| StoreError::Corrupt(format!("undecompressable value: {e}")))
    };
    match bytes.split_first() {
        Some((&V1, rest)) => read_layout(1, rest),
        Some((&V1_LZ4, rest)) => read_layout(1, &unpack(rest)?),
        Some((&VERSIONED, [version, rest @ ..])) => read_layout(*version, rest),
        Some((&VERSIONED_LZ4, [version, rest @ ..])) => read_layout(*version, &unpack(rest)?),
        Some((&other, _)) => Err(StoreError::Corrupt(format!("unknown value format {other}"))),
        None => Err(StoreError::Corrupt("empty value".into())),
    }
}

/// Decodes bincode written with layout `version` of `T`.
fn read_layout<T: Record>(version: u8, bincode: &[u8]) -> Result<T, StoreError> {
    if version != T::VERSION {
        return T::read_older(version, bincode);
    }
    bincode_value(bincode)
}

/// A value from bytes in the store's bincode configuration (also for `read_older`'s frozen
/// layouts).
pub(crate) fn bincode_value<T: bincode::Decode<()>>(bincode: &[u8]) -> Result<T, StoreError> {
    bincode::decode_from_slice(bincode, config())
        .map(|(value, _)| value)
        .map_err(|e| StoreError::Corrupt(format!("undecodable value: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Record for Vec<String> {
        const VERSION: u8 = 1;
    }

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

    /// A stored type as it was…
    #[derive(bincode::Encode, bincode::Decode, Debug, PartialEq)]
    struct NoteV1 {
        text: String,
    }

    impl Record for NoteV1 {
        const VERSION: u8 = 1;
    }

    /// …and after it gained a field.
    #[derive(bincode::Encode, bincode::Decode, Debug, PartialEq)]
    struct Note {
        text: String,
        pinned: bool,
    }

    impl Record for Note {
        const VERSION: u8 = 2;
        fn read_older(version: u8, bincode: &[u8]) -> Result<Self, StoreError> {
            match version {
                1 => {
                    let old: NoteV1 = bincode_value(bincode)?;
                    Ok(Note {
                        text: old.text,
                        pinned: false,
                    })
                }
                _ => Err(StoreError::Corrupt(format!("no note layout {version}"))),
            }
        }
    }

    #[test]
    fn a_type_that_gained_a_field_reads_the_rows_written_before_and_writes_its_version() {
        for text in ["short".to_owned(), "long enough to be compressed ".repeat(200)] {
            let before = encode(&NoteV1 { text: text.clone() }).unwrap();
            assert!(
                before[0] == V1 || before[0] == V1_LZ4,
                "version 1 keeps the old framing"
            );
            let read = decode::<Note>(&before).unwrap();
            assert_eq!(
                read,
                Note {
                    text: text.clone(),
                    pinned: false
                }
            );
            let now = Note { text, pinned: true };
            let bytes = encode(&now).unwrap();
            assert!(
                matches!(bytes[..2], [VERSIONED, 2] | [VERSIONED_LZ4, 2]),
                "{:?}",
                &bytes[..2]
            );
            assert_eq!(decode::<Note>(&bytes).unwrap(), now);
        }
        let newer = encode(&Note {
            text: "x".into(),
            pinned: true,
        })
        .unwrap();
        let refused = decode::<NoteV1>(&newer).unwrap_err().to_string();
        assert!(
            refused.contains("layout version 2"),
            "an older build says why it cannot read: {refused}"
        );
    }
}
