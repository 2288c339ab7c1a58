//! The only unsafe code of the crate: NIST's NBIS + NFIQ 2 (`libnbis.so` of the nbis-py wheel), loaded at
//! run time and called through the C ABI that uniffi (contract version 29) generates for it.
//!
//! The ABI, as read from the library's exports and the wheel's generated `nbis/nbis.py`:
//! - every call takes a trailing `*mut RustCallStatus { code: i8, error_buf: RustBuffer }`; code 0 is
//!   success, 1 a declared error (`NbisError`, serialized in `error_buf`), 2 a caught panic (message in
//!   `error_buf` as raw UTF-8). `error_buf` is owned by the caller, who frees it.
//! - `RustBuffer { capacity: u64, len: u64, data: *mut u8 }` is allocated by the library; a buffer passed
//!   in is consumed by the callee, a buffer returned is the caller's to free with `ffi_nbis_rustbuffer_free`.
//!   `ffi_nbis_rustbuffer_from_bytes(ForeignBytes { len: i32, data })` copies foreign bytes into one.
//! - compound values travel serialized, big-endian: records field by field, `Option` as a 0/1 byte then
//!   the value, sequences and `Vec<u8>` as an i32 count then the items, strings nested in records as an
//!   i32 length then UTF-8 (a top-level string is the bare UTF-8), enums as an i32 variant from 1.
//! - objects are `Arc` raw pointers: a method *consumes* one strong count of the receiver, so the caller
//!   clones (`uniffi_nbis_fn_clone_*`) before each call and frees (`uniffi_nbis_fn_free_*`) when done.
//! - `ffi_nbis_uniffi_contract_version() -> u32` and `uniffi_nbis_checksum_*() -> u16` let us refuse a
//!   library whose interface differs from the one this module was written for.
//!
//! NFIQ 2 is reached through `NbisExtractor` with `compute_nfiq2 = true`: `extract_minutiae(png bytes)`
//! runs NIST's mindtct and NFIQ 2.3, and `Minutiae::quality()` returns `Nfiq2Result { score: u32,
//! actionable: Vec<Nfiq2Value>, features: Vec<Nfiq2Value> }` with `Nfiq2Value { name: String, value: f64 }`.
#![deny(unsafe_op_in_unsafe_fn)]

use std::ffi::c_void;
use std::path::{Path, PathBuf};

use libloading::Library;

use crate::error::{FingerError, Result};

/// The uniffi contract version the library must report.
const CONTRACT_VERSION: u32 = 29;

/// API checksums of the functions we call, as the wheel's generated binding checks them.
const CHECKSUMS: [(&str, u16); 3] = [
    ("uniffi_nbis_checksum_func_new_nbis_extractor", 35866),
    ("uniffi_nbis_checksum_method_nbisextractor_extract_minutiae", 45214),
    ("uniffi_nbis_checksum_method_minutiae_quality", 63465),
];

#[repr(C)]
struct RustBuffer {
    capacity: u64,
    len: u64,
    data: *mut u8,
}

impl RustBuffer {
    const EMPTY: RustBuffer = RustBuffer {
        capacity: 0,
        len: 0,
        data: std::ptr::null_mut(),
    };
}

#[repr(C)]
struct RustCallStatus {
    code: i8,
    error_buf: RustBuffer,
}

#[repr(C)]
struct ForeignBytes {
    len: i32,
    data: *const u8,
}

/// An `Arc` raw pointer to a uniffi object.
type Handle = *const c_void;
type Status = *mut RustCallStatus;

/// The exported functions we use, copied out of the library (valid while it stays loaded).
#[derive(Clone, Copy)]
struct Api {
    rustbuffer_from_bytes: unsafe extern "C" fn(ForeignBytes, Status) -> RustBuffer,
    rustbuffer_free: unsafe extern "C" fn(RustBuffer, Status),
    new_extractor: unsafe extern "C" fn(RustBuffer, Status) -> Handle,
    clone_extractor: unsafe extern "C" fn(Handle, Status) -> Handle,
    free_extractor: unsafe extern "C" fn(Handle, Status),
    extract_minutiae: unsafe extern "C" fn(Handle, RustBuffer, Status) -> Handle,
    clone_minutiae: unsafe extern "C" fn(Handle, Status) -> Handle,
    free_minutiae: unsafe extern "C" fn(Handle, Status),
    minutiae_quality: unsafe extern "C" fn(Handle, Status) -> RustBuffer,
}

/// NIST's NFIQ 2 result, decoded.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Nfiq2Raw {
    /// The unified quality score, 0–100.
    pub score: u32,
    /// Actionable feedback (e.g. `UniformImage`, `EmptyImageOrContrastTooLow`…) with its value.
    pub actionable: Vec<(String, f64)>,
    /// The quality features the score was computed from.
    pub features: Vec<(String, f64)>,
}

