//! A JSON value kept in an automerge document, field by field.
//!
//! Objects become automerge maps, arrays become lists, and every other value a scalar. Strings are
//! scalars rather than collaborative text: a name typed at the van and a name corrected at a center
//! is one value chosen by the merge, never an interleaving of both. Writing a new value only touches
//! the fields that changed, so edits made elsewhere to other fields survive the merge.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, Prop, ROOT, ReadDoc, ScalarValue, Value as AmValue, hydrate};
use serde_json::{Map, Number, Value};

use crate::DocError;

/// Makes the document's root equal to `value` (a JSON object), changing only what differs.
pub fn write_root(doc: &mut AutoCommit, value: &Map<String, Value>) -> Result<(), DocError> {
    write_map(doc, &ROOT, value)
}

/// Fills an empty document's root with `value` in one batch operation (far faster than a put per field).
pub fn init_root(doc: &mut AutoCommit, value: &Map<String, Value>) -> Result<(), DocError> {
    let root = value
        .iter()
        .map(|(k, v)| (k.clone(), to_hydrate(v)))
        .collect::<std::collections::HashMap<_, _>>();
    doc.init_root_from_hydrate(&hydrate::Map::from(root))?;
    Ok(())
}

fn to_hydrate(v: &Value) -> hydrate::Value {
    match v {
        Value::Object(m) => hydrate::Value::Map(hydrate::Map::from(
            m.iter()
                .map(|(k, v)| (k.clone(), to_hydrate(v)))
                .collect::<std::collections::HashMap<_, _>>(),
        )),
        Value::Array(a) => hydrate::Value::List(hydrate::List::from(a.iter().map(to_hydrate).collect::<Vec<_>>())),
        scalar => hydrate::Value::Scalar(to_scalar(scalar)),
    }
}

/// Reads the whole document as a JSON object.
pub fn read_root(doc: &AutoCommit) -> Result<Map<String, Value>, DocError> {
    read_map(doc, &ROOT)
}

fn write_map(doc: &mut AutoCommit, obj: &ObjId, value: &Map<String, Value>) -> Result<(), DocError> {
    let stale: Vec<String> = doc.keys(obj).filter(|k| !value.contains_key(k)).collect();
    for k in stale {
        doc.delete(obj, k.as_str())?;
    }
    for (k, v) in value {
        write_at(doc, obj, Prop::Map(k.clone()), v, true)?;
    }
    Ok(())
}

fn write_list(doc: &mut AutoCommit, obj: &ObjId, value: &[Value]) -> Result<(), DocError> {
    let old_len = doc.length(obj);
    for (i, v) in value.iter().enumerate() {
        write_at(doc, obj, Prop::Seq(i), v, i < old_len)?;
    }
    for i in (value.len()..old_len).rev() {
        doc.delete(obj, i)?;
    }
    Ok(())
}

/// Writes `v` at `prop` of `obj`; `exists` tells whether a list slot is already there.
fn write_at(doc: &mut AutoCommit, obj: &ObjId, prop: Prop, v: &Value, exists: bool) -> Result<(), DocError> {
    let current = if exists { doc.get(obj, prop.clone())? } else { None };
    match v {
        Value::Object(m) => {
            let child = match current {
                Some((AmValue::Object(ObjType::Map), id)) if same_variant(doc, &id, m)? => id,
                _ => make_object(doc, obj, prop, ObjType::Map, exists)?,
            };
            write_map(doc, &child, m)
        }
        Value::Array(a) => {
            let child = match current {
                Some((AmValue::Object(ObjType::List), id)) => id,
                _ => make_object(doc, obj, prop, ObjType::List, exists)?,
            };
            write_list(doc, &child, a)
        }
        scalar => {
            let new = to_scalar(scalar);
            if let Some((AmValue::Scalar(old), _)) = &current
                && old.as_ref() == &new
            {
                return Ok(());
            }
            match prop {
                Prop::Map(k) => doc.put(obj, k, new)?,
                Prop::Seq(i) if exists => doc.put(obj, i, new)?,
                Prop::Seq(i) => doc.insert(obj, i, new)?,
            }
            Ok(())
        }
    }
}

/// Keys that name the variant of a tagged union in the record layout.
const TAGS: [&str; 2] = ["state", "in"];

fn same_variant(doc: &AutoCommit, existing: &ObjId, new: &Map<String, Value>) -> Result<bool, DocError> {
    for tag in TAGS {
        let old = match doc.get(existing, tag)? {
            Some((AmValue::Scalar(s), _)) => Some(from_scalar(s.as_ref())),
            _ => None,
        };
        if old.as_ref() != new.get(tag) {
            return Ok(false);
        }
    }
    Ok(true)
}

fn make_object(doc: &mut AutoCommit, obj: &ObjId, prop: Prop, kind: ObjType, exists: bool) -> Result<ObjId, DocError> {
    Ok(match prop {
        Prop::Map(k) => doc.put_object(obj, k, kind)?,
        Prop::Seq(i) if exists => doc.put_object(obj, i, kind)?,
        Prop::Seq(i) => doc.insert_object(obj, i, kind)?,
    })
}

fn to_scalar(v: &Value) -> ScalarValue {
    match v {
        Value::Null => ScalarValue::Null,
        Value::Bool(b) => ScalarValue::Boolean(*b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                ScalarValue::Int(i)
            } else if let Some(u) = n.as_u64() {
                ScalarValue::Uint(u)
            } else {
                ScalarValue::F64(n.as_f64().unwrap_or(0.0))
            }
        }
        Value::String(s) => ScalarValue::Str(s.as_str().into()),
        Value::Array(_) | Value::Object(_) => ScalarValue::Null,
    }
}

fn read_map(doc: &AutoCommit, obj: &ObjId) -> Result<Map<String, Value>, DocError> {
    let mut out = Map::new();
    for k in doc.keys(obj) {
        if let Some((v, id)) = doc.get(obj, k.as_str())? {
            out.insert(k, read_value(doc, v, &id)?);
        }
    }
    Ok(out)
}

fn read_value(doc: &AutoCommit, v: AmValue<'_>, id: &ObjId) -> Result<Value, DocError> {
    Ok(match v {
        AmValue::Object(ObjType::Map | ObjType::Table) => Value::Object(read_map(doc, id)?),
        AmValue::Object(ObjType::List) => {
            let mut items = Vec::with_capacity(doc.length(id));
            for i in 0..doc.length(id) {
                if let Some((v, child)) = doc.get(id, i)? {
                    items.push(read_value(doc, v, &child)?);
                }
            }
            Value::Array(items)
        }
        AmValue::Object(ObjType::Text) => Value::String(doc.text(id)?),
        AmValue::Scalar(s) => from_scalar(s.as_ref()),
    })
}

fn from_scalar(s: &ScalarValue) -> Value {
    match s {
        ScalarValue::Null => Value::Null,
        ScalarValue::Boolean(b) => Value::Bool(*b),
        ScalarValue::Int(i) => Value::Number((*i).into()),
        ScalarValue::Uint(u) => Value::Number((*u).into()),
        ScalarValue::F64(f) => Number::from_f64(*f).map_or(Value::Null, Value::Number),
        ScalarValue::Counter(c) => Value::Number(i64::from(c).into()),
        ScalarValue::Timestamp(t) => Value::Number((*t).into()),
        ScalarValue::Str(s) => Value::String(s.to_string()),
        ScalarValue::Bytes(b) | ScalarValue::Unknown { bytes: b, .. } => {
            Value::Array(b.iter().map(|x| Value::Number((*x).into())).collect())
        }
    }
}
