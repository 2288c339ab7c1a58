//! Reading SBI reply JSON field by field, so that a bad reply is reported with the path of the bad field
//! (`biometrics[0].data`) rather than a line and column in a body nobody can see.

use serde_json::Value;

use crate::error::ScanError;

/// An owned path, so child paths can be built without lifetimes tangling.
pub(crate) struct At<'a> {
    pub(crate) operation: &'static str,
    pub(crate) path: String,
    pub(crate) value: &'a Value,
}

impl<'a> At<'a> {
    /// The whole reply of `operation`.
    pub(crate) fn root(operation: &'static str, value: &'a Value) -> Self {
        At {
            operation,
            path: String::new(),
            value,
        }
    }

    /// The error for this field.
    pub(crate) fn bad(&self, detail: impl Into<String>) -> ScanError {
        ScanError::Malformed {
            operation: self.operation,
            field: if self.path.is_empty() {
                "(body)".into()
            } else {
                self.path.clone()
            },
            detail: detail.into(),
        }
    }

    /// Member `key` of this object; an error if this is not an object or lacks it.
    pub(crate) fn get(&self, key: &str) -> Result<At<'a>, ScanError> {
        let path = if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        };
        let obj = self
            .value
            .as_object()
            .ok_or_else(|| self.bad(format!("expected an object, got {}", kind(self.value))))?;
        match obj.get(key) {
            Some(v) => Ok(At {
                operation: self.operation,
                path,
                value: v,
            }),
            None => Err(At {
                operation: self.operation,
                path,
                value: &Value::Null,
            }
            .bad("missing")),
        }
    }

    /// Member `key` if present and not null.
    pub(crate) fn opt(&self, key: &str) -> Option<At<'a>> {
        self.get(key).ok().filter(|a| !a.value.is_null())
    }

    /// The elements of this array.
    pub(crate) fn items(&self) -> Result<Vec<At<'a>>, ScanError> {
        let arr = self
            .value
            .as_array()
            .ok_or_else(|| self.bad(format!("expected an array, got {}", kind(self.value))))?;
        Ok(arr
            .iter()
            .enumerate()
            .map(|(i, v)| At {
                operation: self.operation,
                path: format!("{}[{i}]", self.path),
                value: v,
            })
            .collect())
    }

    /// This string.
    pub(crate) fn str(&self) -> Result<&'a str, ScanError> {
        self.value
            .as_str()
            .ok_or_else(|| self.bad(format!("expected a string, got {}", kind(self.value))))
    }

    /// Member `key` as a string.
    pub(crate) fn str_at(&self, key: &str) -> Result<&'a str, ScanError> {
        self.get(key)?.str()
    }

    /// Member `key` as a string, empty when absent.
    pub(crate) fn str_or_empty(&self, key: &str) -> &'a str {
        self.opt(key).and_then(|a| a.value.as_str()).unwrap_or("")
    }

    /// This value as a number 0–100; devices send scores as JSON numbers or as strings of them.
    pub(crate) fn score(&self) -> Result<u8, ScanError> {
        let n = match self.value {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        };
        match n {
            Some(n) if (0.0..=100.0).contains(&n) => Ok(n.round() as u8),
            _ => Err(self.bad(format!("expected a score 0-100, got {}", self.value))),
        }
    }

    /// This value as a list of strings, or one string as a list of one (devices do both).
    pub(crate) fn strings(&self) -> Result<Vec<String>, ScanError> {
        match self.value {
            Value::String(s) => Ok(vec![s.clone()]),
            Value::Array(_) => self.items()?.iter().map(|a| a.str().map(str::to_string)).collect(),
            other => Err(self.bad(format!("expected a list of strings, got {}", kind(other)))),
        }
    }
}

/// Parses a reply body, reporting a syntax error as a malformed `(body)`.
pub(crate) fn parse_body(operation: &'static str, body: &[u8]) -> Result<Value, ScanError> {
    serde_json::from_slice(body).map_err(|e| ScanError::Malformed {
        operation,
        field: "(body)".into(),
        detail: format!("not valid JSON ({} bytes): {e}", body.len()),
    })
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
