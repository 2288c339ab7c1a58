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
//! The same `Minutiae` object also holds the minutiae that call found: `Minutiae::get()` returns a
//! sequence of `Minutia` objects (each an owned `Arc` pointer, serialized as a u64), read one by one with
//! `x() -> i32`, `y() -> i32`, `angle() -> f64` (degrees), `reliability() -> f64` (0–1) and
//! `kind() -> MinutiaKind` (enum: 1 ridge ending, 2 bifurcation). Reading them costs microseconds, where
//! running mindtct again would cost tens of milliseconds.
#![deny(unsafe_op_in_unsafe_fn)]

use std::ffi::c_void;
use std::path::{Path, PathBuf};

use libloading::Library;

use crate::error::{FingerError, Result};

/// The uniffi contract version the library must report.
const CONTRACT_VERSION: u32 = 29;

/// API checksums of the functions we call, as the wheel's generated binding checks them.
const CHECKSUMS: [(&str, u16); 9] = [
    ("uniffi_nbis_checksum_func_new_nbis_extractor", 35866),
    ("uniffi_nbis_checksum_method_nbisextractor_extract_minutiae", 45214),
    ("uniffi_nbis_checksum_method_minutiae_quality", 63465),
    ("uniffi_nbis_checksum_method_minutiae_get", 15862),
    ("uniffi_nbis_checksum_method_minutia_x", 62575),
    ("uniffi_nbis_checksum_method_minutia_y", 50671),
    ("uniffi_nbis_checksum_method_minutia_angle", 52761),
    ("uniffi_nbis_checksum_method_minutia_reliability", 21196),
    ("uniffi_nbis_checksum_method_minutia_kind", 40353),
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
    minutiae_get: unsafe extern "C" fn(Handle, Status) -> RustBuffer,
    clone_minutia: unsafe extern "C" fn(Handle, Status) -> Handle,
    free_minutia: unsafe extern "C" fn(Handle, Status),
    minutia_x: unsafe extern "C" fn(Handle, Status) -> i32,
    minutia_y: unsafe extern "C" fn(Handle, Status) -> i32,
    minutia_angle: unsafe extern "C" fn(Handle, Status) -> f64,
    minutia_reliability: unsafe extern "C" fn(Handle, Status) -> f64,
    minutia_kind: unsafe extern "C" fn(Handle, Status) -> RustBuffer,
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

/// One minutia as NIST's library reports it, not yet in the crate's conventions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct NbisMinutia {
    /// Column from the left, in pixels.
    pub x: i32,
    /// Row from the top, in pixels.
    pub y: i32,
    /// Direction in degrees, 0–360, counter-clockwise from the x axis (opposite to mindtct's `xyt`).
    pub angle: f64,
    /// MINDTCT's reliability, 0–1.
    pub reliability: f64,
    /// 1 ridge ending, 2 bifurcation (the uniffi enum variant), anything else unknown.
    pub kind: i32,
}

