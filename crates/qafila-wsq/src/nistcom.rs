//! The NISTCOM comment: "KEY value" lines, the first being `NIST_COM <number of lines>`, which
//! NBIS writes into every file and reads the resolution (PPI) from.

/// The NISTCOM text for an image, laid out as NBIS lays it out.
pub fn build(width: usize, height: usize, ppi: u16, bitrate: f32) -> String {
    let fields = [
        format!("PIX_WIDTH {width}"),
        format!("PIX_HEIGHT {height}"),
        "PIX_DEPTH 8".to_string(),
        format!("PPI {ppi}"),
        "LOSSY 1".to_string(),
        "COLORSPACE GRAY".to_string(),
        "COMPRESSION WSQ".to_string(),
        format!("WSQ_BITRATE {bitrate:.6}"),
    ];
    let mut text = format!("NIST_COM {}", fields.len() + 1);
    for f in &fields {
        text.push('\n');
        text.push_str(f);
    }
    text
}

/// The value of `key` if `comment` is a NISTCOM block that has it.
pub fn field<'a>(comment: &'a str, key: &str) -> Option<&'a str> {
    let mut lines = comment.lines();
    if !lines.next()?.starts_with("NIST_COM") {
        return None;
    }
    lines.find_map(|line| {
        let (k, v) = line.split_once(|c: char| c.is_ascii_whitespace())?;
        (k == key).then(|| v.trim())
    })
}

/// The resolution a NISTCOM block records, if it records a usable one.
pub fn ppi(comment: &str) -> Option<u16> {
    field(comment, "PPI")?.parse::<u16>().ok().filter(|&p| p > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_what_nbis_writes_and_reads_it_back() {
        let text = build(540, 520, 500, 0.75);
        assert_eq!(
            text,
            "NIST_COM 9\nPIX_WIDTH 540\nPIX_HEIGHT 520\nPIX_DEPTH 8\nPPI 500\nLOSSY 1\nCOLORSPACE GRAY\n\
             COMPRESSION WSQ\nWSQ_BITRATE 0.750000"
        );
        assert_eq!(ppi(&text), Some(500));
        assert_eq!(field(&text, "COMPRESSION"), Some("WSQ"));
        assert_eq!(ppi("PPI 500"), None);
        assert_eq!(ppi("NIST_COM 2\nPPI -1"), None);
    }
}
