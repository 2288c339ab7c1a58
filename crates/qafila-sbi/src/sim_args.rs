//! The simulator's command-line options, shared by `qafila-sbi-sim` and `qafila scanner simulate`.

use std::path::PathBuf;
use std::time::Duration;

use crate::iso19794_4::Compression;
use crate::simulator::{Fault, SimConfig};

/// A simulated SBI 0.9.5 fingerprint slap scanner (MOSIPDISC, MOSIPDINFO, RCAPTURE) for demos and tests.
#[derive(Debug, Clone, clap::Args)]
pub struct SimArgs {
    /// Port on 127.0.0.1 (SBI services use 4501-4600; 0 picks a free one).
    #[arg(long, default_value_t = 4501)]
    pub port: u16,
    /// The simulated person: the same seed always gives the same ridge patterns.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Image quality 0-100 of the synthetic prints.
    #[arg(long, default_value_t = 80, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub quality: u8,
    /// How long each capture takes, in milliseconds.
    #[arg(long, default_value_t = 500)]
    pub latency_ms: u64,
    /// Probability 0-1 that a capture fails with SBI error 101.
    #[arg(long, default_value_t = 0.0)]
    pub fail_rate: f64,
    /// Every capture hangs without answering.
    #[arg(long, group = "fault")]
    pub hang: bool,
    /// Every capture answers with a body that is not valid JSON.
    #[arg(long, group = "fault")]
    pub malformed: bool,
    /// Every capture closes the connection halfway through the reply.
    #[arg(long, group = "fault")]
    pub disconnect: bool,
    /// Every capture fails with this SBI error code.
    #[arg(long, group = "fault")]
    pub error_code: Option<String>,
    /// Serve the PNG files of this folder (named by finger, e.g. `2.png` or `right_index.png`, else in turn).
    #[arg(long)]
    pub images: Option<PathBuf>,
    /// Store images in the ISO records as PNG (compression 6) instead of uncompressed (0).
    #[arg(long)]
    pub png: bool,
}

impl SimArgs {
    /// The simulator configuration these options describe.
    pub fn config(&self) -> Result<SimConfig, String> {
        if !(0.0..=1.0).contains(&self.fail_rate) {
            return Err("--fail-rate must be between 0 and 1".into());
        }
        let fault = if self.hang {
            Some(Fault::Hang)
        } else if self.malformed {
            Some(Fault::MalformedJson)
        } else if self.disconnect {
            Some(Fault::Disconnect)
        } else {
            self.error_code.clone().map(|code| Fault::DeviceError {
                code,
                info: "simulated device error".into(),
            })
        };
        Ok(SimConfig {
            port: self.port,
            seed: self.seed,
            quality: self.quality,
            latency: Duration::from_millis(self.latency_ms),
            fail_rate: self.fail_rate,
            fault,
            images: self.images.clone(),
            compression: if self.png {
                Compression::PNG
            } else {
                Compression::UNCOMPRESSED
            },
            ..SimConfig::default()
        })
    }
}
