//! The page of a fuzz sweep (`summary.html`): what was run and how fast, what failed (by check
//! and by failure signature, each group with its shrunk scenario, the command that replays it
//! and a link to its run report), and what the sweep explored (the fault kinds and configuration
//! choices its seeds drew), and which code probes its seeds passed (seeds per probe, and the
//! probes no seed passed). One self-contained file: inline CSS, a few lines of inline script
//! (sortable tables), no network.
//!
//! Further per-sweep tables (such as per-shard figures) are [`Table`]s in
//! [`SweepPage::tables`]; the page draws them after the distributions.

use crate::encode::{base64, escape};
use crate::html::{svg_element, Figure, FigureContent};
use crate::ReportError;

/// One group of failures that share a signature.
#[derive(Clone, Debug, PartialEq)]
pub struct FailureGroupView {
    /// A short stable id (used as the HTML anchor), e.g. `sig-1a2b3c4d`.
    pub id: String,
    /// The failing checks.
    pub checks: Vec<String>,
    /// The fault kinds of the shrunk scenario.
    pub faults: Vec<String>,
    /// The roles of the servers hit.
    pub roles: Vec<String>,
    /// The failing seeds, sorted.
    pub seeds: Vec<u64>,
    /// The representative seed.
    pub representative: u64,
    /// Relative link to the representative's scenario file.
    pub scenario_link: String,
    /// The representative's (shrunk) scenario as JSON text, shown on the page.
    pub scenario_text: String,
    /// The command that replays it with a report.
    pub replay: String,
    /// Relative link to the representative's `run --report` page, when one was written.
    pub report_link: Option<String>,
}

/// How often each value of something was drawn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Distribution {
    /// What was drawn, e.g. `fault kinds` or `/cluster/nodes`.
    pub title: String,
    /// What each count counts, e.g. `faults` or `seeds`.
    pub unit: String,
    /// Each value and its count, in display order.
    pub counts: Vec<(String, u64)>,
}

/// The code probes a sweep's seeds passed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProbeCounts {
    /// The seeds counted.
    pub seeds: u64,
    /// Each probe at least one seed passed, and how many seeds passed it, in display order.
    pub hit: Vec<(String, u64)>,
    /// The probes no seed passed.
    pub never_hit: NeverHit,
}

/// The probes no seed of a sweep passed, when the page can know them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NeverHit {
    /// These probes (of the sweep's protocol) no seed passed; empty when every probe was hit.
    Known(Vec<String>),
    /// Not known; the text says why (e.g. the template, which names the protocol, is not at hand).
    Unknown(String),
}

impl Default for NeverHit {
    fn default() -> Self {
        NeverHit::Known(Vec::new())
    }
}

/// A table: a title, column names and rows of cells (as many as columns).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    /// Heading above the table.
    pub title: String,
    /// Column names.
    pub columns: Vec<String>,
    /// Rows of cells.
    pub rows: Vec<Vec<String>>,
}

/// Everything the sweep page shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SweepPage {
    /// Page title.
    pub title: String,
    /// Key/value facts: template, seeds, failing seeds, seeds/s, shards...
    pub facts: Vec<(String, String)>,
    /// Failing seeds per check.
    pub failures_by_check: Vec<(String, u64)>,
    /// Failure groups, largest first.
    pub groups: Vec<FailureGroupView>,
    /// What the sweep explored; empty with [`SweepPage::explored_note`] saying why.
    pub explored: Vec<Distribution>,
    /// A note above the distributions (how many seeds they count, or why there are none).
    pub explored_note: String,
    /// Charts (e.g. events per run), drawn after the distributions.
    pub figures: Vec<Figure>,
    /// Seeds per code probe and the probes never hit, drawn after the figures.
    pub probes: ProbeCounts,
    /// More tables (the extension point: per-shard figures...).
    pub tables: Vec<Table>,
}

/// Most seeds a group lists by number on the page (all are counted).
pub const MAX_LISTED_SEEDS: usize = 50;

