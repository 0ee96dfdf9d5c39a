//! The comparison chart: label shares per group as stacked bars, and mean net
//! stance per group with its 95% interval as error bars. Drawn with plotters
//! to SVG (for pages and the report) or PNG.

use crate::compare::Comparison;
use crate::error::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// Colours that read the same for every chart: hawkish red, conciliatory
/// blue, neutral grey; other labels from a fixed palette.
pub fn color_of(label: &str, index: usize) -> RGBColor {
    match label {
        "hawkish" | "negative" => RGBColor(192, 57, 43),
        "conciliatory" | "positive" => RGBColor(41, 128, 185),
        "neutral" => RGBColor(149, 165, 166),
        _ => [
            RGBColor(230, 126, 34),
            RGBColor(142, 68, 173),
            RGBColor(39, 174, 96),
        ][index % 3],
    }
}

const WIDTH: u32 = 960;

fn height(groups: usize) -> u32 {
    // Two panels, each about 44 px a group, plus titles and axes.
    (2 * (90 + 44 * groups as u32)).max(420) + 60
}

/// Render to an SVG string.
pub fn svg(c: &Comparison) -> Result<String> {
    let mut out = String::new();
    {
        let root =
            SVGBackend::with_string(&mut out, (WIDTH, height(c.groups.len()))).into_drawing_area();
        draw(&root, c).map_err(|e| Error::Setting(format!("drawing the chart: {e}")))?;
        root.present()
            .map_err(|e| Error::Setting(format!("drawing the chart: {e}")))?;
    }
    Ok(out)
}

/// Write the chart to `path`, as SVG or PNG by its extension, atomically.
pub fn write(c: &Comparison, path: &Path) -> Result<()> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "svg" => crate::output::write_atomically(path, svg(c)?.as_bytes()),
        "png" => {
            // Draw into a temporary PNG beside the target, then rename.
            let file = crate::output::AtomicFile::create(path)?;
            let temp = file.temp_path().to_path_buf();
            {
                let root =
                    BitMapBackend::new(&temp, (WIDTH, height(c.groups.len()))).into_drawing_area();
                draw(&root, c).map_err(|e| Error::Setting(format!("drawing the chart: {e}")))?;
                root.present()
                    .map_err(|e| Error::Setting(format!("writing {}: {e}", path.display())))?;
            }
            file.commit()
        }
        _ => Err(Error::Setting(format!(
            "--plot {}: give a .svg or .png file name",
            path.display()
        ))),
    }
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    c: &Comparison,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let title = format!(
        "How {} articles ({} sentences) frame Russia, by {}",
        c.articles, c.sentences, c.by
    );
    let root = root.titled(&title, ("sans-serif", 24).into_font().color(&BLACK))?;
    let (top, bottom) = root.split_vertically(root.dim_in_pixel().1 / 2);
    let n = c.groups.len();
    // Integer ranges in plotters include their end: 0..last gives n segments.
    let last = n.saturating_sub(1);
    let names: Vec<String> = c
        .groups
        .iter()
        .map(|g| format!("{} ({})", g.group, g.articles))
        .collect();

    // Panel 1: label shares, stacked.
    let mut shares = ChartBuilder::on(&top)
        .caption("Share of sentences by label", ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(230)
        // Room right of 100% for the legend.
        .build_cartesian_2d(0.0..1.3, (0..last).into_segmented())?;
    shares
        .configure_mesh()
        .disable_y_mesh()
        .disable_x_mesh()
        .x_labels(14)
        .x_label_formatter(&|x| {
            if *x <= 1.0 + 1e-9 {
                format!("{:.0}%", x * 100.0)
            } else {
                String::new()
            }
        })
        .y_label_formatter(&|y| match y {
            SegmentValue::CenterOf(i) => names.get(*i).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .y_label_style(("sans-serif", 15))
        .x_label_style(("sans-serif", 14))
        .draw()?;
    // Grid lines only where shares live (0–100%), not under the legend.
    shares.draw_series((0..=4).map(|q| {
        let x = q as f64 / 4.0;
        PathElement::new(
            vec![(x, SegmentValue::Exact(0)), (x, SegmentValue::Exact(n))],
            BLACK.mix(0.12),
        )
    }))?;
    for (k, label) in c.classes.iter().enumerate() {
        let color = color_of(label, k);
        let bars: Vec<Rectangle<(f64, SegmentValue<usize>)>> = c
            .groups
            .iter()
            .enumerate()
            .map(|(i, g)| {
                let start: f64 = c.classes[..k].iter().map(|l| g.shares[l]).sum();
                let end = start + g.shares[label];
                let mut bar = Rectangle::new(
                    [
                        (start, SegmentValue::Exact(i)),
                        (end, SegmentValue::Exact(i + 1)),
                    ],
                    color.filled(),
                );
                bar.set_margin(6, 6, 0, 0);
                bar
            })
            .collect();
        shares
            .draw_series(bars)?
            .label(label.clone())
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 12, y + 6)], color.filled()));
    }
    shares
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.3))
        .label_font(("sans-serif", 14))
        .draw()?;

    // Panel 2: mean net stance with its interval.
    let mut net = ChartBuilder::on(&bottom)
        .caption(
            "Net stance (share hawkish − share conciliatory), mean over articles, 95% bootstrap interval",
            ("sans-serif", 16),
        )
        .margin(12)
        .margin_right(30)
        .x_label_area_size(36)
        .y_label_area_size(230)
        .build_cartesian_2d(-1.0..1.0, (0..last).into_segmented())?;
    net.configure_mesh()
        .disable_y_mesh()
        .x_labels(9)
        .x_label_formatter(&|x| format!("{x:+.2}"))
        .y_label_formatter(&|y| match y {
            SegmentValue::CenterOf(i) => names.get(*i).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .y_label_style(("sans-serif", 15))
        .x_label_style(("sans-serif", 14))
        .draw()?;
    net.draw_series(std::iter::once(PathElement::new(
        vec![(0.0, SegmentValue::Exact(0)), (0.0, SegmentValue::Exact(n))],
        BLACK.mix(0.4).stroke_width(1),
    )))?;
    for (i, g) in c.groups.iter().enumerate() {
        let Some(iv) = &g.net_stance else { continue };
        let y = || SegmentValue::CenterOf(i);
        let color = if iv.estimate >= 0.0 {
            color_of("hawkish", 0)
        } else {
            color_of("conciliatory", 0)
        };
        if let (Some(low), Some(high)) = (iv.low, iv.high) {
            net.draw_series(std::iter::once(PathElement::new(
                vec![(low, y()), (high, y())],
                color.stroke_width(3),
            )))?;
            for x in [low, high] {
                net.draw_series(std::iter::once(PathElement::new(
                    vec![(x, SegmentValue::Exact(i)), (x, SegmentValue::Exact(i + 1))],
                    color.stroke_width(2),
                )))?;
            }
        } else {
            net.draw_series(std::iter::once(Text::new(
                "one article: no interval",
                (iv.estimate + 0.04, SegmentValue::CenterOf(i)),
                ("sans-serif", 13).into_font().color(&BLACK.mix(0.6)),
            )))?;
        }
        net.draw_series(std::iter::once(Circle::new(
            (iv.estimate, y()),
            7,
            color.filled(),
        )))?;
    }
    Ok(())
}
