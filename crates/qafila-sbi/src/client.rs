//! The MOSIP SBI driver: a [`FingerprintScanner`] backed by an SBI service on localhost.

use std::net::{IpAddr, Ipv4Addr};
use std::ops::RangeInclusive;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{Value, json};

use crate::capture;
use crate::discovery::{self, DiscoveredDevice};
use crate::error::ScanError;
use crate::fields::At;
use crate::iso19794_4::Decoders;
use crate::jws;
use crate::protocol::{self, FINGER};
use crate::scanner::{CaptureRequest, DeviceInfo, DeviceStatus, FingerprintScanner, Impression};
use crate::transport::Transport;

/// Which device keys the client accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyTrust {
    /// The key the device presents in its first signed reply (device info or capture); afterwards every signed reply
    /// must come from that same key. Proves integrity and continuity, not origin: production trust needs MOSIP's
    /// certificate chain, which is out of scope here.
    FirstSeen,
    /// Only these Ed25519 public keys.
    Pinned(Vec<[u8; 32]>),
}

/// How the client finds and talks to SBI services.
#[derive(Debug, Clone)]
pub struct SbiConfig {
    /// Where SBI services listen (always the local host in MOSIP deployments).
    pub host: IpAddr,
    /// Ports to scan during discovery.
    pub ports: RangeInclusive<u16>,
    /// How long a TCP connect may take (localhost connects are instant; this only bounds firewalled ports).
    pub connect_timeout: Duration,
    /// How long a service may take to answer MOSIPDISC.
    pub discovery_timeout: Duration,
    /// How long a device may take to answer MOSIPDINFO.
    pub info_timeout: Duration,
    /// Added to a capture's own timeout: the device has the request's timeout to capture, then this long to reply.
    pub timeout_margin: Duration,
    /// How many ports are probed at once during discovery.
    pub parallelism: usize,
    /// The MOSIP environment sent in captures ("Staging", "Developer", "Pre-Production", "Production").
    pub env: String,
    /// Which device keys are accepted.
    pub trust: KeyTrust,
    /// Image decoders by ISO/IEC 19794-4 compression algorithm.
    pub decoders: Decoders,
}

impl Default for SbiConfig {
    fn default() -> Self {
        SbiConfig {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            ports: protocol::FIRST_PORT..=protocol::LAST_PORT,
            connect_timeout: Duration::from_millis(300),
            discovery_timeout: Duration::from_secs(2),
            info_timeout: Duration::from_secs(5),
            timeout_margin: Duration::from_secs(2),
            parallelism: 16,
            env: "Staging".into(),
            trust: KeyTrust::FirstSeen,
            decoders: Decoders::default(),
        }
    }
}

/// A fingerprint device behind an SBI service.
#[derive(Debug)]
pub struct SbiScanner {
    transport: Transport,
    config: SbiConfig,
    port: u16,
    device_id: String,
    state: Mutex<State>,
    /// Held for a whole capture: the hash chain admits one capture at a time.
    capturing: Mutex<()>,
}

#[derive(Debug, Default)]
struct State {
    previous_hash: String,
    key: Option<[u8; 32]>,
}

impl SbiScanner {
    /// The device `device_id` of the SBI service on `port`; no request is made until used.
    pub fn open(config: SbiConfig, port: u16, device_id: &str) -> Result<Self, ScanError> {
        Ok(SbiScanner {
            transport: Transport::new(config.host, config.connect_timeout)?,
            config,
            port,
            device_id: device_id.to_string(),
            state: Mutex::new(State::default()),
            capturing: Mutex::new(()),
        })
    }

    /// The first ready fingerprint device in the configured port range, its key learned from its device info.
    pub fn discover(config: SbiConfig) -> Result<Self, ScanError> {
        let devices = discovery::discover(&config)?;
        let Some(device) = devices.iter().find(|d| d.status == DeviceStatus::Ready) else {
            return Err(match devices.first() {
                Some(d) => ScanError::NotReady {
                    port: d.port,
                    device_id: d.device_id.clone(),
                    status: d.status.as_sbi().to_string(),
                },
                None => ScanError::NoDevice {
                    host: config.host.to_string(),
                    first: *config.ports.start(),
                    last: *config.ports.end(),
                },
            });
        };
        let scanner = SbiScanner::open(config, device.port, &device.device_id)?;
        scanner.info()?;
        Ok(scanner)
    }

    /// A scanner for a device found by [`discovery::discover`].
    pub fn for_device(config: SbiConfig, device: &DiscoveredDevice) -> Result<Self, ScanError> {
        SbiScanner::open(config, device.port, &device.device_id)
    }

    /// The SBI service's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The SBI device id.
    pub fn device_id(&self) -> &str {
        &self.device_id
    }