const STYLE: &str =
    "body{font-family:sans-serif;margin:2em auto;max-width:1200px;color:#222;padding:0 1em}\
table{border-collapse:collapse;margin:0 0 1.5em 0}\
th,td{border:1px solid #ccc;padding:4px 10px;text-align:left;vertical-align:top}\
th{background:#f4f4f4;font-weight:600}\
table.sortable th{cursor:pointer}\
td.n{text-align:right;font-variant-numeric:tabular-nums}\
.bar{background:#4a7ebb;height:.9em;display:inline-block;vertical-align:middle}\
.group{border:1px solid #d44;border-left:6px solid #d44;padding:.5em 1em;margin:0 0 1.2em 0}\
.group h3{margin:.2em 0}\
code,pre{background:#f6f6f6;padding:1px 4px}\
td code{white-space:pre-wrap;overflow-wrap:anywhere}\
pre{max-height:24em;overflow:auto;padding:.6em}\
.ok{color:#2a7a2a}.fail{color:#b22}";

/// Clicking a header of a sortable table sorts it by that column (numbers as numbers). The
/// script ends by marking the body `data-ready="yes"`, so a browser test can tell it ran to its
/// end without an error.
const SCRIPT: &str = "document.querySelectorAll('table.sortable').forEach(function(t){\
t.querySelectorAll('th').forEach(function(th,i){th.addEventListener('click',function(){\
var b=t.tBodies[0],rows=Array.prototype.slice.call(b.rows),up=th.dataset.up!=='1';\
rows.sort(function(x,y){var p=x.cells[i].textContent,q=y.cells[i].textContent,\
m=parseFloat(p.replace(/,/g,'')),n=parseFloat(q.replace(/,/g,''));\
var c=(isNaN(m)||isNaN(n))?p.localeCompare(q):m-n;return up?c:-c;});\
rows.forEach(function(r){b.appendChild(r);});th.dataset.up=up?'1':'0';});});});\
document.body.setAttribute('data-ready','yes');";

impl SweepPage {
    /// The page as one HTML document. Errors if a figure is not an SVG document or a PNG.
    pub fn to_html(&self) -> Result<String, ReportError> {
        let title = escape(&self.title);
        let mut out = format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{title}</h1>\n"
        );
        out += "<table class=\"facts\">\n";
        for (key, value) in &self.facts {
            out += &format!(
                "<tr><th>{}</th><td>{}</td></tr>\n",
                escape(key),
                escape(value)
            );
        }
        out += "</table>\n";
        out += &self.failures_html();
        out += &self.explored_html();
        for figure in &self.figures {
            out += &figure_html(figure)?;
        }
        out += &probes_html(&self.probes);
        for table in &self.tables {
            out += &table_html(table);
        }
        out += &format!("<script>{SCRIPT}</script>\n</body>\n</html>\n");
        Ok(out)
    }

    fn failures_html(&self) -> String {
        if self.groups.is_empty() && self.failures_by_check.is_empty() {
            return "<h2>Failures</h2>\n<p class=\"ok\">No seed failed.</p>\n".into();
        }
        let failing: u64 = self.groups.iter().map(|g| g.seeds.len() as u64).sum();
        let mut out = String::from("<h2>Failing seeds by check</h2>\n");
        out += &bars_table("check", "failing seeds", &self.failures_by_check);
        out += &format!(
            "<h2>Failures by signature</h2>\n<p>{failing} failing seeds in {} groups \
             (same failing checks, fault kinds and roles); one representative each.</p>\n",
            self.groups.len()
        );
        let rows: Vec<Vec<String>> = self
            .groups
            .iter()
            .map(|g| {
                vec![
                    format!("<a href=\"#{0}\">{0}</a>", escape(&g.id)),
                    escape(&g.checks.join(", ")),
                    escape(&g.faults.join(", ")),
                    escape(&g.roles.join(", ")),
                    g.seeds.len().to_string(),
                ]
            })
            .collect();
        out += &sortable(&["group", "checks", "fault kinds", "roles", "seeds"], &rows);
        for group in &self.groups {
            out += &group_html(group);
        }
        out
    }

    fn explored_html(&self) -> String {
        let mut out = format!(
            "<h2>What the sweep explored</h2>\n<p>{}</p>\n",
            escape(&self.explored_note)
        );
        for distribution in &self.explored {
            out += &format!("<h3>{}</h3>\n", escape(&distribution.title));
            out += &bars_table("drawn", &distribution.unit, &distribution.counts);
        }
        out
    }
}

