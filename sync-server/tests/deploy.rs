//! The systemd unit in `deploy/` is one systemd accepts, and it stays hardened.

use std::process::Command;

#[test]
fn the_systemd_unit_verifies_and_is_hardened() {
    let unit = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/qafila-server.service"))
        .expect("deploy/qafila-server.service");
    for setting in [
        "User=qafila",
        "ProtectSystem=strict",
        "ReadWritePaths=/var/lib/qafila",
        "NoNewPrivileges=yes",
        "PrivateTmp=yes",
        "CapabilityBoundingSet=\n",
    ] {
        assert!(unit.contains(setting), "the unit lost {setting:?}");
    }
    // Point ExecStart at the binary just built, so `verify` can check it exists and is executable.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("qafila-server.service");
    std::fs::write(
        &path,
        unit.replace("/usr/local/bin/qafila-server", env!("CARGO_BIN_EXE_qafila-server")),
    )
    .unwrap();
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .expect("systemd-analyze (Debian package systemd; scripts/setup installs it)");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && said.trim().is_empty(),
        "systemd-analyze verify: {said}"
    );
    let out = Command::new("systemd-analyze")
        .args(["security", "--offline=yes", "--threshold=30"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "exposure above 3.0 (of 10; threshold 30 of 100): {}",
        String::from_utf8_lossy(&out.stdout)
    );
}