    /// The device key accepted so far, if any.
    pub fn device_key(&self) -> Option<[u8; 32]> {
        self.lock().key
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Verifies a signed block and checks its key against the trust policy; `field` names it in errors.
    pub(crate) fn verify(&self, compact: &str, field: &str) -> Result<Vec<u8>, ScanError> {
        let bad = |detail: String| ScanError::BadSignature {
            field: field.to_string(),
            detail,
        };
        let verified = jws::verify(compact).map_err(|e| bad(e.to_string()))?;
        match &self.config.trust {
            KeyTrust::Pinned(keys) if !keys.contains(&verified.key) => {
                return Err(bad(format!(
                    "signed by key {} which is not pinned",
                    hex::encode(verified.key)
                )));
            }
            _ => {}
        }
        let mut state = self.lock();
        match state.key {
            Some(k) if k != verified.key => Err(bad(format!(
                "signed by key {} but this device signed with {} before",
                hex::encode(verified.key),
                hex::encode(k)
            ))),
            _ => {
                state.key = Some(verified.key);
                Ok(verified.payload)
            }
        }
    }

    pub(crate) fn previous_hash(&self) -> String {
        self.lock().previous_hash.clone()
    }

    pub(crate) fn set_previous_hash(&self, hash: String) {
        self.lock().previous_hash = hash;
    }

    pub(crate) fn config(&self) -> &SbiConfig {
        &self.config
    }

    pub(crate) fn transport(&self) -> &Transport {
        &self.transport
    }
}

impl FingerprintScanner for SbiScanner {
    fn info(&self) -> Result<DeviceInfo, ScanError> {
        const OP: &str = "MOSIPDINFO";
        let reply = self.transport.call(
            self.port,
            OP,
            "/info",
            &json!({"type": FINGER}),
            self.config.info_timeout,
        )?;
        self.info_from(&reply)
    }

    fn capture(&self, request: &CaptureRequest) -> Result<Vec<Impression>, ScanError> {
        let _one_at_a_time = self.capturing.lock().unwrap_or_else(|e| e.into_inner());
        capture::rcapture(self, request)
    }
}

impl SbiScanner {
    /// What a MOSIPDINFO reply `body` says about this device, with the checks [`FingerprintScanner::info`]
    /// makes (signatures and key trust included), without the network: for tests and the fuzzer.
    pub fn parse_info_reply(&self, body: &[u8]) -> Result<DeviceInfo, ScanError> {
        self.info_from(&crate::fields::parse_body("MOSIPDINFO", body)?)
    }

    /// The impressions of an RCAPTURE reply `body` to `request` sent as `transaction_id`, with every check
    /// [`FingerprintScanner::capture`] makes, without the network: for tests and the fuzzer. A reply that passes
    /// advances the hash chain, as a real capture does.
    pub fn parse_capture_reply(
        &self,
        request: &CaptureRequest,
        transaction_id: &str,
        body: &[u8],
    ) -> Result<Vec<Impression>, ScanError> {
        let reply = crate::fields::parse_body("RCAPTURE", body)?;
        // The hash chain admits one capture at a time, however the reply arrived.
        let _one_at_a_time = self.capturing.lock().unwrap_or_else(|e| e.into_inner());
        capture::impressions(self, request, transaction_id, &reply)
    }

    fn info_from(&self, reply: &Value) -> Result<DeviceInfo, ScanError> {
        const OP: &str = "MOSIPDINFO";
        let root = At::root(OP, reply);
        let mut first_error = None;
        for item in root.items()? {
            if let Some(e) = item.opt("error") {
                let code = e.str_or_empty("errorCode");
                if !code.is_empty() && code != protocol::OK {
                    first_error.get_or_insert(ScanError::Device {
                        code: code.to_string(),
                        info: e.str_or_empty("errorInfo").to_string(),
                    });
                    continue;
                }
            }
            let block = item.get("deviceInfo")?;
            let text = block.str()?;
            // Unregistered devices send their info unsigned; anything with a signature must verify.
            let payload = if text.split('.').count() == 3 {
                self.verify(text, &block.path)?
            } else {
                jws::payload_unverified(text).map_err(|e| block.bad(e.to_string()))?
            };
            let info: Value = serde_json::from_slice(&payload).map_err(|e| block.bad(format!("not JSON: {e}")))?;
            let info = At {
                operation: OP,
                path: block.path.clone(),
                value: &info,
            };
            let device_id = discovery::scalar_string(&info.get("deviceId")?)?;
            if device_id != self.device_id {
                continue;
            }
            return device_info(self, &info, device_id);
        }
        Err(first_error
            .unwrap_or_else(|| root.bad(format!("no device with deviceId {:?} in the reply", self.device_id))))
    }
}

fn device_info(scanner: &SbiScanner, info: &At<'_>, device_id: String) -> Result<DeviceInfo, ScanError> {
    let digital = info.get("digitalId")?;
    let text = digital.str()?;
    let payload = if text.split('.').count() == 3 {
        scanner.verify(text, &digital.path)?
    } else {
        jws::payload_unverified(text).map_err(|e| digital.bad(e.to_string()))?
    };
    let value: Value = serde_json::from_slice(&payload).map_err(|e| digital.bad(format!("not JSON: {e}")))?;
    let id = discovery::digital_id_fields(&At {
        operation: info.operation,
        path: digital.path.clone(),
        value: &value,
    })?;
    Ok(DeviceInfo {
        identity: crate::scanner::DeviceIdentity {
            device_id,
            device_code: info.str_or_empty("deviceCode").to_string(),
            ..id.identity
        },
        status: DeviceStatus::from_sbi(info.str_at("deviceStatus")?),
        device_sub_type: id.sub_type,
        device_sub_ids: info
            .opt("deviceSubId")
            .map(|a| discovery::sub_ids(&a))
            .transpose()?
            .unwrap_or_default(),
        spec_versions: info
            .opt("specVersion")
            .map(|a| a.strings())
            .transpose()?
            .unwrap_or_default(),
        firmware: info.str_or_empty("firmware").to_string(),
        certification: info.str_or_empty("certification").to_string(),
        purpose: info.str_or_empty("purpose").to_string(),
        service_version: info.str_or_empty("serviceVersion").to_string(),
    })
}