/// The code-probe table (seeds per probe, with a bar) and the list of probes no seed passed.
fn probes_html(probes: &ProbeCounts) -> String {
    let mut out = String::from("<h2>Code probes</h2>\n");
    let total = match &probes.never_hit {
        NeverHit::Known(never) => format!(" of {}", probes.hit.len() + never.len()),
        NeverHit::Unknown(_) => String::new(),
    };
    out += &format!(
        "<p>{}{total} probes passed by at least one of {} seeds.</p>\n",
        probes.hit.len(),
        probes.seeds
    );
    if !probes.hit.is_empty() {
        out += &bars_table("probe", "seeds", &probes.hit);
    }
    out += "<h3>Probes no seed passed</h3>\n";
    out += &match &probes.never_hit {
        NeverHit::Known(never) if never.is_empty() => {
            "<p class=\"ok\">Every probe was passed.</p>\n".to_string()
        }
        NeverHit::Known(never) => {
            let items: Vec<String> = never
                .iter()
                .map(|p| format!("<li><code>{}</code></li>", escape(p)))
                .collect();
            format!("<ul class=\"never-hit\">\n{}\n</ul>\n", items.join("\n"))
        }
        NeverHit::Unknown(why) => format!("<p>Not known: {}</p>\n", escape(why)),
    };
    out
}

fn figure_html(figure: &Figure) -> Result<String, ReportError> {
    let caption = escape(&figure.caption);
    let image = match &figure.content {
        FigureContent::Svg(svg) => svg_element(svg, &figure.caption)?.to_string(),
        FigureContent::Png(png) => format!(
            "<img alt=\"{caption}\" src=\"data:image/png;base64,{}\">",
            base64(png)
        ),
    };
    Ok(format!(
        "<h2>{caption}</h2>\n<figure>\n{image}\n</figure>\n"
    ))
}

fn group_html(group: &FailureGroupView) -> String {
    let id = escape(&group.id);
    let mut listed: Vec<String> = group
        .seeds
        .iter()
        .take(MAX_LISTED_SEEDS)
        .map(u64::to_string)
        .collect();
    if group.seeds.len() > MAX_LISTED_SEEDS {
        listed.push(format!(
            "... ({} more)",
            group.seeds.len() - MAX_LISTED_SEEDS
        ));
    }
    let report = group.report_link.as_ref().map_or(String::new(), |link| {
        format!(" &middot; <a href=\"{}\">run report</a>", escape(link))
    });
    format!(
        "<div class=\"group\" id=\"{id}\">\n<h3>{id}: <span class=\"fail\">{}</span> \
         &times; {}</h3>\n<p>fault kinds: {} &middot; roles: {}</p>\n\
         <p>seeds: {}</p>\n<p>representative: seed {} &middot; <a href=\"{}\">scenario</a>{report}\
         </p>\n<p>replay: <code>{}</code></p>\n<details><summary>shrunk scenario</summary>\
         <pre>{}</pre></details>\n</div>\n",
        escape(&group.checks.join(", ")),
        group.seeds.len(),
        escape(&or_none(&group.faults)),
        escape(&or_none(&group.roles)),
        listed.join(", "),
        group.representative,
        escape(&group.scenario_link),
        escape(&group.replay),
        escape(&group.scenario_text),
    )
}

fn or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}

/// A sortable two-column table of counts, each with a bar scaled to the largest.
fn bars_table(what: &str, unit: &str, counts: &[(String, u64)]) -> String {
    let most = counts.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let total: u64 = counts.iter().map(|(_, n)| *n).sum::<u64>().max(1);
    let rows: Vec<Vec<String>> = counts
        .iter()
        .map(|(value, n)| {
            let width = (*n as f64 / most as f64 * 300.0).round();
            vec![
                format!("<code>{}</code>", escape(value)),
                n.to_string(),
                format!(
                    "<span class=\"bar\" style=\"width:{width}px\"></span> {:.1}%",
                    *n as f64 * 100.0 / total as f64
                ),
            ]
        })
        .collect();
    sortable(&[what, unit, "share"], &rows)
}

/// A sortable table whose cells are already HTML.
fn sortable(columns: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = String::from("<table class=\"sortable\">\n<thead><tr>");
    for column in columns {
        out += &format!("<th>{}</th>", escape(column));
    }
    out += "</tr></thead>\n<tbody>\n";
    for row in rows {
        out += "<tr>";
        for cell in row {
            let numeric = !cell.is_empty() && cell.chars().all(|c| c.is_ascii_digit());
            out += &format!(
                "<td{}>{cell}</td>",
                if numeric { " class=\"n\"" } else { "" }
            );
        }
        out += "</tr>\n";
    }
    out + "</tbody>\n</table>\n"
}

