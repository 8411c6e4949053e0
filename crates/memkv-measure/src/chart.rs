//! The SVG bar chart of bytes per key (plotters' SVG backend: pure Rust, no system
//! libraries).

use plotters::prelude::*;

use crate::report::Report;

/// Renders the bar chart of bytes/key per implementation (failed runs are left
/// out) as an SVG document.
pub fn bytes_per_key_svg(report: &Report) -> Result<String, String> {
    let bars: Vec<(&str, f64)> = report
        .results
        .iter()
        .filter(|r| r.verified)
        .filter_map(|r| Some((r.name.as_str(), r.bytes_per_key?)))
        .collect();
    let max = bars.iter().map(|b| b.1).fold(1.0f64, f64::max) * 1.15;
    let width = 160 + 90 * bars.len().max(1) as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, 480)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let title = format!(
            "Bytes per key, {} ({} keys, {:.1} B raw/key)",
            report.dataset.name, report.dataset.keys, report.dataset.avg_key_len
        );
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(16)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..bars.len().max(1) as f64, 0f64..max)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .disable_x_axis()
            .y_desc("bytes/key")
            .draw()
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(bars.iter().enumerate().map(|(i, (_, v))| {
                let x = i as f64;
                Rectangle::new([(x + 0.15, 0.0), (x + 0.85, *v)], BLUE.mix(0.7).filled())
            }))
            .map_err(|e| e.to_string())?;
        // Labels are drawn as text elements so that every name shows in full.
        let label = ("sans-serif", 12).into_font();
        chart
            .draw_series(bars.iter().enumerate().map(|(i, (_, v))| {
                Text::new(
                    format!("{v:.1}"),
                    (i as f64 + 0.3, *v + max * 0.02),
                    label.clone(),
                )
            }))
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(bars.iter().enumerate().map(|(i, (name, _))| {
                Text::new(
                    name.to_string(),
                    (i as f64 + 0.1, -max * 0.04),
                    label.clone(),
                )
            }))
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}
