//! Just enough of the JPEG and WSQ headers to describe an image in the export records
//! (size, components, resolution) without decoding it.

use crate::ExportError;

/// What a JPEG's frame header says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JpegInfo {
    /// Width in pixels.
    pub width: u16,
    /// Height in pixels.
    pub height: u16,
    /// Colour components (1 grey, 3 colour).
    pub components: u8,
}

/// Reads the frame header of a baseline or extended sequential JPEG; `field` names the blob in errors.
pub fn jpeg_info(bytes: &[u8], field: &str) -> Result<JpegInfo, ExportError> {
    let bad = |reason: &str| ExportError::invalid(field, format!("not a usable JPEG: {reason}"));
    if bytes.get(..2) != Some(&[0xFF, 0xD8]) {
        return Err(bad("no start-of-image marker"));
    }
    let mut p = 2;
    loop {
        // Markers may be preceded by any number of 0xFF fill bytes.
        while bytes.get(p) == Some(&0xFF) && bytes.get(p + 1) == Some(&0xFF) {
            p += 1;
        }
        let (Some(&0xFF), Some(&marker)) = (bytes.get(p), bytes.get(p + 1)) else {
            return Err(bad("no frame header before the end of the data"));
        };
        p += 2;
        if marker == 0x01 || (0xD0..=0xD7).contains(&marker) {
            continue;
        }
        let len = usize::from(u16::from_be_bytes([
            *bytes.get(p).ok_or_else(|| bad("truncated segment"))?,
            *bytes.get(p + 1).ok_or_else(|| bad("truncated segment"))?,
        ]));
        let body = bytes
            .get(p + 2..p + len)
            .filter(|_| len >= 2)
            .ok_or_else(|| bad("truncated segment"))?;
        match marker {
            0xC0 | 0xC1 => {
                if body.len() < 6 {
                    return Err(bad("short frame header"));
                }
                let info = JpegInfo {
                    height: u16::from_be_bytes([body[1], body[2]]),
                    width: u16::from_be_bytes([body[3], body[4]]),
                    components: body[5],
                };
                if info.width == 0 || info.height == 0 || !matches!(info.components, 1 | 3) {
                    return Err(bad("frame of no pixels or of neither 1 nor 3 components"));
                }
                return Ok(info);
            }
            0xC2..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                return Err(bad(
                    "progressive, lossless or arithmetic-coded; a baseline JPEG is required",
                ));
            }
            0xDA | 0xD9 => return Err(bad("no frame header before the scan")),
            _ => p += len,
        }
    }
}

/// What a WSQ file's frame header and NISTCOM comment say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WsqInfo {
    /// Width in pixels.
    pub width: u16,
    /// Height in pixels.
    pub height: u16,
    /// Resolution from the NISTCOM comment, if stated.
    pub ppi: Option<u16>,
}

/// Reads a WSQ file's frame header (and PPI from its NISTCOM comment); `field` names the blob in errors.
pub fn wsq_info(bytes: &[u8], field: &str) -> Result<WsqInfo, ExportError> {
    let bad = |reason: &str| ExportError::invalid(field, format!("not a usable WSQ file: {reason}"));
    if bytes.get(..2) != Some(&[0xFF, 0xA0]) {
        return Err(bad("no start-of-image marker"));
    }
    let mut p = 2;
    let mut ppi = None;
    loop {
        let (Some(&0xFF), Some(&marker)) = (bytes.get(p), bytes.get(p + 1)) else {
            return Err(bad("no frame header before the end of the data"));
        };
        p += 2;
        let len = usize::from(u16::from_be_bytes([
            *bytes.get(p).ok_or_else(|| bad("truncated segment"))?,
            *bytes.get(p + 1).ok_or_else(|| bad("truncated segment"))?,
        ]));
        let body = bytes
            .get(p + 2..p + len)
            .filter(|_| len >= 2)
            .ok_or_else(|| bad("truncated segment"))?;
        match marker {
            // SOF: black, white, height, width, ...
            0xA2 => {
                if body.len() < 6 {
                    return Err(bad("short frame header"));
                }
                let height = u16::from_be_bytes([body[2], body[3]]);
                let width = u16::from_be_bytes([body[4], body[5]]);
                if width == 0 || height == 0 {
                    return Err(bad("frame of no pixels"));
                }
                return Ok(WsqInfo { width, height, ppi });
            }
            // COM: NBIS writes "NIST_COM" then "KEY value" lines, one of which is PPI.
            0xA8 => {
                let text = String::from_utf8_lossy(body);
                if text.starts_with("NIST_COM") {
                    ppi = text
                        .lines()
                        .filter_map(|l| l.strip_prefix("PPI "))
                        .find_map(|v| v.trim().parse::<u16>().ok())
                        .filter(|&v| v > 0)
                        .or(ppi);
                }
                p += len;
            }
            0xA4..=0xA7 => p += len,
            _ => return Err(bad("no frame header before the first block")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jpeg_frame_after_app_segments() {
        let mut j = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 1, 2];
        j.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x11, 8, 0x02, 0x30, 0x01, 0xA4, 3]);
        j.extend_from_slice(&[0; 9]);
        assert_eq!(
            jpeg_info(&j, "portrait").unwrap(),
            JpegInfo {
                width: 420,
                height: 560,
                components: 3
            }
        );
        assert!(jpeg_info(&j[..12], "portrait").is_err());
        let mut prog = j.clone();
        prog[9] = 0xC2;
        assert!(
            jpeg_info(&prog, "portrait")
                .unwrap_err()
                .to_string()
                .contains("baseline")
        );
        assert_eq!(jpeg_info(b"GIF89a", "portrait").unwrap_err().field(), "portrait");
    }
}
