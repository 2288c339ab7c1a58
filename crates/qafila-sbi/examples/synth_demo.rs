//! Writes a contact sheet of synthetic prints: `cargo run --example synth_demo -- OUT.png [QUALITY]`.
use qafila_sbi::{Finger, GrayImage, synth};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args().nth(1).unwrap_or_else(|| "synth.png".into());
    let quality: u8 = std::env::args().nth(2).map_or(Ok(90), |q| q.parse())?;
    let (cols, rows, w, h) = (4usize, 3usize, synth::WIDTH as usize, synth::HEIGHT as usize);
    let mut sheet = vec![255u8; cols * rows * w * h];
    for i in 0..cols * rows {
        let seed = i as u64 + 1;
        let finger = Finger::ALL[i % 10];
        let t = std::time::Instant::now();
        let m = synth::master(seed, finger);
        let (img, score) = synth::render(&m, &synth::Placement::random(seed * 7), quality, seed);
        println!("seed {seed} {finger}: {:?}, score {score}, {:?}", m.class, t.elapsed());
        let (ox, oy) = ((i % cols) * w, (i / cols) * h);
        for y in 0..h {
            let row = (oy + y) * cols * w + ox;
            sheet[row..row + w].copy_from_slice(&img.pixels[y * w..(y + 1) * w]);
        }
    }
    let sheet = GrayImage::new((cols * w) as u32, (rows * h) as u32, synth::PPI, sheet)?;
    std::fs::write(out, sheet.to_png()?)?;
    Ok(())
}
