//! Small bar charts drawn on the server as inline SVG: no script, no image request, a few hundred
//! bytes each, and they print. Every label is escaped; the chart names itself for screen readers
//! (`role="img"`, `aria-label`, `<title>`) and says its values in a `<desc>`, and each bar has a
//! `<title>` that browsers show on hover.

use std::fmt::Write;

/// Which way the bars grow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Orientation {
    /// Bars grow upwards; labels under them (few, short labels such as months).
    Vertical,
    /// Bars grow to the right; labels on the left (longer labels such as service names).
    Horizontal,
}

/// A bar chart under construction: `BarChart::vertical("…").bar("Nov", 12.0).render()`.
#[derive(Debug, Clone, PartialEq)]
pub struct BarChart {
    title: String,
    orientation: Orientation,
    unit: String,
    bars: Vec<(String, f64)>,
}

const WIDTH: f64 = 600.0;
const FONT: &str = "font-family=\"system-ui, sans-serif\"";
const BAR_COLOUR: &str = "#0b6e4f";
const GRID_COLOUR: &str = "#d5dad7";
const TEXT_COLOUR: &str = "#1d2327";
/// Longest label drawn in full (in characters); longer ones are shortened with "…" (the full
/// label stays in the bar's `<title>` and in the `<desc>`).
const MAX_LABEL_CHARS: usize = 26;

impl BarChart {
    pub fn vertical(title: impl Into<String>) -> BarChart {
        BarChart::new(title, Orientation::Vertical)
    }

    pub fn horizontal(title: impl Into<String>) -> BarChart {
        BarChart::new(title, Orientation::Horizontal)
    }

    pub fn new(title: impl Into<String>, orientation: Orientation) -> BarChart {
        BarChart {
            title: title.into(),
            orientation,
            unit: String::new(),
            bars: Vec::new(),
        }
    }

    /// A unit said after each value in the accessible text and tooltips (" jam", " permohonan").
    pub fn unit(mut self, unit: impl Into<String>) -> BarChart {
        self.unit = unit.into();
        self
    }

    /// Add a bar. Negative and non-finite values are drawn as zero.
    pub fn bar(mut self, label: impl Into<String>, value: f64) -> BarChart {
        self.bars.push((label.into(), value));
        self
    }

    pub fn is_empty(&self) -> bool {
        self.bars.is_empty()
    }

    /// The chart as an `<svg>` element, ready to be placed in HTML unescaped.
    pub fn render(&self) -> String {
        let values: Vec<f64> = self.bars.iter().map(|(_, v)| clean(*v)).collect();
        let max = values.iter().copied().fold(0.0, f64::max);
        let desc = if self.bars.is_empty() {
            "Belum ada data.".to_string()
        } else {
            self.bars
                .iter()
                .zip(&values)
                .map(|((label, _), v)| format!("{label}: {}{}", format_value(*v), self.unit))
                .collect::<Vec<_>>()
                .join("; ")
        };
        let height = match (self.bars.is_empty(), self.orientation) {
            (true, _) => 60.0,
            (false, Orientation::Vertical) => 240.0,
            (false, Orientation::Horizontal) => 16.0 + 26.0 * self.bars.len() as f64 + 24.0,
        };
        let mut out = String::new();
        let _ = write!(
            out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"100%\" \
             viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-label=\"{}\" {FONT} \
             font-size=\"12\" fill=\"{TEXT_COLOUR}\"><title>{}</title><desc>{}</desc>",
            escape(&self.title),
            escape(&self.title),
            escape(&desc)
        );
        if self.bars.is_empty() {
            let _ = write!(
                out,
                "<text x=\"{}\" y=\"35\" text-anchor=\"middle\" fill=\"#5f6b70\">Belum ada data</text>",
                WIDTH / 2.0
            );
        } else {
            let (top, step) = nice_scale(max);
            match self.orientation {
                Orientation::Vertical => self.vertical_body(&mut out, &values, top, step, height),
                Orientation::Horizontal => {
                    self.horizontal_body(&mut out, &values, top, step, height)
                }
            }
        }
        out.push_str("</svg>");
        out
    }

    fn bar_title(&self, label: &str, value: f64) -> String {
        format!(
            "<title>{}: {}{}</title>",
            escape(label),
            format_value(value),
            escape(&self.unit)
        )
    }

