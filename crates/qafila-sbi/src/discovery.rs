//! Finding SBI fingerprint services: every port of the range is tried at once (a bounded number of threads), a
//! closed port costs one refused connect, and a service that accepts but never answers costs one discovery timeout.

use std::net::{SocketAddr, TcpStream};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};

use crate::client::SbiConfig;
use crate::error::ScanError;
use crate::fields::At;
use crate::jws;
use crate::protocol::FINGER;
use crate::scanner::{DeviceIdentity, DeviceStatus};
use crate::transport::Transport;

/// One device an SBI service announced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveredDevice {
    /// The port of its SBI service.
    pub port: u16,
    /// Its SBI `deviceId` within that service.
    pub device_id: String,
    /// Whether it can capture.
    pub status: DeviceStatus,
    /// The segments it captures (SBI `deviceSubId`s).
    pub device_sub_ids: Vec<u8>,
    /// What its digital id says, unverified (discovery replies are not signed).
    pub identity: DeviceIdentity,
    /// "Slap", "Single" or "Touchless", from the digital id.
    pub device_sub_type: String,
    /// SBI specification versions it speaks.
    pub spec_versions: Vec<String>,
    /// "Registration" or "Auth".
    pub purpose: String,
    /// Certification level.
    pub certification: String,
}

/// Every fingerprint device answering MOSIPDISC in the configured port range, by port; services that fail to
/// answer properly are logged and skipped, so one broken service does not hide a working scanner.
pub fn discover(config: &SbiConfig) -> Result<Vec<DiscoveredDevice>, ScanError> {
    let transport = Transport::new(config.host, config.connect_timeout)?;
    let ports: Vec<u16> = config.ports.clone().collect();
    let next = AtomicUsize::new(0);
    let found = Mutex::new(Vec::new());
    let workers = config.parallelism.clamp(1, ports.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                while let Some(&port) = ports.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let addr = SocketAddr::new(config.host, port);
                    // A bare connect first: most ports are closed and refuse at once, cheaper than an HTTP request.
                    if TcpStream::connect_timeout(&addr, config.connect_timeout).is_err() {
                        continue;
                    }
                    match probe(&transport, port, config) {
                        Ok(devices) => found.lock().unwrap_or_else(|e| e.into_inner()).extend(devices),
                        Err(e) => tracing::debug!(port, error = %e, "port open but no SBI discovery reply"),
                    }
                }
            });
        }
    });
    let mut found = found.into_inner().unwrap_or_else(|e| e.into_inner());
    found.sort_by(|a, b| (a.port, &a.device_id).cmp(&(b.port, &b.device_id)));
    Ok(found)
}

fn probe(transport: &Transport, port: u16, config: &SbiConfig) -> Result<Vec<DiscoveredDevice>, ScanError> {
    let reply = transport.call(
        port,
        "MOSIPDISC",
        "/device",
        &json!({"type": FINGER}),
        config.discovery_timeout,
    )?;
    devices(port, &reply)
}

/// The fingerprint devices a MOSIPDISC reply `body` from the service on `port` lists; the same checks as
/// [`discover`] without the network, so tests and the fuzzer can feed it any bytes.
pub fn parse_discovery_reply(port: u16, body: &[u8]) -> Result<Vec<DiscoveredDevice>, ScanError> {
    devices(port, &crate::fields::parse_body("MOSIPDISC", body)?)
}

fn devices(port: u16, reply: &Value) -> Result<Vec<DiscoveredDevice>, ScanError> {
    let root = At::root("MOSIPDISC", reply);
    let mut out = Vec::new();
    for item in root.items()? {
        if let Some(error) = item.opt("error") {
            let code = error.str_or_empty("errorCode");
            if !code.is_empty() && code != "0" {
                tracing::debug!(
                    port,
                    code,
                    info = error.str_or_empty("errorInfo"),
                    "device listed with an error"
                );
                continue;
            }
        }
        let digital_id = item
            .opt("digitalId")
            .map(|d| digital_id_unverified(&d))
            .transpose()?
            .unwrap_or_default();
        if !digital_id.kind.is_empty() && !digital_id.kind.eq_ignore_ascii_case(FINGER) {
            continue;
        }
        let device_id = scalar_string(&item.get("deviceId")?)?;
        let identity = DeviceIdentity {
            device_id: device_id.clone(),
            device_code: item.str_or_empty("deviceCode").to_string(),
            ..digital_id.identity
        };
        out.push(DiscoveredDevice {
            port,
            device_id,
            status: DeviceStatus::from_sbi(item.str_at("deviceStatus")?),
            device_sub_ids: item
                .opt("deviceSubId")
                .map(|a| sub_ids(&a))
                .transpose()?
                .unwrap_or_default(),
            identity,
            device_sub_type: digital_id.sub_type,
            spec_versions: item
                .opt("specVersion")
                .map(|a| a.strings())
                .transpose()?
                .unwrap_or_default(),
            purpose: item.str_or_empty("purpose").to_string(),
            certification: item.str_or_empty("certification").to_string(),
        });
    }
    Ok(out)
}

/// What a digital id holds.
#[derive(Debug, Clone, Default)]
pub(crate) struct DigitalId {
    pub(crate) identity: DeviceIdentity,
    pub(crate) kind: String,
    pub(crate) sub_type: String,
}

/// Reads the fields of a digital id payload.
pub(crate) fn digital_id_fields(at: &At<'_>) -> Result<DigitalId, ScanError> {
    Ok(DigitalId {
        identity: DeviceIdentity {
            serial: at.str_at("serialNo")?.to_string(),
            make: at.str_at("make")?.to_string(),
            model: at.str_at("model")?.to_string(),
            provider: format!(
                "{} ({})",
                at.str_or_empty("deviceProvider"),
                at.str_or_empty("deviceProviderId")
            ),
            ..DeviceIdentity::default()
        },
        kind: at.str_or_empty("type").to_string(),
        sub_type: at.str_or_empty("deviceSubType").to_string(),
    })
}

fn digital_id_unverified(at: &At<'_>) -> Result<DigitalId, ScanError> {
    let text = at.str()?;
    let payload = jws::payload_unverified(text).map_err(|e| at.bad(e.to_string()))?;
    let value: Value = serde_json::from_slice(&payload).map_err(|e| at.bad(format!("payload is not JSON: {e}")))?;
    digital_id_fields(&At {
        operation: at.operation,
        path: at.path.clone(),
        value: &value,
    })
}

/// SBI `deviceSubId` lists come as numbers or strings.
pub(crate) fn sub_ids(at: &At<'_>) -> Result<Vec<u8>, ScanError> {
    let items = match at.value {
        Value::Array(_) => at.items()?,
        _ => vec![At {
            operation: at.operation,
            path: at.path.clone(),
            value: at.value,
        }],
    };
    items
        .iter()
        .map(|a| {
            scalar_string(a)?
                .parse::<u8>()
                .map_err(|_| a.bad("expected a sub id 0-255"))
        })
        .collect()
}

/// A string, or a number written as one (SBI `deviceId` and `deviceSubId` come both ways).
pub(crate) fn scalar_string(at: &At<'_>) -> Result<String, ScanError> {
    match at.value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(at.bad(format!("expected a string or number, got {other}"))),
    }
}