/// A loaded `libnbis.so` with one NFIQ 2 extractor ready.
pub(crate) struct NbisLibrary {
    api: Api,
    extractor: Handle,
    path: PathBuf,
    // Last field: dropped after `Drop::drop` has freed the extractor through it.
    _lib: Library,
}

// SAFETY: uniffi requires the objects it exports to be `Send + Sync` (the scaffolding holds them in an
// `Arc` shared across foreign threads), so the extractor handle may be used and freed from any thread;
// the function pointers are plain code addresses kept valid by `_lib`.
unsafe impl Send for NbisLibrary {}
// SAFETY: as above; every call only reads the handle and clones it through the library's own Arc.
unsafe impl Sync for NbisLibrary {}

impl std::fmt::Debug for NbisLibrary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NbisLibrary({})", self.path.display())
    }
}

impl NbisLibrary {
    /// Loads the library, checks its uniffi contract and API checksums, and makes an NFIQ 2 extractor.
    pub fn open(path: &Path) -> Result<Self> {
        let lib_err = |reason: String| FingerError::Library {
            path: path.to_path_buf(),
            reason,
        };
        // SAFETY: loading runs the library's initialisers. libnbis.so is a Rust cdylib plus NIST's C/C++
        // code whose initialisers only set up statics; we load it from a path the operator configured.
        let lib = unsafe { Library::new(path) }.map_err(|e| lib_err(e.to_string()))?;

        // SAFETY: the symbol, when present, is uniffi's `extern "C" fn() -> u32` (see the module doc).
        let version = unsafe { lib.get::<unsafe extern "C" fn() -> u32>("ffi_nbis_uniffi_contract_version") }
            .map_err(|e| lib_err(e.to_string()))?;
        // SAFETY: takes no argument and only returns a constant.
        let version = unsafe { version() };
        if version != CONTRACT_VERSION {
            return Err(lib_err(format!(
                "uniffi contract version {version}, this crate speaks {CONTRACT_VERSION}"
            )));
        }
        for (name, want) in CHECKSUMS {
            // SAFETY: uniffi checksum functions are `extern "C" fn() -> u16`.
            let f = unsafe { lib.get::<unsafe extern "C" fn() -> u16>(name) }.map_err(|e| lib_err(e.to_string()))?;
            // SAFETY: takes no argument and only returns a constant.
            let got = unsafe { f() };
            if got != want {
                return Err(lib_err(format!(
                    "{name} is {got}, expected {want}: a different nbis interface"
                )));
            }
        }

        macro_rules! sym {
            ($name:literal) => {
                // SAFETY: the contract version and checksums above confirm the library is the uniffi 0.29
                // `nbis` interface, whose signatures for these names are those declared in `Api`.
                *unsafe { lib.get($name) }.map_err(|e| lib_err(e.to_string()))?
            };
        }
        let api = Api {
            rustbuffer_from_bytes: sym!("ffi_nbis_rustbuffer_from_bytes"),
            rustbuffer_free: sym!("ffi_nbis_rustbuffer_free"),
            new_extractor: sym!("uniffi_nbis_fn_func_new_nbis_extractor"),
            clone_extractor: sym!("uniffi_nbis_fn_clone_nbisextractor"),
            free_extractor: sym!("uniffi_nbis_fn_free_nbisextractor"),
            extract_minutiae: sym!("uniffi_nbis_fn_method_nbisextractor_extract_minutiae"),
            clone_minutiae: sym!("uniffi_nbis_fn_clone_minutiae"),
            free_minutiae: sym!("uniffi_nbis_fn_free_minutiae"),
            minutiae_quality: sym!("uniffi_nbis_fn_method_minutiae_quality"),
        };

        // NbisExtractorSettings { min_quality: f64, get_center: bool, check_fingerprint: bool,
        // compute_nfiq2: bool, ppi: Option<f64> }: no filtering, no ROI, no SIVV, NFIQ 2 on, default 500 ppi.
        let mut settings = Vec::with_capacity(12);
        settings.extend_from_slice(&0.0f64.to_be_bytes());
        settings.extend_from_slice(&[0, 0, 1, 0]);
        let settings = lower(api, &settings)?;
        // SAFETY: `settings` is a library-allocated buffer that the callee consumes; `status` outlives it.
        let extractor = call(api, "new_nbis_extractor", |s| unsafe {
            (api.new_extractor)(settings, s)
        })?;
        if extractor.is_null() {
            return Err(lib_err("new_nbis_extractor returned no object".into()));
        }
        Ok(Self {
            api,
            extractor,
            path: path.to_path_buf(),
            _lib: lib,
        })
    }

