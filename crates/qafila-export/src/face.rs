//! The chip's portrait: an ISO/IEC 19794-5:2005 facial record wrapping the token JPEG, inside the
//! LDS data group 2 of ICAO Doc 9303 Part 10 (biometric information group template, CBEFF header).

use qafila_domain::Sex;

use crate::ExportError;
use crate::images::jpeg_info;

/// Face image type of ISO/IEC 19794-5:2005: the portrait is cut to the token geometry.
pub const FACE_IMAGE_TYPE_TOKEN_FRONTAL: u8 = 0x02;
/// Image data type: JPEG (ISO/IEC 10918).
pub const IMAGE_DATA_TYPE_JPEG: u8 = 0x00;
/// Source type: a frame of a digital video camera (the van captures from a live stream).
pub const SOURCE_TYPE_DIGITAL_VIDEO: u8 = 0x06;
/// CBEFF biometric type "facial features".
pub const BIOMETRIC_TYPE_FACE: u8 = 0x02;
/// CBEFF format owner ISO/IEC JTC 1 SC 37.
pub const FORMAT_OWNER_SC37: u16 = 0x0101;
/// CBEFF format type of an ISO/IEC 19794-5 face record.
pub const FORMAT_TYPE_FACE: u16 = 0x0008;

/// Length of the facial record header ('FAC\0', version, record length, image count).
pub const RECORD_HEADER_LEN: usize = 14;
/// Length of the facial information block.
pub const FACIAL_INFO_LEN: usize = 20;
/// Length of the image information block.
pub const IMAGE_INFO_LEN: usize = 12;

/// The ISO/IEC 19794-5:2005 facial record of one token-frontal JPEG: record header, facial
/// information (no feature points, expression neutral, pose and colours unspecified), image
/// information, then the JPEG bytes unchanged.
pub fn iso19794_5_record(jpeg: &[u8], sex: Option<Sex>) -> Result<Vec<u8>, ExportError> {
    let info = jpeg_info(jpeg, "portrait")?;
    let block_len = FACIAL_INFO_LEN + IMAGE_INFO_LEN + jpeg.len();
    let record_len = RECORD_HEADER_LEN + block_len;
    let record_len32 = u32::try_from(record_len)
        .map_err(|_| ExportError::invalid("portrait", format!("{} bytes do not fit a facial record", jpeg.len())))?;
    let mut out = Vec::with_capacity(record_len);
    // Facial record header.
    out.extend_from_slice(b"FAC\0");
    out.extend_from_slice(b"010\0");
    out.extend_from_slice(&record_len32.to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes());
    // Facial information block: its length covers itself, the image information and the data.
    out.extend_from_slice(&(block_len as u32).to_be_bytes());
    out.extend_from_slice(&0u16.to_be_bytes()); // feature points
    out.push(match sex {
        None => 0x00,
        Some(Sex::Male) => 0x01,
        Some(Sex::Female) => 0x02,
    });
    out.push(0x00); // eye colour unspecified
    out.push(0x00); // hair colour unspecified
    out.extend_from_slice(&[0, 0, 0]); // feature mask: none stated
    out.extend_from_slice(&1u16.to_be_bytes()); // expression neutral, as the capture checks demand
    out.extend_from_slice(&[0, 0, 0]); // pose angles unspecified
    out.extend_from_slice(&[0, 0, 0]); // pose uncertainty unspecified
    // Image information block.
    out.push(FACE_IMAGE_TYPE_TOKEN_FRONTAL);
    out.push(IMAGE_DATA_TYPE_JPEG);
    out.extend_from_slice(&info.width.to_be_bytes());
    out.extend_from_slice(&info.height.to_be_bytes());
    out.push(if info.components == 1 { 0x03 } else { 0x01 }); // grey 8-bit, or RGB 24-bit
    out.push(SOURCE_TYPE_DIGITAL_VIDEO);
    out.extend_from_slice(&0u16.to_be_bytes()); // device type unspecified
    out.extend_from_slice(&0u16.to_be_bytes()); // quality unspecified
    out.extend_from_slice(jpeg);
    debug_assert_eq!(out.len(), record_len);
    Ok(out)
}

/// Appends a BER-TLV length (definite form: short up to 127, else 0x81–0x83 and the bytes).
pub fn put_ber_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else if len <= 0xFF {
        out.extend_from_slice(&[0x81, len as u8]);
    } else if len <= 0xFFFF {
        out.push(0x82);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0x83);
        out.extend_from_slice(&(len as u32).to_be_bytes()[1..]);
    }
}

fn tlv(out: &mut Vec<u8>, tag: &[u8], value: &[u8]) {
    out.extend_from_slice(tag);
    put_ber_len(out, value.len());
    out.extend_from_slice(value);
}

/// The LDS DG2 file holding one face: `75` { `7F61` { `02` instance count, `7F60` { `A1` CBEFF
/// header (ICAO header version 0101, biometric type face, format owner SC 37, format type face),
/// `5F2E` the ISO/IEC 19794-5 record } } }.
pub fn dg2(face_record: &[u8]) -> Result<Vec<u8>, ExportError> {
    if face_record.len() > 0xFF_FF00 {
        return Err(ExportError::invalid("portrait", "too large for a DG2 (over 16 MB)"));
    }
    let mut header = Vec::with_capacity(16);
    tlv(&mut header, &[0x80], &[0x01, 0x01]);
    tlv(&mut header, &[0x81], &[BIOMETRIC_TYPE_FACE]);
    tlv(&mut header, &[0x87], &FORMAT_OWNER_SC37.to_be_bytes());
    tlv(&mut header, &[0x88], &FORMAT_TYPE_FACE.to_be_bytes());
    let mut bit = Vec::with_capacity(face_record.len() + 32);
    tlv(&mut bit, &[0xA1], &header);
    tlv(&mut bit, &[0x5F, 0x2E], face_record);
    let mut group = Vec::with_capacity(bit.len() + 16);
    tlv(&mut group, &[0x02], &[0x01]);
    tlv(&mut group, &[0x7F, 0x60], &bit);
    let mut inner = Vec::with_capacity(group.len() + 8);
    tlv(&mut inner, &[0x7F, 0x61], &group);
    let mut out = Vec::with_capacity(inner.len() + 8);
    tlv(&mut out, &[0x75], &inner);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ber_lengths() {
        for (len, want) in [
            (0usize, vec![0x00]),
            (127, vec![0x7F]),
            (128, vec![0x81, 0x80]),
            (255, vec![0x81, 0xFF]),
            (256, vec![0x82, 0x01, 0x00]),
            (65_536, vec![0x83, 0x01, 0x00, 0x00]),
        ] {
            let mut out = Vec::new();
            put_ber_len(&mut out, len);
            assert_eq!(out, want, "{len}");
        }
    }
}
