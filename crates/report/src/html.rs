//! A self-contained HTML report: title, summary table and figures with captions. SVG figures are
//! inlined and PNG figures embedded as base64 data URIs, so the file needs nothing else.

use crate::chart::{Chart, Size};
use crate::encode::{base64, escape};
use crate::ReportError;

/// What a figure shows.
#[derive(Clone, Debug, PartialEq)]
pub enum FigureContent {
    /// An SVG document, inlined.
    Svg(String),
    /// PNG bytes, embedded as a data URI.
    Png(Vec<u8>),
}

/// Image format for [`Figure::chart`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageFormat {
    /// Vector (inline SVG).
    Svg,
    /// Raster (PNG data URI).
    Png,
}

/// One figure with its caption.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    /// Text under the figure.
    pub caption: String,
    /// The image.
    pub content: FigureContent,
}

impl Figure {
    /// A figure from an SVG document.
    pub fn svg(caption: impl Into<String>, svg: String) -> Self {
        Self {
            caption: caption.into(),
            content: FigureContent::Svg(svg),
        }
    }

    /// A figure from PNG bytes.
    pub fn png(caption: impl Into<String>, png: Vec<u8>) -> Self {
        Self {
            caption: caption.into(),
            content: FigureContent::Png(png),
        }
    }

    /// Renders `chart` at `size` in `format` as a figure.
    pub fn chart(
        caption: impl Into<String>,
        chart: &Chart,
        size: Size,
        format: ImageFormat,
    ) -> Result<Self, ReportError> {
        Ok(match format {
            ImageFormat::Svg => Self::svg(caption, chart.to_svg(size)?),
            ImageFormat::Png => Self::png(caption, chart.to_png(size)?),
        })
    }
}

/// A whole HTML page shown inside a report, in an `iframe` whose `srcdoc` holds it, so the
/// report stays one self-contained file (e.g. the interactive history view of a run's clients).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Page {
    /// Text under the frame.
    pub caption: String,
    /// The page's HTML document.
    pub html: String,
}

/// A report page.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Report {
    /// Page title and heading.
    pub title: String,
    /// Key/value rows of the summary table, in order.
    pub summary: Vec<(String, String)>,
    /// Figures, in order.
    pub figures: Vec<Figure>,
    /// Pages shown after the figures, in order.
    pub pages: Vec<Page>,
}

const STYLE: &str = "body{font-family:sans-serif;margin:2em auto;max-width:1200px;color:#222}\
table.summary{border-collapse:collapse;margin-bottom:2em}\
table.summary th,table.summary td{border:1px solid #ccc;padding:4px 10px;text-align:left}\
table.summary th{background:#f4f4f4;font-weight:600}\
figure{margin:0 0 2.5em 0;overflow-x:auto}\
figcaption{color:#555;margin-top:.4em}";

impl Report {
    /// An empty report with a title.
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            ..Self::default()
        }
    }

    /// The report as one HTML document. Errors if an SVG figure is not an `<svg>` document or a
    /// PNG figure lacks the PNG signature.
    pub fn to_html(&self) -> Result<String, ReportError> {
        let title = escape(&self.title);
        let mut out = format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{title}</h1>\n"
        );
        if !self.summary.is_empty() {
            out.push_str("<table class=\"summary\">\n");
            for (key, value) in &self.summary {
                out.push_str(&format!(
                    "<tr><th>{}</th><td>{}</td></tr>\n",
                    escape(key),
                    escape(value)
                ));
            }
            out.push_str("</table>\n");
        }
        for (i, fig) in self.figures.iter().enumerate() {
            let caption = escape(&fig.caption);
            out.push_str(&format!("<figure id=\"figure-{}\">\n", i + 1));
            match &fig.content {
                FigureContent::Svg(svg) => out.push_str(svg_element(svg, &fig.caption)?),
                FigureContent::Png(png) => {
                    if !png.starts_with(b"\x89PNG\r\n\x1a\n") {
                        return Err(ReportError::input(format!(
                            "figure {:?} is not a PNG",
                            fig.caption
                        )));
                    }
                    out.push_str(&format!(
                        "<img alt=\"{caption}\" src=\"data:image/png;base64,{}\">",
                        base64(png)
                    ));
                }
            }
            out.push_str(&format!(
                "\n<figcaption>Figure {}. {caption}</figcaption>\n</figure>\n",
                i + 1
            ));
        }
        for (i, page) in self.pages.iter().enumerate() {
            let caption = escape(&page.caption);
            out.push_str(&format!(
                "<figure id=\"page-{n}\">\n<iframe title=\"{caption}\" srcdoc=\"{}\" \
                 style=\"width:100%;height:520px;border:1px solid #ccc\"></iframe>\n\
                 <figcaption>Figure {n}. {caption}</figcaption>\n</figure>\n",
                escape(&page.html),
                n = self.figures.len() + i + 1,
            ));
        }
        out.push_str("</body>\n</html>\n");
        Ok(out)
    }
}

/// The `<svg>…</svg>` element of an SVG document (an XML prolog is dropped).
pub(crate) fn svg_element<'a>(svg: &'a str, caption: &str) -> Result<&'a str, ReportError> {
    let mut body = svg.trim();
    if body.starts_with("<?xml") {
        body = body
            .find("?>")
            .map_or("", |end| body[end + 2..].trim_start());
    }
    if body.starts_with("<svg") && body.ends_with("</svg>") {
        Ok(body)
    } else {
        Err(ReportError::input(format!(
            "figure {caption:?} is not an SVG document"
        )))
    }
}
