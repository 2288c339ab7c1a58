//! Times our encoder and decoder against NBIS's on the real print at 0.75 bpp, in one run, and
//! compares what each codec makes of the print (size, PSNR).
//!
//! `cargo bench -p qafila-wsq`; `QAFILA_BENCH_RUNS` sets the number of timed runs (default 30).
//! NBIS is timed inside its Python process with `time.perf_counter`, so process start-up and
//! the pipe are not counted. Needs the fixtures from `scripts/fixtures`.

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::Instant;

use common::{Fixtures, psnr};
use qafila_wsq::{DEFAULT_BITRATE, DEFAULT_PPI, decode, encode};

/// Median wall time of `runs` calls, in milliseconds, after a few warm-up calls.
fn median_ms(runs: usize, mut f: impl FnMut()) -> f64 {
    for _ in 0..3 {
        f();
    }
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn main() {
    let f = Fixtures::locate();
    let runs: usize = std::env::var("QAFILA_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30)
        .max(1);
    let print = f.print_image();
    let (w, h) = (print.width, print.height);

    // Both decoders are timed on the same file: NBIS's encoding of the print.
    let nbis_file = f.nbis_encode(&print);
    let our_file = encode(&print, DEFAULT_BITRATE, DEFAULT_PPI).expect("encode the print");

    let rust_encode = median_ms(runs, || {
        black_box(encode(black_box(&print), DEFAULT_BITRATE, DEFAULT_PPI).expect("encode"));
    });
    let rust_decode = median_ms(runs, || {
        black_box(decode(black_box(&nbis_file)).expect("decode"));
    });

    let dir = std::env::temp_dir().join(format!("qafila-wsq-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (pixels_path, wsq_path) = (dir.join("print.gray"), dir.join("print.wsq"));
    std::fs::write(&pixels_path, &print.pixels).expect("write pixels");
    std::fs::write(&wsq_path, &nbis_file).expect("write wsq");
    let script = "import sys, time, _wsq\n\
                  pixels = open(sys.argv[1], 'rb').read()\n\
                  wsq = open(sys.argv[2], 'rb').read()\n\
                  w, h, runs = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])\n\
                  def median_ms(f):\n\
                  \x20   for _ in range(3): f()\n\
                  \x20   ts = []\n\
                  \x20   for _ in range(runs):\n\
                  \x20       t = time.perf_counter(); f(); ts.append((time.perf_counter() - t) * 1000.0)\n\
                  \x20   ts.sort()\n\
                  \x20   return ts[len(ts) // 2]\n\
                  print('encode', median_ms(lambda: _wsq.compress(pixels, h, w, 0.75)))\n\
                  print('decode', median_ms(lambda: _wsq.decompress(wsq)))\n";
    let args = [
        pixels_path.display().to_string(),
        wsq_path.display().to_string(),
        w.to_string(),
        h.to_string(),
        runs.to_string(),
    ];
    let out = String::from_utf8(f.run_python(script, &args, &[])).expect("timings are text");
    let _ = std::fs::remove_dir_all(&dir);
    let timing = |name: &str| -> f64 {
        out.lines()
            .find_map(|l| l.strip_prefix(name).and_then(|v| v.trim().parse().ok()))
            .unwrap_or_else(|| panic!("NBIS timing '{name}' missing from: {out}"))
    };
    let (nbis_encode, nbis_decode) = (timing("encode"), timing("decode"));

    let ours_decoded = decode(&our_file).expect("decode our file").into_image();
    let (nbis_decoded, _) = f.nbis_decode(&nbis_file);
    let bpp = |len: usize| len as f64 * 8.0 / print.pixels.len() as f64;

    println!("WSQ on the real print ({w}x{h}), target {DEFAULT_BITRATE} bpp, median of {runs} runs");
    println!(
        "{:<8} {:>11} {:>11} {:>9} {:>10} {:>8} {:>9}",
        "codec", "encode ms", "decode ms", "bytes", "ratio", "bpp", "PSNR dB"
    );
    for (name, enc, dec, file, decoded) in [
        ("rust", rust_encode, rust_decode, &our_file, &ours_decoded),
        ("NBIS", nbis_encode, nbis_decode, &nbis_file, &nbis_decoded),
    ] {
        println!(
            "{name:<8} {enc:>11.2} {dec:>11.2} {:>9} {:>9.1}:1 {:>8.3} {:>9.2}",
            file.len(),
            print.pixels.len() as f64 / file.len() as f64,
            bpp(file.len()),
            psnr(&print, decoded)
        );
    }
    let (enc_ratio, dec_ratio) = (rust_encode / nbis_encode, rust_decode / nbis_decode);
    println!("rust/NBIS time: encode {enc_ratio:.2}, decode {dec_ratio:.2} (target <= 1.0)");
    if enc_ratio > 1.0 || dec_ratio > 1.0 {
        println!("WARNING: slower than NBIS");
    }
}