/// What one `extract_minutiae` call gives: NFIQ 2 and the minutiae NIST's mindtct found on the way.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NbisAnalysis {
    /// NFIQ 2.
    pub nfiq2: Nfiq2Raw,
    /// The minutiae, in the library's order (at most the 150 bozorth3 reads).
    pub minutiae: Vec<NbisMinutia>,
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
            minutiae_get: sym!("uniffi_nbis_fn_method_minutiae_get"),
            clone_minutia: sym!("uniffi_nbis_fn_clone_minutia"),
            free_minutia: sym!("uniffi_nbis_fn_free_minutia"),
            minutia_x: sym!("uniffi_nbis_fn_method_minutia_x"),
            minutia_y: sym!("uniffi_nbis_fn_method_minutia_y"),
            minutia_angle: sym!("uniffi_nbis_fn_method_minutia_angle"),
            minutia_reliability: sym!("uniffi_nbis_fn_method_minutia_reliability"),
            minutia_kind: sym!("uniffi_nbis_fn_method_minutia_kind"),
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
        self.with_minutiae(png, |minutiae| self.quality_of(minutiae))
    }

    /// NFIQ 2 and the minutiae of a 500 ppi image given as PNG bytes, from one `extract_minutiae` call.
    pub fn analyse(&self, png: &[u8]) -> Result<NbisAnalysis> {
        self.with_minutiae(png, |minutiae| {
            Ok(NbisAnalysis {
                nfiq2: self.quality_of(minutiae)?,
                minutiae: self.minutiae_of(minutiae)?,
            })
        })
    }

    /// Runs `extract_minutiae` on the PNG, hands the resulting object to `read`, then frees it (also when
    /// `read` fails, so an error never leaks the library's object).
    fn with_minutiae<T>(&self, png: &[u8], read: impl FnOnce(Handle) -> Result<T>) -> Result<T> {
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
        let out = read(minutiae);
        // SAFETY: releases the strong count that extract_minutiae handed us; not used afterwards.
        let freed = call(api, "free_minutiae", |s| unsafe { (api.free_minutiae)(minutiae, s) });
        let out = out?;
        freed?;
        Ok(out)
    }

    /// `Minutiae::quality()`: the NFIQ 2 result held by a live `Minutiae` object.
    fn quality_of(&self, minutiae: Handle) -> Result<Nfiq2Raw> {
        let api = self.api;
        // SAFETY: `minutiae` is a live object owned by the caller; the clone is consumed by the method call.
        let receiver = call(api, "clone_minutiae", |s| unsafe { (api.clone_minutiae)(minutiae, s) })?;
        // SAFETY: consumes the clone; returns a buffer we own.
        let buf = call(api, "minutiae_quality", |s| unsafe {
            (api.minutiae_quality)(receiver, s)
        })?;
        decode_nfiq2(&take(api, buf))
    }

    /// `Minutiae::get()` read out field by field: the minutiae held by a live `Minutiae` object.
    fn minutiae_of(&self, minutiae: Handle) -> Result<Vec<NbisMinutia>> {
        let api = self.api;
        // SAFETY: `minutiae` is a live object owned by the caller; the clone is consumed by the method call.
        let receiver = call(api, "clone_minutiae", |s| unsafe { (api.clone_minutiae)(minutiae, s) })?;
        // SAFETY: consumes the clone; returns a buffer we own.
        let buf = call(api, "minutiae_get", |s| unsafe { (api.minutiae_get)(receiver, s) })?;
        // Every pointer in the sequence is one strong count we now own: decode them all before reading
        // any, so that each is freed below whatever happens.
        let handles = decode_handles(&take(api, buf))?;
        let mut out = Vec::with_capacity(handles.len());
        let mut failure = None;
        for &handle in &handles {
            if failure.is_none() {
                match self.read_minutia(handle) {
                    Ok(m) => out.push(m),
                    Err(e) => failure = Some(e),
                }
            }
            // SAFETY: the handle came out of minutiae_get (one strong count, ours) and is freed once here.
            if let Err(e) = call(api, "free_minutia", |s| unsafe { (api.free_minutia)(handle, s) }) {
                failure.get_or_insert(e);
            }
        }
        match failure {
            Some(e) => Err(e),
            None => Ok(out),
        }
    }

    /// Reads one live `Minutia` object (the caller keeps and frees its own count).
    fn read_minutia(&self, handle: Handle) -> Result<NbisMinutia> {
        let api = self.api;
        // Each method consumes a strong count of its receiver: clone one per call.
        let clone = |name| {
            // SAFETY: `handle` is live (the caller frees it only after this function returns).
            call(api, name, |s| unsafe { (api.clone_minutia)(handle, s) })
        };
        let receiver = clone("clone_minutia")?;
        // SAFETY: consumes the fresh clone; returns a plain i32.
        let x = call(api, "minutia_x", |s| unsafe { (api.minutia_x)(receiver, s) })?;
        let receiver = clone("clone_minutia")?;
        // SAFETY: as above.
        let y = call(api, "minutia_y", |s| unsafe { (api.minutia_y)(receiver, s) })?;
        let receiver = clone("clone_minutia")?;
        // SAFETY: consumes the fresh clone; returns a plain f64.
        let angle = call(api, "minutia_angle", |s| unsafe { (api.minutia_angle)(receiver, s) })?;
        let receiver = clone("clone_minutia")?;
        // SAFETY: as above.
        let reliability = call(api, "minutia_reliability", |s| unsafe {
            (api.minutia_reliability)(receiver, s)
        })?;
        let receiver = clone("clone_minutia")?;
        // SAFETY: consumes the fresh clone; returns a buffer we own (the enum, serialized).
        let kind = call(api, "minutia_kind", |s| unsafe { (api.minutia_kind)(receiver, s) })?;
        let kind = Reader {
            bytes: &take(api, kind),
        }
        .i32()
        .map_err(|reason| FingerError::Nbis {
            call: "minutia_kind",
            reason: format!("result: {reason}"),
        })?;
        Ok(NbisMinutia {
            x,
            y,
            angle,
            reliability,
            kind,
        })
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

/// Decodes `Vec<Minutia>`: an i32 count, then each object as a u64 pointer (never null). A malformed
/// sequence is refused whole: pointers read from it cannot be trusted enough to free, so they leak.
fn decode_handles(bytes: &[u8]) -> Result<Vec<Handle>> {
    let mut r = Reader { bytes };
    let decoded = (|| {
        let n = r.len()?;
        if n > r.bytes.len() / 8 {
            return Err(format!("sequence of {n} objects in {} bytes", r.bytes.len()));
        }
        let handles = (0..n)
            .map(|i| match u64::from_be_bytes(r.array()?) {
                0 => Err(format!("object #{i} is a null pointer")),
                // uniffi lowers an object as its Arc pointer widened to u64 (the library exposed its
                // provenance); on this 64-bit target the conversion back is exact.
                p => usize::try_from(p)
                    .map(std::ptr::with_exposed_provenance::<c_void>)
                    .map_err(|_| format!("object #{i} pointer {p:#x} does not fit this target")),
            })
            .collect::<std::result::Result<Vec<_>, _>>()?;
        if !r.bytes.is_empty() {
            return Err(format!("{} bytes left over", r.bytes.len()));
        }
        Ok(handles)
    })();
    decoded.map_err(|reason| FingerError::Nbis {
        call: "minutiae_get",
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
    fn decodes_minutia_handles() {
        let mut b = 2i32.to_be_bytes().to_vec();
        b.extend_from_slice(&0x1000u64.to_be_bytes());
        b.extend_from_slice(&0x2000u64.to_be_bytes());
        let handles = decode_handles(&b).expect("valid");
        assert_eq!(handles.iter().map(|h| h.addr()).collect::<Vec<_>>(), [0x1000, 0x2000]);
        assert!(decode_handles(&b[..b.len() - 1]).is_err(), "truncated");
        let mut extra = b.clone();
        extra.push(0);
        assert!(decode_handles(&extra).is_err(), "left over");
        let mut null = 1i32.to_be_bytes().to_vec();
        null.extend_from_slice(&0u64.to_be_bytes());
        assert!(decode_handles(&null).is_err(), "null object");
        assert!(
            decode_handles(&i32::MAX.to_be_bytes()).is_err(),
            "count beyond the buffer"
        );
    }

    #[test]
    fn decodes_errors() {
        let mut b = 9i32.to_be_bytes().to_vec();
        b.extend_from_slice(&(-3i32).to_be_bytes());
        assert_eq!(decode_nbis_error(&b), "Nfiq2ComputeFailed: code -3");
        assert!(decode_nbis_error(&[0, 0]).starts_with("undecodable"));
    }
}