    /// Where the library was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// NIST's NFIQ 2 of a 500 ppi image given as PNG bytes.
    pub fn nfiq2(&self, png: &[u8]) -> Result<Nfiq2Raw> {
        let api = self.api;
        // `Vec<u8>` argument: serialized as i32 length + bytes inside the RustBuffer.
        let len = i32::try_from(png.len()).map_err(|_| FingerError::Image {
            field: "png",
            reason: format!("{} bytes exceed the 2 GiB a uniffi buffer holds", png.len()),
        })?;
        let mut arg = Vec::with_capacity(png.len() + 4);
        arg.extend_from_slice(&len.to_be_bytes());
        arg.extend_from_slice(png);
        let arg = lower(api, &arg)?;

        // SAFETY: `self.extractor` is a live handle (freed only in Drop); clone adds the strong count
        // that the method call below consumes.
        let receiver = call(api, "clone_nbisextractor", |s| unsafe {
            (api.clone_extractor)(self.extractor, s)
        })?;
        // SAFETY: receiver is a fresh strong count, `arg` a library buffer; both are consumed by the callee.
        let minutiae = call(api, "extract_minutiae", |s| unsafe {
            (api.extract_minutiae)(receiver, arg, s)
        })?;
        if minutiae.is_null() {
            return Err(FingerError::Nbis {
                call: "extract_minutiae",
                reason: "returned no object".into(),
            });
        }
        let quality = (|| {
            // SAFETY: `minutiae` is the live object we own; the clone is consumed by the method call.
            let receiver = call(api, "clone_minutiae", |s| unsafe { (api.clone_minutiae)(minutiae, s) })?;
            // SAFETY: consumes the clone; returns a buffer we own.
            let buf = call(api, "minutiae_quality", |s| unsafe {
                (api.minutiae_quality)(receiver, s)
            })?;
            decode_nfiq2(&take(api, buf))
        })();
        // SAFETY: releases the strong count that extract_minutiae handed us; not used afterwards.
        let freed = call(api, "free_minutiae", |s| unsafe { (api.free_minutiae)(minutiae, s) });
        let quality = quality?;
        freed?;
        Ok(quality)
    }
}

impl Drop for NbisLibrary {
    fn drop(&mut self) {
        let api = self.api;
        let extractor = self.extractor;
        // SAFETY: the extractor handle is ours (one strong count from new_nbis_extractor), freed once here,
        // before `_lib` is unloaded.
        if let Err(e) = call(api, "free_nbisextractor", |s| unsafe {
            (api.free_extractor)(extractor, s)
        }) {
            tracing::warn!("freeing the NBIS extractor: {e}");
        }
    }
}

/// Runs one library call with a fresh status and turns a non-zero status into an error.
fn call<T>(api: Api, name: &'static str, f: impl FnOnce(Status) -> T) -> Result<T> {
    let mut status = RustCallStatus {
        code: 0,
        error_buf: RustBuffer::EMPTY,
    };
    let out = f(&mut status);
    match status.code {
        0 => Ok(out),
        code => {
            let bytes = take(api, std::mem::replace(&mut status.error_buf, RustBuffer::EMPTY));
            let reason = match code {
                1 => decode_nbis_error(&bytes),
                2 if bytes.is_empty() => "panic in the library (no message)".to_string(),
                2 => format!("panic in the library: {}", String::from_utf8_lossy(&bytes)),
                other => format!("unknown call status {other}"),
            };
            Err(FingerError::Nbis { call: name, reason })
        }
    }
}

/// Copies bytes into a library-owned RustBuffer (to pass as an argument, which the callee consumes).
fn lower(api: Api, bytes: &[u8]) -> Result<RustBuffer> {
    let len = i32::try_from(bytes.len()).map_err(|_| FingerError::Nbis {
        call: "rustbuffer_from_bytes",
        reason: "argument over 2 GiB".into(),
    })?;
    let foreign = ForeignBytes {
        len,
        data: bytes.as_ptr(),
    };
    // SAFETY: `foreign` points at `len` readable bytes that outlive the call, which copies them.
    call(api, "rustbuffer_from_bytes", |s| unsafe {
        (api.rustbuffer_from_bytes)(foreign, s)
    })
}

/// Copies a returned RustBuffer's contents out and frees it.
fn take(api: Api, buf: RustBuffer) -> Vec<u8> {
    let bytes = match usize::try_from(buf.len) {
        Ok(len) if !buf.data.is_null() && len > 0 => {
            // SAFETY: the library hands out a buffer whose `data` holds `len` initialised bytes
            // (len ≤ capacity), valid until we free it just below.
            unsafe { std::slice::from_raw_parts(buf.data, len) }.to_vec()
        }
        _ => Vec::new(),
    };
    // SAFETY: the buffer came from the library and is freed exactly once, after the copy above.
    if let Err(e) = call(api, "rustbuffer_free", |s| unsafe { (api.rustbuffer_free)(buf, s) }) {
        tracing::warn!("freeing an NBIS buffer: {e}");
    }
    bytes
}

