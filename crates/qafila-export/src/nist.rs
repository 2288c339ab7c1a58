//! The traditional encoding of ANSI/NIST-ITL 1-2011 (Annex B): each record is fields `T.FFF:value`
//! separated by GS, with subfields separated by RS and information items by US, ended by FS; the
//! LEN field comes first and counts the record's bytes, and a binary image field (`T.999`) comes
//! last. Records of Types 1, 2, 10 and 14 are written and read this way (no Type-4 binary records).

/// File separator: ends a record.
pub const FS: u8 = 0x1C;
/// Group separator: between fields.
pub const GS: u8 = 0x1D;
/// Record separator: between subfields.
pub const RS: u8 = 0x1E;
/// Unit separator: between information items.
pub const US: u8 = 0x1F;
/// The field number of an image record's binary data.
pub const DATA_FIELD: u16 = 999;

/// A field's value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// Text: subfields, each a list of information items (a plain value is one subfield of one item).
    Text(Vec<Vec<String>>),
    /// Binary data (only the DATA field, 999).
    Binary(Vec<u8>),
}

impl Value {
    /// A single-item text value.
    pub fn text(s: impl Into<String>) -> Self {
        Value::Text(vec![vec![s.into()]])
    }

    /// The value as one string if it is a single item, else `None`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Text(sf) if sf.len() == 1 && sf[0].len() == 1 => Some(&sf[0][0]),
            _ => None,
        }
    }
}

/// One field of a record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// Field number (the `FFF` of `T.FFF`).
    pub number: u16,
    /// Its value.
    pub value: Value,
}

/// A logical record: its type and fields in order. The encoder writes the LEN field (1) itself;
/// the parser returns it as the first field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Record type (1, 2, 10, 14, ...).
    pub kind: u8,
    /// Fields in ascending order of number.
    pub fields: Vec<Field>,
}

impl Record {
    /// An empty record of type `kind`.
    pub fn new(kind: u8) -> Self {
        Self {
            kind,
            fields: Vec::new(),
        }
    }

    /// Adds a single-item text field.
    pub fn text(&mut self, number: u16, value: impl Into<String>) -> &mut Self {
        self.fields.push(Field {
            number,
            value: Value::text(value),
        });
        self
    }

    /// Adds a text field of subfields of information items.
    pub fn items(&mut self, number: u16, subfields: Vec<Vec<String>>) -> &mut Self {
        self.fields.push(Field {
            number,
            value: Value::Text(subfields),
        });
        self
    }

    /// Adds the binary DATA field (999).
    pub fn data(&mut self, bytes: Vec<u8>) -> &mut Self {
        self.fields.push(Field {
            number: DATA_FIELD,
            value: Value::Binary(bytes),
        });
        self
    }

    /// The value of field `number`, if present.
    pub fn get(&self, number: u16) -> Option<&Value> {
        self.fields.iter().find(|f| f.number == number).map(|f| &f.value)
    }
}

/// Why a record cannot be written or a byte stream is not a transaction.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NistError {
    /// A record that the encoder will not write.
    #[error("record type {kind}, field {number}: {reason}")]
    BadField {
        /// Record type.
        kind: u8,
        /// Field number.
        number: u16,
        /// Why.
        reason: String,
    },
    /// Bytes that do not parse.
    #[error("at byte {offset}: {reason}")]
    Syntax {
        /// Offset in the transaction.
        offset: usize,
        /// What was wrong there.
        reason: String,
    },
}

fn bad(kind: u8, number: u16, reason: impl Into<String>) -> NistError {
    NistError::BadField {
        kind,
        number,
        reason: reason.into(),
    }
}

