//! `healthzk qr`: a presentation as a compact base45 string (SPEC.md §12) in an alphanumeric
//! QR code — on the terminal, and as a PNG with `--png`.

use super::io::{bad, read_json, write_file};
use anyhow::Result;
use clap::Args;
use healthzk_core::{compact, presentation::Presentation};
use qrcode::{render::unicode, Color, EcLevel, QrCode};
use std::path::PathBuf;

/// Pixels per QR module in the PNG, and the quiet zone in modules (the standard's four).
const SCALE: usize = 8;
const QUIET: usize = 4;

/// The QR code of a compact string (error correction M: 15% of the code may be damaged).
pub fn code(text: &str) -> Result<QrCode> {
    QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| anyhow::anyhow!("the string does not fit a QR code: {e}"))
}

/// An 8-bit grayscale PNG of the code, with a quiet zone.
pub fn png(code: &QrCode) -> Result<Vec<u8>> {
    let w = code.width();
    let side = (w + 2 * QUIET) * SCALE;
    let colors = code.to_colors();
    let mut pixels = vec![255u8; side * side];
    for (i, c) in colors.iter().enumerate() {
        if *c == Color::Dark {
            let (mx, my) = (i % w + QUIET, i / w + QUIET);
            for y in my * SCALE..(my + 1) * SCALE {
                pixels[y * side + mx * SCALE..y * side + (mx + 1) * SCALE].fill(0);
            }
        }
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, side as u32, side as u32);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header()?;
        writer.write_image_data(&pixels)?;
    }
    Ok(out)
}

/// `healthzk qr`.
#[derive(Args, Debug)]
pub struct QrArgs {
    /// Presentation JSON.
    #[arg(long)]
    presentation: PathBuf,
    /// Also write the QR code as a PNG image.
    #[arg(long)]
    png: Option<PathBuf>,
    /// Print only the compact string.
    #[arg(long)]
    string_only: bool,
}

/// `healthzk qr --presentation P [--png F] [--string-only]`.
pub fn run(a: QrArgs) -> Result<u8> {
    let (presentation, png_out, string_only) = (&a.presentation, a.png.as_deref(), a.string_only);
    let pres: Presentation = read_json(presentation, "presentation")?;
    let text = compact::encode(&pres).map_err(|e| bad(format!("{}: {e}", presentation.display())))?;
    let qr = code(&text)?;
    if let Some(path) = png_out {
        write_file(path, &png(&qr)?)?;
        eprintln!("wrote {} ({} chars, QR version {:?})", path.display(), text.len(), qr.version());
    }
    if !string_only {
        let art = qr
            .render::<unicode::Dense1x2>()
            .dark_color(unicode::Dense1x2::Light)
            .light_color(unicode::Dense1x2::Dark)
            .quiet_zone(true)
            .build();
        println!("{art}");
    }
    println!("{text}");
    Ok(0)
}
