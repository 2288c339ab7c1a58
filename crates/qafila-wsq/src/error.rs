//! What can go wrong when reading or writing WSQ.

use thiserror::Error;

/// Everything the codec can refuse, with where and why.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WsqError {
    /// The input ends before a field or segment it announced.
    #[error("truncated input at offset {offset}: {what} needs {needed} more byte(s)")]
    Truncated {
        /// Byte offset where the missing data should have started.
        offset: usize,
        /// How many bytes are missing.
        needed: usize,
        /// The field or segment being read.
        what: &'static str,
    },
    /// A marker that WSQ does not define, or bytes where a marker must be.
    #[error("unknown marker 0x{marker:04X} at offset {offset}")]
    UnknownMarker {
        /// Byte offset of the marker.
        offset: usize,
        /// The two bytes read as a marker.
        marker: u16,
    },
    /// A marker the standard defines but not allowed at this point of the file.
    #[error("unexpected marker 0x{marker:04X} ({name}) at offset {offset}: {context}")]
    UnexpectedMarker {
        /// Byte offset of the marker.
        offset: usize,
        /// The marker found.
        marker: u16,
        /// Its name in the standard.
        name: &'static str,
        /// What was expected instead.
        context: &'static str,
    },
    /// A table or header whose content is inconsistent.
    #[error("bad {table} at offset {offset}: {reason}")]
    BadTable {
        /// Which table or header (SOF, DTT, DQT, DHT, SOB, COM).
        table: &'static str,
        /// Byte offset of the segment.
        offset: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// A block refers to a table, or the file lacks a header, that was never defined.
    #[error("missing {what} before the block at offset {offset}")]
    Missing {
        /// The missing table or header.
        what: String,
        /// Byte offset of the block that needed it.
        offset: usize,
    },
    /// The Huffman-coded coefficients do not decode.
    #[error("corrupt coefficient data in block {block} (starting at offset {offset}): {reason}")]
    BadData {
        /// Block number, from 1, in file order.
        block: usize,
        /// Byte offset where the block's coded data starts.
        offset: usize,
        /// What went wrong.
        reason: String,
    },
    /// A valid construct this codec does not implement.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// The image handed to the encoder cannot be encoded.
    #[error("invalid image: {0}")]
    InvalidImage(String),
    /// An encoder parameter out of range.
    #[error("invalid parameter: {0}")]
    InvalidParameter(String),
}
