//! The QR code on the printed page is real: poppler rasterises the PDF at 200 dpi, rqrr finds and
//! decodes the code in the pixels, and its signature verifies under the van's key.

mod support;

use qafila_receipt::{Format, render, verify};
use support::{fonts, sample, tool, van_key};

/// Rasterises page 1 with `pdftoppm -r 200 -png` and returns (width, height, grey pixels).
fn rasterise(pdf: &[u8]) -> (usize, usize, Vec<u8>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let pdf_path = dir.path().join("receipt.pdf");
    std::fs::write(&pdf_path, pdf).expect("write pdf");
    let prefix = dir.path().join("page");
    tool(
        "pdftoppm",
        &[
            "-r",
            "200",
            "-png",
            "-gray",
            "-singlefile",
            &pdf_path.display().to_string(),
            &prefix.display().to_string(),
        ],
        "poppler-utils",
    );
    let file = std::fs::File::open(dir.path().join("page.png")).expect("pdftoppm wrote page.png");
    let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().expect("png header");
    let mut buf = vec![0; reader.output_buffer_size().expect("png size")];
    let info = reader.next_frame(&mut buf).expect("png frame");
    let channels = info.color_type.samples();
    let (w, h) = (info.width as usize, info.height as usize);
    let grey = buf[..info.buffer_size()].chunks(channels).map(|px| px[0]).collect();
    (w, h, grey)
}

fn scan(format: Format) {
    let receipt = render(&fonts(), &sample(), format, &van_key()).expect("render");
    let (w, h, grey) = rasterise(&receipt.pdf);
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| grey[y * w + x]);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "expected one QR code on the {} page", format.name());
    let (_, text) = grids[0].decode().expect("the QR code decodes");
    assert_eq!(text, receipt.qr_text);
    let claims = verify(&text, &van_key().verifying_key().to_bytes()).expect("signature verifies");
    assert_eq!(claims, sample().claims());
    assert_eq!(claims.initials, "AB FZ");
}

#[test]
fn qr_on_a5_page_scans_and_verifies() {
    scan(Format::A5);
}

#[test]
fn qr_on_thermal_page_scans_and_verifies() {
    scan(Format::Thermal80);
}
