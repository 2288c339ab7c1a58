//! RCAPTURE: the registration capture request, and the checks every biometric of the reply must pass before it
//! becomes an [`Impression`]: device error code, signature and key, transaction, finger, hash chain, image record.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::client::SbiScanner;
use crate::discovery;
use crate::error::ScanError;
use crate::fields::At;
use crate::finger::Finger;
use crate::iso19794_4;
use crate::protocol::{self, FINGER, REGISTRATION, SPEC_VERSION};
use crate::scanner::{CaptureRequest, DeviceIdentity, Impression};

const OP: &str = "RCAPTURE";

pub(crate) fn rcapture(scanner: &SbiScanner, request: &CaptureRequest) -> Result<Vec<Impression>, ScanError> {
    request.validate()?;
    let transaction_id = transaction_id();
    let previous_hash = scanner.previous_hash();
    let body = request_body(scanner, request, &transaction_id, &previous_hash);
    let wait = request.timeout + scanner.config().timeout_margin;
    let reply = scanner.transport().call(scanner.port(), OP, "/capture", &body, wait)?;
    impressions(scanner, request, &transaction_id, &reply)
}

/// Checks every biometric of an RCAPTURE `reply` and advances the scanner's hash chain once all pass.
pub(crate) fn impressions(
    scanner: &SbiScanner,
    request: &CaptureRequest,
    transaction_id: &str,
    reply: &Value,
) -> Result<Vec<Impression>, ScanError> {
    let previous_hash = scanner.previous_hash();
    let root = At::root(OP, reply);
    let items = root.get("biometrics")?.items()?;
    // A device error anywhere means the capture failed; report it before anything else could mask it.
    for item in &items {
        if let Some(error) = item.opt("error") {
            let code = discovery::scalar_string(&error.get("errorCode")?)?;
            if code != protocol::OK {
                return Err(ScanError::Device {
                    code,
                    info: error.str_or_empty("errorInfo").to_string(),
                });
            }
        }
    }
    let mut chain = previous_hash;
    let mut out: Vec<Impression> = Vec::with_capacity(items.len());
    for item in &items {
        let impression = biometric(scanner, request, item, transaction_id, &mut chain)?;
        if out.iter().any(|i| i.finger == impression.finger) {
            return Err(ScanError::Inconsistent(format!("{} returned twice", impression.finger)));
        }
        out.push(impression);
    }
    if let Some(&finger) = request.fingers.iter().find(|f| !out.iter().any(|i| i.finger == **f)) {
        return Err(ScanError::MissingFinger { finger });
    }
    out.sort_by_key(|i| i.finger);
    scanner.set_previous_hash(chain);
    Ok(out)
}

fn request_body(scanner: &SbiScanner, request: &CaptureRequest, transaction_id: &str, previous_hash: &str) -> Value {
    let names = |fingers: &[Finger]| fingers.iter().map(|f| f.bio_sub_type()).collect::<Vec<_>>();
    let sub_id = request.segment().map_or(0, |s| s.device_sub_id());
    json!({
        "env": scanner.config().env,
        "purpose": REGISTRATION,
        "specVersion": SPEC_VERSION,
        "timeout": request.timeout.as_millis().min(u128::from(u64::MAX)) as u64,
        "captureTime": protocol::timestamp(),
        "domainUri": "",
        "transactionId": transaction_id,
        "bio": [{
            "type": FINGER,
            "count": request.fingers.len(),
            "bioSubType": names(&request.fingers),
            "exception": names(&request.exceptions),
            "requestedScore": request.requested_score,
            "deviceId": scanner.device_id(),
            "deviceSubId": sub_id.to_string(),
            "previousHash": previous_hash,
        }],
        "customOpts": null,
    })
}

fn biometric(
    scanner: &SbiScanner,
    request: &CaptureRequest,
    item: &At<'_>,
    transaction_id: &str,
    chain: &mut String,
) -> Result<Impression, ScanError> {
    let data = item.get("data")?;
    let signed_data = data.str()?.to_string();
    let payload = scanner.verify(&signed_data, &data.path)?;
    let payload: Value = serde_json::from_slice(&payload).map_err(|e| data.bad(format!("payload is not JSON: {e}")))?;
    let p = At {
        operation: OP,
        path: data.path.clone(),
        value: &payload,
    };

    let bio_type = p.str_at("bioType")?;
    if !bio_type.eq_ignore_ascii_case(FINGER) {
        return Err(ScanError::Inconsistent(format!(
            "{}: bioType {bio_type:?}, asked for {FINGER}",
            p.path
        )));
    }
    let sub_type = p.get("bioSubType")?;
    let finger = Finger::from_bio_sub_type(sub_type.str()?)
        .ok_or_else(|| sub_type.bad(format!("{:?} names no finger", sub_type.value)))?;
    if !request.fingers.contains(&finger) {
        return Err(ScanError::Inconsistent(format!(
            "{}: {finger} was not requested",
            p.path
        )));
    }
    let tx = p.str_at("transactionId")?;
    if tx != transaction_id {
        return Err(ScanError::Inconsistent(format!(
            "{}: transaction {tx:?}, expected {transaction_id:?}",
            p.path
        )));
    }
    let bio_value = p.get("bioValue")?;
    let record = URL_SAFE_NO_PAD
        .decode(bio_value.str()?.trim_end_matches('='))
        .map_err(|e| bio_value.bad(format!("not base64url: {e}")))?;

    let expected = protocol::chain_hash(chain, &record);
    let got = item.str_at("hash")?;
    if !got.eq_ignore_ascii_case(&expected) {
        return Err(ScanError::HashMismatch {
            field: item.path.clone(),
            expected,
            got: got.to_string(),
        });
    }
    *chain = expected.clone();

    let image_err = |source| ScanError::Image {
        field: bio_value.path.clone(),
        source,
    };
    let reps = iso19794_4::parse(&record).map_err(image_err)?;
    let rep = reps.first().ok_or_else(|| bio_value.bad("record holds no image"))?;
    if rep.position != finger.position() {
        return Err(ScanError::Inconsistent(format!(
            "{}: record is finger position {}, payload says {finger}",
            bio_value.path, rep.position
        )));
    }
    let image = scanner.config().decoders.decode(rep).map_err(image_err)?;

    let digital = p.get("digitalId")?;
    let digital_payload = scanner.verify(digital.str()?, &digital.path)?;
    let digital_value: Value =
        serde_json::from_slice(&digital_payload).map_err(|e| digital.bad(format!("payload is not JSON: {e}")))?;
    let id = discovery::digital_id_fields(&At {
        operation: OP,
        path: digital.path.clone(),
        value: &digital_value,
    })?;

    Ok(Impression {
        finger,
        image,
        quality: p.get("qualityScore")?.score()?,
        requested_score: p
            .opt("requestedScore")
            .map(|a| a.score())
            .transpose()?
            .unwrap_or(request.requested_score),
        device: DeviceIdentity {
            device_id: scanner.device_id().to_string(),
            device_code: p.str_or_empty("deviceCode").to_string(),
            ..id.identity
        },
        timestamp: p.str_or_empty("timestamp").to_string(),
        transaction_id: tx.to_string(),
        signed_data,
        hash: expected,
    })
}

/// Unique per process and across restarts (time-based), so replies to an earlier, abandoned capture are refused.
fn transaction_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("qafila-{nanos:x}-{}", COUNTER.fetch_add(1, Ordering::Relaxed))
}