fn table_html(table: &Table) -> String {
    let columns: Vec<&str> = table.columns.iter().map(String::as_str).collect();
    let rows: Vec<Vec<String>> = table
        .rows
        .iter()
        .map(|row| row.iter().map(|cell| escape(cell)).collect())
        .collect();
    format!(
        "<h2>{}</h2>\n{}",
        escape(&table.title),
        sortable(&columns, &rows)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> SweepPage {
        SweepPage {
            title: "Sweep <raft>".into(),
            facts: vec![("seeds".into(), "100".into())],
            failures_by_check: vec![("linearizable".into(), 3)],
            groups: vec![FailureGroupView {
                id: "sig-00c0ffee".into(),
                checks: vec!["linearizable".into()],
                faults: vec!["leader:isolate".into()],
                roles: vec!["leader".into()],
                seeds: vec![4, 9, 17],
                representative: 9,
                scenario_link: "failures/raft-seed-9.min.json".into(),
                scenario_text: "{\"name\": \"a<b\"}".into(),
                replay: "faultline run failures/raft-seed-9.min.json --report r".into(),
                report_link: Some("reports/sig-00c0ffee/report.html".into()),
            }],
            explored: vec![Distribution {
                title: "fault kinds".into(),
                unit: "faults".into(),
                counts: vec![("crash".into(), 10), ("partition".into(), 5)],
            }],
            explored_note: "over 100 seeds".into(),
            figures: vec![Figure::svg("Events per run", "<svg></svg>".into())],
            probes: ProbeCounts {
                seeds: 100,
                hit: vec![("raft.<commit>".into(), 7)],
                never_hit: NeverHit::Known(vec!["raft.lease_read".into()]),
            },
            tables: vec![Table {
                title: "Per shard".into(),
                columns: vec!["shard".into(), "seeds".into()],
                rows: vec![vec!["<0/4>".into(), "25".into()]],
            }],
        }
    }

    #[test]
    fn the_page_shows_groups_links_distributions_and_extra_tables_escaped() {
        let html = page().to_html().unwrap();
        assert!(html.contains("<title>Sweep &lt;raft&gt;</title>"));
        assert!(html.contains("id=\"sig-00c0ffee\""));
        assert!(html.contains("seeds: 4, 9, 17"));
        assert!(html.contains("href=\"reports/sig-00c0ffee/report.html\""));
        assert!(html.contains("a&lt;b"), "scenario text is escaped");
        assert!(html.contains("<h3>fault kinds</h3>"));
        assert!(
            html.contains("width:300px"),
            "the largest count gets the full bar"
        );
        assert!(html.contains("<h2>Events per run</h2>\n<figure>\n<svg></svg>"));
        assert!(html.contains("<h2>Per shard</h2>") && html.contains("&lt;0/4&gt;"));
        assert!(html.contains("<h2>Code probes</h2>"));
        assert!(html.contains("1 of 2 probes passed by at least one of 100 seeds."));
        assert!(html.contains("<code>raft.&lt;commit&gt;</code></td><td class=\"n\">7</td>"));
        assert!(html.contains("<li><code>raft.lease_read</code></li>"));
        assert!(
            !html.contains("http"),
            "nothing is fetched from the network"
        );
    }

    #[test]
    fn a_clean_sweep_says_so_and_long_seed_lists_are_cut() {
        let mut clean = page();
        clean.groups.clear();
        clean.failures_by_check.clear();
        assert!(clean.to_html().unwrap().contains("No seed failed."));
        let mut many = page();
        many.groups[0].seeds = (0..120).collect();
        assert!(many.to_html().unwrap().contains("... (70 more)"));
    }

    #[test]
    fn the_probe_section_says_when_every_probe_was_hit_or_the_rest_is_unknown() {
        let mut all = page();
        all.probes.never_hit = NeverHit::Known(Vec::new());
        let html = all.to_html().unwrap();
        assert!(html.contains("1 of 1 probes") && html.contains("Every probe was passed."));
        let mut unknown = page();
        unknown.probes.never_hit = NeverHit::Unknown("no <template>".into());
        let html = unknown.to_html().unwrap();
        assert!(
            html.contains("1 probes passed") && html.contains("Not known: no &lt;template&gt;")
        );
    }
}