    fn vertical_body(&self, out: &mut String, values: &[f64], top: f64, step: f64, height: f64) {
        let (left, right, above, below) = (44.0, 8.0, 18.0, 34.0);
        let plot_w = WIDTH - left - right;
        let plot_h = height - above - below;
        let base = above + plot_h;
        grid_lines(top, step, |t| {
            let y = base - plot_h * t / top;
            let _ = write!(
                out,
                "<line x1=\"{left}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"{GRID_COLOUR}\"/>\
                 <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#5f6b70\">{}</text>",
                WIDTH - right,
                left - 6.0,
                y + 4.0,
                format_value(t)
            );
        });
        let slot = plot_w / values.len() as f64;
        let bar_w = (slot * 0.6).min(60.0);
        let label_chars = ((slot / 7.0) as usize).clamp(3, MAX_LABEL_CHARS);
        for (i, ((label, _), value)) in self.bars.iter().zip(values).enumerate() {
            let cx = left + slot * (i as f64 + 0.5);
            let h = plot_h * value / top;
            let _ = write!(
                out,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{bar_w:.1}\" height=\"{h:.1}\" fill=\"{BAR_COLOUR}\">{}</rect>\
                 <text x=\"{cx:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-weight=\"600\">{}</text>\
                 <text x=\"{cx:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                cx - bar_w / 2.0,
                base - h,
                self.bar_title(label, *value),
                base - h - 4.0,
                format_value(*value),
                base + 16.0,
                escape(&shorten(label, label_chars)),
            );
        }
    }

    fn horizontal_body(&self, out: &mut String, values: &[f64], top: f64, step: f64, height: f64) {
        let (left, right, above, below) = (190.0, 44.0, 16.0, 24.0);
        let plot_w = WIDTH - left - right;
        let base = height - below;
        grid_lines(top, step, |t| {
            let x = left + plot_w * t / top;
            let _ = write!(
                out,
                "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{above}\" y2=\"{base}\" stroke=\"{GRID_COLOUR}\"/>\
                 <text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#5f6b70\">{}</text>",
                base + 16.0,
                format_value(t)
            );
        });
        for (i, ((label, _), value)) in self.bars.iter().zip(values).enumerate() {
            let y = above + 26.0 * i as f64;
            let w = plot_w * value / top;
            let _ = write!(
                out,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\
                 <rect x=\"{left}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"18\" fill=\"{BAR_COLOUR}\">{}</rect>\
                 <text x=\"{:.1}\" y=\"{:.1}\" font-weight=\"600\">{}</text>",
                left - 8.0,
                y + 14.0,
                escape(&shorten(label, MAX_LABEL_CHARS)),
                y + 2.0,
                self.bar_title(label, *value),
                left + w + 5.0,
                y + 15.0,
                format_value(*value),
            );
        }
    }
}

/// Call `line` for each grid value 0, step, 2·step, … up to `top`.
fn grid_lines(top: f64, step: f64, mut line: impl FnMut(f64)) {
    let n = (top / step).round() as usize;
    for k in 0..=n.min(20) {
        line(step * k as f64);
    }
}

fn clean(v: f64) -> f64 {
    if v.is_finite() && v > 0.0 {
        v
    } else {
        0.0
    }
}

/// The top of the value axis and the grid step for data whose largest value is `max`: the top
/// is the smallest multiple of a "nice" step (1, 2 or 5 × 10ⁿ, never below 1) that is at least
/// `max`, with at most five steps. An empty or all-zero chart gets an axis of 0–1.
pub fn nice_scale(max: f64) -> (f64, f64) {
    let max = clean(max);
    if max <= 0.0 {
        return (1.0, 1.0);
    }
    let rough = max / 5.0;
    let magnitude = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= rough - 1e-9)
        .unwrap_or(10.0 * magnitude)
        .max(1.0);
    let top = (max / step - 1e-9).ceil().max(1.0) * step;
    (top, step)
}

/// A value as people read it in Indonesian: whole numbers plain, others with one decimal and a
/// decimal comma ("12", "12,5").
pub fn format_value(v: f64) -> String {
    let v = if v.is_finite() { v } else { 0.0 };
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        format!("{v:.1}").replace('.', ",")
    }
}

