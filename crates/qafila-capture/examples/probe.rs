//! Prints the portrait report of each image given: for calibrating thresholds by hand.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut analyzer = qafila_capture::Analyzer::with_defaults()?;
    for path in std::env::args().skip(1) {
        let t = std::time::Instant::now();
        let (report, token) = qafila_capture::check_image(
            &mut analyzer,
            std::path::Path::new(&path),
            Some(&qafila_capture::TokenConfig::default()),
        )?;
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        println!(
            "{path}: ok={} faces={} {:.1} ms token={:?}",
            report.ok,
            report.faces,
            ms,
            token.as_ref().map(|t| (t.jpeg.len(), t.quality))
        );
        for c in &report.checks {
            println!(
                "   {:?} ok={} value={:?} reason={:?}",
                c.id,
                c.ok,
                c.value.map(|v| (v * 1000.0).round() / 1000.0),
                c.reason
            );
        }
        if let (Some(t), Ok(dir)) = (token, std::env::var("PROBE_OUT")) {
            let name = std::path::Path::new(&path)
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            std::fs::write(format!("{dir}/{name}-token.jpg"), &t.jpeg)?;
        }
    }
    Ok(())
}