/// Writes one record, LEN first (computed to include its own digits).
pub fn encode_record(record: &Record) -> Result<Vec<u8>, NistError> {
    let kind = record.kind;
    let mut body = Vec::new();
    let mut last = 1u16;
    for (i, field) in record.fields.iter().enumerate() {
        if field.number <= last {
            return Err(bad(kind, field.number, "fields must ascend and follow LEN (1)"));
        }
        last = field.number;
        body.extend_from_slice(format!("{kind}.{:03}:", field.number).as_bytes());
        match &field.value {
            Value::Binary(bytes) => {
                if field.number != DATA_FIELD || i + 1 != record.fields.len() {
                    return Err(bad(kind, field.number, "only the last field, 999, may be binary"));
                }
                body.extend_from_slice(bytes);
            }
            Value::Text(subfields) => {
                if subfields.is_empty() || subfields.iter().any(Vec::is_empty) {
                    return Err(bad(kind, field.number, "a text field needs at least one item"));
                }
                for (s, items) in subfields.iter().enumerate() {
                    if s > 0 {
                        body.push(RS);
                    }
                    for (k, item) in items.iter().enumerate() {
                        if k > 0 {
                            body.push(US);
                        }
                        if let Some(c) = item.chars().find(|c| !(' '..='~').contains(c)) {
                            return Err(bad(kind, field.number, format!("{c:?} is not printable 7-bit ASCII")));
                        }
                        body.extend_from_slice(item.as_bytes());
                    }
                }
            }
        }
        body.push(if i + 1 == record.fields.len() { FS } else { GS });
    }
    if record.fields.is_empty() {
        return Err(bad(kind, 1, "a record needs fields besides LEN"));
    }
    let head = format!("{kind}.001:");
    let fixed = head.len() + 1 + body.len();
    let mut digits = 1;
    let len = loop {
        let len = fixed + digits;
        if len.to_string().len() == digits {
            break len;
        }
        digits += 1;
    };
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(head.as_bytes());
    out.extend_from_slice(len.to_string().as_bytes());
    out.push(GS);
    out.extend_from_slice(&body);
    debug_assert_eq!(out.len(), len);
    Ok(out)
}

/// Writes a transaction: the records in order, the Type-1 first.
pub fn encode(records: &[Record]) -> Result<Vec<u8>, NistError> {
    let mut out = Vec::new();
    for r in records {
        out.extend_from_slice(&encode_record(r)?);
    }
    Ok(out)
}

fn syntax(offset: usize, reason: impl Into<String>) -> NistError {
    NistError::Syntax {
        offset,
        reason: reason.into(),
    }
}

/// Reads a `T.FFF:` tag at `p`: (record type, field number, position after the colon).
fn read_tag(bytes: &[u8], p: usize) -> Result<(u8, u16, usize), NistError> {
    let number = |from: usize, stop: u8, max: usize| -> Result<(usize, usize), NistError> {
        let mut q = from;
        let mut v = 0usize;
        while let Some(&b) = bytes.get(q).filter(|b| b.is_ascii_digit()) {
            v = v * 10 + usize::from(b - b'0');
            q += 1;
            if q - from > max {
                return Err(syntax(from, "tag number too long"));
            }
        }
        if q == from || bytes.get(q) != Some(&stop) {
            return Err(syntax(
                q,
                format!("expected digits then {:?} in a field tag", char::from(stop)),
            ));
        }
        Ok((v, q + 1))
    };
    let (kind, q) = number(p, b'.', 2)?;
    let (field, q) = number(q, b':', 9)?;
    let kind = u8::try_from(kind).map_err(|_| syntax(p, "record type out of range"))?;
    let field = u16::try_from(field).map_err(|_| syntax(p, "field number out of range"))?;
    Ok((kind, field, q))
}

fn decode_text(raw: &[u8], offset: usize) -> Result<Value, NistError> {
    let text = std::str::from_utf8(raw).map_err(|_| syntax(offset, "text field is not ASCII"))?;
    Ok(Value::Text(
        text.split(char::from(RS))
            .map(|sf| sf.split(char::from(US)).map(str::to_string).collect())
            .collect(),
    ))
}