/// Big-endian reader for uniffi's serialized values.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> std::result::Result<&'a [u8], String> {
        if self.bytes.len() < n {
            return Err(format!("truncated: wanted {n} bytes, {} left", self.bytes.len()));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> std::result::Result<[u8; N], String> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn i32(&mut self) -> std::result::Result<i32, String> {
        Ok(i32::from_be_bytes(self.array()?))
    }

    fn u32(&mut self) -> std::result::Result<u32, String> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    fn i64(&mut self) -> std::result::Result<i64, String> {
        Ok(i64::from_be_bytes(self.array()?))
    }

    fn f64(&mut self) -> std::result::Result<f64, String> {
        Ok(f64::from_be_bytes(self.array()?))
    }

    fn len(&mut self) -> std::result::Result<usize, String> {
        let n = self.i32()?;
        usize::try_from(n).map_err(|_| format!("negative length {n}"))
    }

    fn string(&mut self) -> std::result::Result<String, String> {
        let n = self.len()?;
        Ok(String::from_utf8_lossy(self.take(n)?).into_owned())
    }

    fn values(&mut self) -> std::result::Result<Vec<(String, f64)>, String> {
        let n = self.len()?;
        // Each item is at least 12 bytes: do not trust a count the buffer cannot hold.
        if n > self.bytes.len() / 12 {
            return Err(format!("sequence of {n} items in {} bytes", self.bytes.len()));
        }
        (0..n).map(|_| Ok((self.string()?, self.f64()?))).collect()
    }
}

/// Decodes `Nfiq2Result { score: u32, actionable: Vec<Nfiq2Value>, features: Vec<Nfiq2Value> }`.
fn decode_nfiq2(bytes: &[u8]) -> Result<Nfiq2Raw> {
    let mut r = Reader { bytes };
    let decoded = (|| {
        let score = r.u32()?;
        let actionable = r.values()?;
        let features = r.values()?;
        if !r.bytes.is_empty() {
            return Err(format!("{} bytes left over", r.bytes.len()));
        }
        Ok(Nfiq2Raw {
            score,
            actionable,
            features,
        })
    })();
    decoded.map_err(|reason| FingerError::Nbis {
        call: "minutiae_quality",
        reason: format!("result: {reason}"),
    })
}

/// Decodes the library's `NbisError` (variant numbers from 1, as in the generated binding).
fn decode_nbis_error(bytes: &[u8]) -> String {
    let mut r = Reader { bytes };
    let decoded = (|| {
        Ok::<_, String>(match r.i32()? {
            1 => "ImageLoadError: the image bytes could not be decoded".to_string(),
            2 => format!("FileReadError: {}", r.string()?),
            3 => format!("InvalidQuality: {}", r.f64()?),
            4 => format!("UnexpectedError: code {}", r.i64()?),
            5 => format!("InvalidTemplate: {}", r.string()?),
            6 => format!("GenericError: {}", r.string()?),
            7 => "Nfiq2NullContext".to_string(),
            8 => "Nfiq2CreateFailed: NFIQ 2 could not be initialised".to_string(),
            9 => format!("Nfiq2ComputeFailed: code {}", r.i32()?),
            other => format!("unknown NbisError variant {other}"),
        })
    })();
    decoded.unwrap_or_else(|e| format!("undecodable NbisError ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_a_serialized_result() {
        let mut b = 57u32.to_be_bytes().to_vec();
        b.extend_from_slice(&1i32.to_be_bytes());
        b.extend_from_slice(&3i32.to_be_bytes());
        b.extend_from_slice(b"abc");
        b.extend_from_slice(&0.5f64.to_be_bytes());
        b.extend_from_slice(&0i32.to_be_bytes());
        let r = decode_nfiq2(&b).expect("valid");
        assert_eq!(
            r,
            Nfiq2Raw {
                score: 57,
                actionable: vec![("abc".into(), 0.5)],
                features: vec![]
            }
        );
        assert!(decode_nfiq2(&b[..b.len() - 1]).is_err());
        let mut huge = 1u32.to_be_bytes().to_vec();
        huge.extend_from_slice(&i32::MAX.to_be_bytes());
        assert!(decode_nfiq2(&huge).is_err());
    }

    #[test]
    fn decodes_errors() {
        let mut b = 9i32.to_be_bytes().to_vec();
        b.extend_from_slice(&(-3i32).to_be_bytes());
        assert_eq!(decode_nbis_error(&b), "Nfiq2ComputeFailed: code -3");
        assert!(decode_nbis_error(&[0, 0]).starts_with("undecodable"));
    }
}