fn shorten(label: &str, max_chars: usize) -> String {
    if label.chars().count() <= max_chars {
        label.to_string()
    } else {
        let mut s: String = label.chars().take(max_chars.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

/// Escape text for SVG/XML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters are not allowed in XML 1.0.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_titles_are_escaped() {
        let svg = BarChart::horizontal("Permohonan <per> \"layanan\" & 'bulan'")
            .bar("<script>alert(1)</script>", 3.0)
            .bar("SKTM & \"Domisili\"", 1.0)
            .render();
        assert!(!svg.contains("<script>"), "{svg}");
        assert!(
            svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{svg}"
        );
        assert!(svg.contains("SKTM &amp; &quot;Domisili&quot;"), "{svg}");
        assert!(svg.contains(
            "aria-label=\"Permohonan &lt;per&gt; &quot;layanan&quot; &amp; &#39;bulan&#39;\""
        ));
        assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>"));
        assert!(svg.contains("role=\"img\""));
        assert!(svg.contains("<title>Permohonan &lt;per&gt;"), "{svg}");
        // One bar each, with its own tooltip.
        assert_eq!(svg.matches("<rect ").count(), 2);
        assert!(svg.contains("<title>SKTM &amp; &quot;Domisili&quot;: 1</title>"));
    }

    #[test]
    fn empty_data_says_so() {
        for chart in [BarChart::vertical("Kosong"), BarChart::horizontal("Kosong")] {
            assert!(chart.is_empty());
            let svg = chart.render();
            assert!(svg.contains("Belum ada data"), "{svg}");
            assert!(!svg.contains("<rect"), "{svg}");
            assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
        }
    }

    #[test]
    fn bars_scale_to_a_nice_axis() {
        let svg = BarChart::vertical("Per bulan")
            .unit(" permohonan")
            .bar("Jun", 0.0)
            .bar("Jul", 7.0)
            .bar("Agu", 10.0)
            .render();
        // Axis 0–10 in steps of 2: the tallest bar fills the plot (240 − 18 − 34 = 188).
        assert!(svg.contains("height=\"188.0\""), "{svg}");
        assert!(svg.contains("height=\"131.6\""), "{svg}");
        assert!(svg.contains("height=\"0.0\""), "{svg}");
        for tick in [">0<", ">2<", ">4<", ">6<", ">8<", ">10<"] {
            assert!(svg.contains(tick), "{tick} in {svg}");
        }
        assert!(
            svg.contains("<desc>Jun: 0 permohonan; Jul: 7 permohonan; Agu: 10 permohonan</desc>")
        );
        // All zero: still a valid chart, nothing divided by zero.
        let zero = BarChart::vertical("Nol").bar("Jan", 0.0).render();
        assert!(!zero.contains("NaN") && !zero.contains("inf"), "{zero}");
        // Negative and non-finite values are drawn as zero.
        let odd = BarChart::horizontal("Aneh")
            .bar("a", -5.0)
            .bar("b", f64::NAN)
            .bar("c", f64::INFINITY)
            .render();
        assert!(
            !odd.contains("NaN") && !odd.contains("inf") && !odd.contains("-5"),
            "{odd}"
        );
    }

    #[test]
    fn nice_scales() {
        assert_eq!(nice_scale(0.0), (1.0, 1.0));
        assert_eq!(nice_scale(f64::NAN), (1.0, 1.0));
        assert_eq!(nice_scale(1.0), (1.0, 1.0));
        assert_eq!(nice_scale(3.0), (3.0, 1.0));
        assert_eq!(nice_scale(7.0), (8.0, 2.0));
        assert_eq!(nice_scale(10.0), (10.0, 2.0));
        assert_eq!(nice_scale(11.0), (15.0, 5.0));
        assert_eq!(nice_scale(48.0), (50.0, 10.0));
        assert_eq!(nice_scale(123.0), (150.0, 50.0));
        assert_eq!(nice_scale(0.4), (1.0, 1.0));
    }

    #[test]
    fn values_read_the_indonesian_way() {
        assert_eq!(format_value(12.0), "12");
        assert_eq!(format_value(12.46), "12,5");
        assert_eq!(format_value(0.0), "0");
        assert_eq!(format_value(f64::NAN), "0");
    }

    #[test]
    fn long_labels_are_shortened_but_kept_whole_in_the_tooltip() {
        let long = "Surat Keterangan Tidak Mampu untuk Beasiswa Sekolah";
        let svg = BarChart::horizontal("x").bar(long, 2.0).render();
        assert!(svg.contains("Surat Keterangan Tidak Ma…"), "{svg}");
        assert!(svg.contains(&format!("<title>{long}: 2</title>")), "{svg}");
    }
}