/// Parses one record at `offset`; returns it (LEN as its first field) and the offset after it.
pub fn parse_record(bytes: &[u8], offset: usize) -> Result<(Record, usize), NistError> {
    let (kind, number, mut p) = read_tag(bytes, offset)?;
    if number != 1 {
        return Err(syntax(offset, format!("record starts with field {number}, not LEN")));
    }
    let len_end = bytes[p..]
        .iter()
        .position(|&b| b == GS)
        .map(|i| p + i)
        .ok_or_else(|| syntax(p, "LEN is not followed by GS"))?;
    let len: usize = std::str::from_utf8(&bytes[p..len_end])
        .ok()
        .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| syntax(p, "LEN is not a number"))?;
    let end = offset
        .checked_add(len)
        .filter(|&e| e <= bytes.len())
        .ok_or_else(|| syntax(offset, format!("LEN {len} runs past the end of the data")))?;
    if end <= len_end || bytes[end - 1] != FS {
        return Err(syntax(
            end.saturating_sub(1),
            "record does not end with FS where LEN says",
        ));
    }
    let mut record = Record::new(kind);
    record.fields.push(Field {
        number: 1,
        value: decode_text(&bytes[p..len_end], p)?,
    });
    p = len_end + 1;
    let last = end - 1;
    while p < last {
        let (k, number, q) = read_tag(bytes, p)?;
        if k != kind {
            return Err(syntax(p, format!("field of type {k} inside a type-{kind} record")));
        }
        if record.fields.last().is_some_and(|f| f.number >= number) {
            return Err(syntax(p, format!("field {number} out of order")));
        }
        if number == DATA_FIELD && matches!(kind, 10 | 13 | 14 | 15 | 16 | 17 | 20 | 21) {
            record.fields.push(Field {
                number,
                value: Value::Binary(bytes[q..last].to_vec()),
            });
            p = last;
            break;
        }
        let stop = bytes[q..last].iter().position(|&b| b == GS).map_or(last, |i| q + i);
        if bytes[q..stop].contains(&FS) {
            return Err(syntax(q, "FS inside a record"));
        }
        record.fields.push(Field {
            number,
            value: decode_text(&bytes[q..stop], q)?,
        });
        p = if stop == last { last } else { stop + 1 };
    }
    if p != last {
        return Err(syntax(p, "trailing bytes in the record"));
    }
    Ok((record, end))
}

/// Parses a whole transaction into its records (each with LEN first), checking every LEN.
pub fn parse(bytes: &[u8]) -> Result<Vec<Record>, NistError> {
    let mut records = Vec::new();
    let mut offset = 0;
    while offset < bytes.len() {
        let (r, next) = parse_record(bytes, offset)?;
        records.push(r);
        offset = next;
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn len_counts_itself() {
        let mut r = Record::new(2);
        r.text(2, "0");
        // "2.001:" + "17" + GS + "2.002:0" + FS = 6 + 2 + 1 + 7 + 1 = 17.
        let bytes = encode_record(&r).unwrap();
        assert_eq!(bytes, b"2.001:17\x1d2.002:0\x1c");
        let mut r = Record::new(2);
        r.text(2, "0").text(3, "x".repeat(83));
        // 99 or 100 bytes: the LEN's own third digit must be counted.
        let bytes = encode_record(&r).unwrap();
        assert_eq!(bytes.len().to_string(), String::from_utf8_lossy(&bytes[6..9]));
    }

    #[test]
    fn refuses_separators_in_text() {
        let mut r = Record::new(2);
        r.text(2, "0").text(18, "A\u{1d}B");
        assert!(encode_record(&r).is_err());
        let mut r = Record::new(14);
        r.data(vec![1]).text(2, "1");
        assert!(encode_record(&r).is_err());
    }

    #[test]
    fn parse_rejects_wrong_len() {
        let mut r = Record::new(2);
        r.text(2, "0");
        let mut bytes = encode_record(&r).unwrap();
        bytes[7] = b'8';
        assert!(parse(&bytes).is_err());
        bytes[7] = b'6';
        assert!(parse(&bytes).is_err());
    }
}
